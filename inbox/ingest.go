package inbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
)

// IngestResult says where an inbound message landed.
type IngestResult struct {
	MessageID      int64
	ConversationID int64
	ContactID      int64
	// Duplicate is true when the message had been ingested before; the ids are those of
	// the first time and nothing was written.
	Duplicate bool
	// NewConversation is true when the message started a conversation.
	NewConversation bool
	// Reopened is true when the message reopened a resolved conversation.
	Reopened bool
}

// Ingest stores one inbound message: it resolves the contact from the sender identity,
// threads the message into its conversation (by reference, by our conversation token, by
// thread key; a conversation resolved within the reopen window is reopened), stores it
// with its attachments and appends the bus events, all in one transaction.
//
// It is idempotent on (channel, external id). An error wrapped as *InvalidError is the
// sender's fault and must not be retried; any other error is temporary.
func (s *Service) Ingest(ctx context.Context, env channels.Envelope) (res IngestResult, err error) {
	start := time.Now()
	defer func() {
		if s.obs != nil {
			s.obs.Ingested(env.Channel, time.Since(start), res.Duplicate, err)
		}
	}()
	if err := env.Validate(); err != nil {
		return res, &InvalidError{Message: err.Error()}
	}
	if len(env.ExternalID) > 998 {
		return res, invalid("external_id", "longer than 998 bytes")
	}
	from, err := NormalizeIdentity(Identity{Kind: env.From.Kind, Value: env.From.Value, Name: env.From.Name}, s.cfg.DefaultCountryCode)
	if err != nil {
		return res, err
	}
	now := s.clock()
	at := now
	var dateWarning string
	switch {
	case env.ReceivedAt.IsZero():
	case !TimeInRange(env.ReceivedAt):
		// A sender's Date header can say anything: the message is kept, dated now.
		dateWarning = "date " + env.ReceivedAt.UTC().Format("2006-01-02") + " out of range, arrival time used"
	case env.ReceivedAt.Before(now):
		at = env.ReceivedAt.UTC().Truncate(time.Microsecond)
	}
	msg := Message{
		Kind:           KindIn,
		Channel:        env.Channel,
		ExternalID:     env.ExternalID,
		Subject:        cleanLine(env.Subject, 998),
		HTML:           env.HTML,
		DeliveryStatus: DeliveryReceived,
		AutoSubmitted:  env.AutoSubmitted,
		Warnings:       append([]string(nil), env.Warnings...),
		CreatedAt:      at,
	}
	if dateWarning != "" {
		msg.Warnings = append(msg.Warnings, dateWarning)
	}
	if len(cleanLine(env.Subject, math.MaxInt)) > len(msg.Subject) {
		msg.Warnings = append(msg.Warnings, fmt.Sprintf("subject cut at %d bytes", len(msg.Subject)))
	}
	msg.Text, msg.Warnings = s.capText(env.Text, msg.Warnings)
	if len(msg.HTML) > 4*s.cfg.MaxTextBytes {
		msg.HTML = ""
		msg.Warnings = append(msg.Warnings, "html part too large, plain text kept")
	}
	attachments, warnings, err := s.storeAttachments(ctx, env.Attachments, msg.Warnings)
	if err != nil {
		return res, err
	}
	msg.Warnings, msg.Attachments = warnings, attachments

	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		// No look-up of the external id first: the unique index refuses a second copy
		// at CreateMessage, whose ErrDuplicate rolls this function back and turns the
		// call into a replay. One query less on every message.
		res = IngestResult{}
		contact, err := s.resolveContact(ctx, tx, from, env.Language, now)
		if err != nil {
			return err
		}
		res.ContactID = contact.ID
		conv, found, err := s.findConversation(ctx, tx, env, contact.ID)
		if err != nil {
			return err
		}
		if found && conv.Status == StatusResolved {
			if conv.ResolvedAt != nil && now.Sub(*conv.ResolvedAt) > s.cfg.ReopenWindow {
				found = false
			}
		}
		if !found {
			conv = Conversation{
				Channel:       env.Channel,
				Account:       env.Account,
				ThreadKey:     env.ThreadKey,
				ContactID:     contact.ID,
				Subject:       msg.Subject,
				Status:        StatusOpen,
				Language:      firstNonEmpty(env.Language, contact.Language),
				Tags:          []string{},
				LastMessageAt: at,
				CreatedAt:     now,
				UpdatedAt:     now,
			}
			if err := startConversation(ctx, tx, &conv, now); err != nil {
				return fmt.Errorf("inbox: ingest: %w", err)
			}
			res.NewConversation = true
		}
		res.ConversationID = conv.ID

		msg.ConversationID = conv.ID
		msg.ContactID = contact.ID
		if err := tx.CreateMessage(ctx, &msg); err != nil {
			return fmt.Errorf("inbox: ingest: create message: %w", err)
		}
		res.MessageID = msg.ID

		var changed []string
		if conv.Status != StatusOpen && !res.NewConversation {
			from := s.setStatus(&conv, StatusOpen, now)
			conv.SnoozedUntil, conv.ResolvedAt = nil, nil
			typ := EventStatusChanged
			if from == StatusResolved {
				typ, res.Reopened = EventReopened, true
			}
			if err := addEvent(ctx, tx, conv.ID, typ, 0, map[string]string{"from": string(from), "to": string(StatusOpen), "reason": "new_message"}, now); err != nil {
				return err
			}
			changed = append(changed, "status")
		}
		conv.MessageCount++
		if at.After(conv.LastMessageAt) {
			conv.LastMessageAt = at
		}
		if conv.WaitingSince == nil {
			conv.WaitingSince = &at
		}
		conv.UpdatedAt = now
		update := tx.UpdateActivity
		if changed != nil {
			update = tx.UpdateConversation
		}
		if err := update(ctx, &conv); err != nil {
			return fmt.Errorf("inbox: ingest: update conversation: %w", err)
		}
		if changed != nil {
			if err := publish(ctx, tx, TopicConversationUpdated, &conv, nil, 0, changed, now); err != nil {
				return err
			}
		}
		return publish(ctx, tx, TopicMessageCreated, &conv, &msg, 0, nil, now)
	})
	if errors.Is(err, ErrDuplicate) {
		// Another writer stored the same message between our check and our insert
		// (possible with a multi-writer store): answer as a replay.
		return s.replayed(ctx, env)
	}
	if err != nil {
		return IngestResult{}, err
	}
	return res, nil
}

