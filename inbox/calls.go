package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
)

// Phone calls land in the inbox as conversations on the telephony channel, threaded per
// caller number (ThreadKey) and called number (Account), so a caller's calls, voicemails
// and callback tasks read as one history:
//
//   - a missed call (nobody answered: no answer, busy, out of hours, hung up while
//     waiting) is a callback task: an open conversation tagged TagCallback whose priority
//     is raised to the call's Priority, with an inbound message saying so;
//   - an answered call is a timeline entry (EventCallAnswered) with a system message in
//     the caller's current telephony conversation, or in a new conversation created
//     already resolved, since the call was handled live;
//   - a voicemail is an inbound message of the same thread (channels.Envelope through
//     Ingest), whose text the adapter revises when the transcription arrives.

// Call outcomes.
const (
	CallAnswered = "answered"
	CallMissed   = "missed"
)

// TagCallback marks a conversation that asks for a callback (a missed call).
const TagCallback = "callback"

// Timeline event types of calls.
const (
	EventCallAnswered = "call_answered"
	EventCallMissed   = "call_missed"
)

// Call is the outcome of one inbound phone call.
type Call struct {
	// Channel is channels.Telephony.
	Channel string
	// ExternalID is the switchboard's id of the call (Twilio's CallSid): RecordCall is
	// idempotent on (Channel, ExternalID).
	ExternalID string
	// Account is the number that was called.
	Account string
	// From is the caller (a phone identity).
	From    channels.Identity
	Outcome string
	// Reason says why a call was missed: no-answer, busy, closed, hung-up, failed.
	Reason string
	// AnsweredBy names who took an answered call (a desk number, an extension).
	AnsweredBy string
	Duration   time.Duration
	StartedAt  time.Time
	// Subject is the subject of a conversation the call starts; Text is the message
	// recording the call. The adapter writes both, in the desk's language.
	Subject, Text string
	// Priority is given to the callback task of a missed call (kept if already higher).
	Priority int
}

// LogValue redacts the call for logs.
func (c Call) LogValue() slog.Value { return slog.StringValue(c.Outcome) }