// replayed returns the result of an earlier ingest of env.
func (s *Service) replayed(ctx context.Context, env channels.Envelope) (IngestResult, error) {
	var res IngestResult
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		m, err := tx.MessageByExternalID(ctx, env.Channel, env.ExternalID)
		if err != nil {
			return err
		}
		res = IngestResult{MessageID: m.ID, ConversationID: m.ConversationID, ContactID: m.ContactID, Duplicate: true}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("inbox: ingest: read replayed message: %w", err)
	}
	return res, nil
}

// resolveContact finds the contact owning id, or creates one.
func (s *Service) resolveContact(ctx context.Context, tx Tx, id Identity, lang string, now time.Time) (Contact, error) {
	c, err := tx.ContactByIdentity(ctx, id)
	if err == nil {
		return c, nil
	}
	if !errors.Is(err, ErrNotFound) {
		return c, fmt.Errorf("inbox: ingest: find contact: %w", err)
	}
	c = Contact{
		Name:       cleanLine(id.Name, 200),
		Language:   lang,
		Identities: []Identity{id},
		CreatedAt:  now,
		UpdatedAt:  now,
	}
	if err := tx.CreateContact(ctx, &c); err != nil {
		return c, fmt.Errorf("inbox: ingest: create contact: %w", err)
	}
	return c, nil
}

// findConversation threads env: by the external ids it references, then by the
// conversation token the adapter recovered, then by thread key.
func (s *Service) findConversation(ctx context.Context, tx Tx, env channels.Envelope, contactID int64) (Conversation, bool, error) {
	if len(env.References) > 0 {
		c, err := tx.ConversationByExternalIDs(ctx, env.Channel, env.References)
		if err == nil {
			return c, true, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return c, false, fmt.Errorf("inbox: ingest: thread by reference: %w", err)
		}
	}
	if env.ConversationHint > 0 {
		c, err := tx.Conversation(ctx, env.ConversationHint)
		if err == nil && c.ContactID == contactID && c.Channel == env.Channel {
			return c, true, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return c, false, fmt.Errorf("inbox: ingest: thread by token: %w", err)
		}
	}
	if env.ThreadKey != "" {
		c, err := tx.LatestConversationByThread(ctx, env.Channel, env.Account, env.ThreadKey)
		if err == nil {
			return c, true, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return c, false, fmt.Errorf("inbox: ingest: thread by key: %w", err)
		}
	}
	return Conversation{}, false, nil
}