// RecordCall stores the outcome of a call (see above). A second report of the same call
// writes nothing and returns the first result with Duplicate set.
func (s *Service) RecordCall(ctx context.Context, call Call) (IngestResult, error) {
	var res IngestResult
	switch {
	case call.Channel == "" || call.ExternalID == "":
		return res, invalid("external_id", "a call needs a channel and an external id")
	case len(call.ExternalID) > 998:
		return res, invalid("external_id", "longer than 998 bytes")
	case call.Outcome != CallAnswered && call.Outcome != CallMissed:
		return res, invalid("outcome", "must be %q or %q", CallAnswered, CallMissed)
	case call.Priority < 0 || call.Priority > 100:
		return res, invalid("priority", "must be between 0 and 100")
	}
	from, err := NormalizeIdentity(Identity{Kind: call.From.Kind, Value: call.From.Value, Name: call.From.Name}, s.cfg.DefaultCountryCode)
	if err != nil {
		return res, err
	}
	if from.Kind != channels.KindPhone {
		return res, invalid("from.kind", "a caller is a phone identity, not %q", from.Kind)
	}
	if !call.StartedAt.IsZero() {
		if err := checkTime("started_at", call.StartedAt); err != nil {
			return res, err
		}
	}
	now := s.clock()
	at := now
	if !call.StartedAt.IsZero() && call.StartedAt.Before(now) {
		at = call.StartedAt.UTC().Truncate(time.Microsecond)
	}
	text, _ := s.capText(call.Text, nil)
	if text == "" {
		text = call.Outcome
	}
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		res = IngestResult{}
		if m, err := tx.MessageByExternalID(ctx, call.Channel, call.ExternalID); err == nil {
			res = IngestResult{MessageID: m.ID, ConversationID: m.ConversationID, ContactID: m.ContactID, Duplicate: true}
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: record call: find message: %w", err)
		}
		contact, err := s.resolveContact(ctx, tx, from, "", now)
		if err != nil {
			return err
		}
		res.ContactID = contact.ID
		conv, err := tx.LatestConversationByThread(ctx, call.Channel, call.Account, from.Value)
		found := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: record call: thread: %w", err)
		}
		if found && conv.Status == StatusResolved && conv.ResolvedAt != nil && now.Sub(*conv.ResolvedAt) > s.cfg.ReopenWindow {
			found = false
		}
		if !found {
			conv = Conversation{
				Channel: call.Channel, Account: call.Account, ThreadKey: from.Value, ContactID: contact.ID,
				Subject: cleanLine(call.Subject, 998), Status: StatusOpen, Language: contact.Language,
				Tags: []string{}, LastMessageAt: at, CreatedAt: now, UpdatedAt: now,
			}
			if call.Outcome == CallAnswered {
				conv.Status, conv.ResolvedAt = StatusResolved, &now
			}
			if err := startConversation(ctx, tx, &conv, now); err != nil {
				return fmt.Errorf("inbox: record call: %w", err)
			}
			res.NewConversation = true
		}
		res.ConversationID = conv.ID
		msg := Message{
			ConversationID: conv.ID, Kind: KindSystem, Channel: call.Channel, ExternalID: call.ExternalID,
			ContactID: contact.ID, Text: text, CreatedAt: at,
		}
		if call.Outcome == CallMissed {
			msg.Kind, msg.DeliveryStatus = KindIn, DeliveryReceived
		}
		if err := tx.CreateMessage(ctx, &msg); err != nil {
			return fmt.Errorf("inbox: record call: create message: %w", err)
		}
		res.MessageID = msg.ID
		changed, err := s.applyCall(ctx, tx, &conv, call, &res, at, now)
		if err != nil {
			return err
		}
		conv.MessageCount++
		if at.After(conv.LastMessageAt) {
			conv.LastMessageAt = at
		}
		conv.UpdatedAt = now
		if err := tx.UpdateConversation(ctx, &conv); err != nil {
			return fmt.Errorf("inbox: record call: update conversation: %w", err)
		}
		if len(changed) > 0 && !res.NewConversation {
			if err := publish(ctx, tx, TopicConversationUpdated, &conv, nil, 0, changed, now); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageCreated, &conv, &msg, 0, nil, now)
	})
	if errors.Is(err, ErrDuplicate) {
		// A concurrent report of the same call won the race.
		return s.replayed(ctx, channels.Envelope{Channel: call.Channel, ExternalID: call.ExternalID})
	}
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// applyCall records the call in conv's timeline and, for a missed call, makes conv a
// callback task: open, tagged, prioritised and waiting. It returns the changed fields.
func (s *Service) applyCall(ctx context.Context, tx Tx, conv *Conversation, call Call, res *IngestResult, at, now time.Time) ([]string, error) {
	data := map[string]any{"call_id": call.ExternalID, "duration_seconds": int(call.Duration / time.Second)}
	if call.Outcome == CallAnswered {
		if call.AnsweredBy != "" {
			data["answered_by"] = cleanLine(call.AnsweredBy, 100)
		}
		return nil, addEvent(ctx, tx, conv.ID, EventCallAnswered, 0, data, now)
	}
	data["reason"] = cleanLine(call.Reason, 50)
	if err := addEvent(ctx, tx, conv.ID, EventCallMissed, 0, data, now); err != nil {
		return nil, err
	}
	var changed []string
	if conv.Status != StatusOpen && !res.NewConversation {
		from := s.setStatus(conv, StatusOpen, now)
		conv.SnoozedUntil, conv.ResolvedAt = nil, nil
		typ := EventStatusChanged
		if from == StatusResolved {
			typ, res.Reopened = EventReopened, true
		}
		if err := addEvent(ctx, tx, conv.ID, typ, 0, map[string]string{"from": string(from), "to": string(StatusOpen), "reason": "missed_call"}, now); err != nil {
			return nil, err
		}
		changed = append(changed, "status")
	}
	if call.Priority > conv.Priority {
		if err := addEvent(ctx, tx, conv.ID, EventPriority, 0, map[string]int{"from": conv.Priority, "to": call.Priority}, now); err != nil {
			return nil, err
		}
		conv.Priority = call.Priority
		changed = append(changed, "priority")
	}
	if !slices.Contains(conv.Tags, TagCallback) {
		tags := append(slices.Clone(conv.Tags), TagCallback)
		slices.Sort(tags)
		if err := addEvent(ctx, tx, conv.ID, EventTagged, 0, map[string][]string{"from": conv.Tags, "to": tags}, now); err != nil {
			return nil, err
		}
		conv.Tags = tags
		changed = append(changed, "tags")
	}
	if conv.WaitingSince == nil {
		conv.WaitingSince = &at
	}
	return changed, nil
}

// ReviseInbound replaces the text of the inbound message (channel, externalID) with
// edit(old text), for content a provider delivers after the message (a voicemail's
// transcription), and publishes message.updated. It returns ErrNotFound when there is
// no such message; an edit that changes nothing writes nothing.
func (s *Service) ReviseInbound(ctx context.Context, channel, externalID string, edit func(old string) string) error {
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		m, err := tx.MessageByExternalID(ctx, channel, externalID)
		if err != nil {
			return fmt.Errorf("inbox: revise message: %w", err)
		}
		if m.Kind != KindIn {
			return fmt.Errorf("inbox: revise message %d: not inbound: %w", m.ID, ErrForbidden)
		}
		text, _ := s.capText(edit(m.Text), nil)
		if text == m.Text {
			return nil
		}
		if err := tx.UpdateMessageText(ctx, m.ID, text); err != nil {
			return fmt.Errorf("inbox: revise message %d: %w", m.ID, err)
		}
		c, err := tx.Conversation(ctx, m.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: revise message %d: %w", m.ID, err)
		}
		return publish(ctx, tx, TopicMessageUpdated, &c, &m, 0, []string{"text"}, s.clock())
	})
}