// storeAttachments keeps what fits the limits in the blob store and notes what did not.
func (s *Service) storeAttachments(ctx context.Context, in []channels.Attachment, warnings []string) ([]Attachment, []string, error) {
	var out []Attachment
	for i, a := range in {
		if i >= s.cfg.MaxAttachments {
			warnings = append(warnings, fmt.Sprintf("%d attachments over the limit of %d dropped", len(in)-i, s.cfg.MaxAttachments))
			break
		}
		name := fileName(a.Filename)
		if int64(len(a.Data)) > s.cfg.MaxAttachmentBytes {
			warnings = append(warnings, fmt.Sprintf("attachment %q (%d bytes) over the limit of %d bytes dropped", name, len(a.Data), s.cfg.MaxAttachmentBytes))
			continue
		}
		sum, err := s.blobs.Put(ctx, a.Data)
		if err != nil {
			return nil, warnings, fmt.Errorf("inbox: store attachment: %w", err)
		}
		out = append(out, Attachment{
			Filename:    name,
			ContentType: cleanLine(a.ContentType, 255),
			ContentID:   cleanLine(a.ContentID, 255),
			Size:        int64(len(a.Data)),
			SHA256:      sum,
		})
	}
	return out, warnings, nil
}

// capText cuts text to the configured limit on a rune boundary.
func (s *Service) capText(text string, warnings []string) (string, []string) {
	if !utf8.ValidString(text) {
		text = strings.ToValidUTF8(text, "\uFFFD")
		warnings = append(warnings, "text was not valid UTF-8")
	}
	text = dropControls(text)
	if len(text) <= s.cfg.MaxTextBytes {
		return text, warnings
	}
	cut := s.cfg.MaxTextBytes
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut], append(warnings, fmt.Sprintf("text cut at %d bytes", cut))
}

// clock returns the current time at the store's precision.
// startConversation creates c with its "created" timeline event and its
// conversation.created bus event.
func startConversation(ctx context.Context, tx Tx, c *Conversation, now time.Time) error {
	if err := tx.CreateConversation(ctx, c); err != nil {
		return fmt.Errorf("create conversation: %w", err)
	}
	if err := addEvent(ctx, tx, c.ID, EventCreated, 0, map[string]string{"channel": c.Channel}, now); err != nil {
		return err
	}
	return publish(ctx, tx, TopicConversationCreated, c, nil, 0, nil, now)
}

// normalText trims text and replaces invalid UTF-8, refusing it empty or longer than the
// configured maximum.
func (s *Service) normalText(text string) (string, error) {
	text = strings.TrimSpace(dropControls(strings.ToValidUTF8(text, "\uFFFD")))
	if text == "" {
		return "", invalid("text", "is empty")
	}
	if len(text) > s.cfg.MaxTextBytes {
		return "", invalid("text", "longer than %d bytes", s.cfg.MaxTextBytes)
	}
	return text, nil
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// fileName is the name an attachment is stored under: the last element of what the
// sender gave (clients and mailers may send a path, with either kind of slash), as a
// clean line; "" when nothing is left.
func fileName(n string) string {
	n = path.Base(strings.ReplaceAll(n, "\\", "/"))
	if n == "." || n == "/" {
		return ""
	}
	return cleanLine(n, 255)
}

// dropControls removes from text the control characters that are neither tab nor line
// breaks (NUL above all): they show as nothing, or break what reads the text (CSV,
// terminals, a C library), and no person types them.
func dropControls(text string) string {
	if !strings.ContainsFunc(text, isDroppedControl) {
		return text
	}
	return strings.Map(func(r rune) rune {
		if isDroppedControl(r) {
			return -1
		}
		return r
	}, text)
}

func isDroppedControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n' && r != '\r') || r == 0x7f
}

// cleanLine makes s a single line of valid UTF-8 of at most max bytes: no control
// characters, so it can never smuggle a header or a log line.
func cleanLine(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
