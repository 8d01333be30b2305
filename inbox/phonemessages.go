package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
)

// Phone messages (prise de messages): the front desk takes a message for an absent
// colleague or team. The recipient is told at once (a bus event for the agent app, and
// email or Slack through router/notify), acknowledges it, and calls back when asked to;
// a callback not done by its time becomes overdue, shown to the author and supervisors.
//
// Who may do what: any active user creates a phone message. It is seen by its author,
// its recipient (the user, or every member of the team), supervisors and admins; others
// get ErrNotFound. Only a recipient acknowledges it; a recipient, a supervisor or an
// admin marks the callback done; the others get ErrForbidden.

// Urgency is how soon the recipient should deal with a phone message.
type Urgency string

// Urgencies.
const (
	UrgencyLow    Urgency = "low"
	UrgencyNormal Urgency = "normal"
	UrgencyUrgent Urgency = "urgent"
)

// Valid reports whether u is a known urgency.
func (u Urgency) Valid() bool { return u == UrgencyLow || u == UrgencyNormal || u == UrgencyUrgent }

// PhoneMessageStatus is where a phone message stands.
type PhoneMessageStatus string

// Phone message statuses.
const (
	// PhoneMessageNew: not acknowledged yet.
	PhoneMessageNew PhoneMessageStatus = "new"
	// PhoneMessageAcknowledged: acknowledged, the requested callback not done yet.
	PhoneMessageAcknowledged PhoneMessageStatus = "acknowledged"
	// PhoneMessageDone: the callback is done, or none was asked and it was acknowledged.
	PhoneMessageDone PhoneMessageStatus = "done"
)

// Valid reports whether s is a known status.
func (s PhoneMessageStatus) Valid() bool {
	return s == PhoneMessageNew || s == PhoneMessageAcknowledged || s == PhoneMessageDone
}

// Bus event types of phone messages; their payload is a PhoneMessageEvent.
const (
	TopicPhoneMessageCreated      = "phone_message.created"
	TopicPhoneMessageAcknowledged = "phone_message.acknowledged"
	TopicPhoneMessageCallbackDone = "phone_message.callback_done"
	TopicPhoneMessageOverdue      = "phone_message.overdue"
)

// Timeline event types written in the conversation a phone message was taken from.
const (
	EventPhoneMessage             = "phone_message"
	EventPhoneMessageAcknowledged = "phone_message_acknowledged"
	EventPhoneMessageCallbackDone = "phone_message_callback_done"
	EventPhoneMessageOverdue      = "phone_message_overdue"
)

// Limits of phone message fields, in bytes.
const (
	MaxPhoneMessageSubject = 200
	MaxPhoneMessageText    = 10_000
	maxPhoneMessageLine    = 200
)

// PhoneMessage is a message taken for an absent colleague or team.
type PhoneMessage struct {
	ID       int64 `json:"id"`
	AuthorID int64 `json:"author_id"`
	// Exactly one of RecipientUserID and RecipientTeamID is set.
	RecipientUserID int64  `json:"recipient_user_id,omitempty"`
	RecipientTeamID int64  `json:"recipient_team_id,omitempty"`
	CallerName      string `json:"caller_name"`
	Organisation    string `json:"organisation,omitempty"`
	// Phone is in E.164.
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	// ContactID is the caller's contact, found or created from the phone and email.
	ContactID int64 `json:"contact_id,omitempty"`
	// ConversationID is the conversation (a call, an SMS thread...) the message was
	// taken from, if any; its timeline records the message's life.
	ConversationID    int64      `json:"conversation_id,omitempty"`
	Subject           string     `json:"subject"`
	Text              string     `json:"text"`
	Urgency           Urgency    `json:"urgency"`
	CallbackRequested bool       `json:"callback_requested"`
	CallbackBefore    *time.Time `json:"callback_before,omitempty"`
	AcknowledgedAt    *time.Time `json:"acknowledged_at,omitempty"`
	AcknowledgedBy    int64      `json:"acknowledged_by,omitempty"`
	CallbackDoneAt    *time.Time `json:"callback_done_at,omitempty"`
	CallbackDoneBy    int64      `json:"callback_done_by,omitempty"`
	CallbackNote      string     `json:"callback_note,omitempty"`
	// OverdueAt is when the callback was found overdue (and the author and supervisors
	// told).
	OverdueAt *time.Time `json:"overdue_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
	// Status and Overdue are derived when the message is read.
	Status  PhoneMessageStatus `json:"status"`
	Overdue bool               `json:"overdue"`
	// IdempotencyKey makes creation safe to retry; never serialised.
	IdempotencyKey string `json:"-"`
}

// LogValue redacts the phone message for logs.
func (p PhoneMessage) LogValue() slog.Value { return slog.Int64Value(p.ID) }

// derive fills Status and Overdue as of now.
func (p *PhoneMessage) derive(now time.Time) {
	switch {
	case p.CallbackDoneAt != nil, !p.CallbackRequested && p.AcknowledgedAt != nil:
		p.Status = PhoneMessageDone
	case p.AcknowledgedAt != nil:
		p.Status = PhoneMessageAcknowledged
	default:
		p.Status = PhoneMessageNew
	}
	p.Overdue = p.CallbackRequested && p.CallbackDoneAt == nil && p.CallbackBefore != nil && !now.Before(*p.CallbackBefore)
}

// IsRecipient reports whether u is the recipient of p, or a member of its team.
func (p PhoneMessage) IsRecipient(u User) bool {
	if u.Disabled {
		return false
	}
	return (p.RecipientUserID != 0 && p.RecipientUserID == u.ID) || (p.RecipientTeamID != 0 && u.InTeam(p.RecipientTeamID))
}

// CanSeePhoneMessage reports whether u may see p.
func CanSeePhoneMessage(u User, p PhoneMessage) bool {
	if u.Disabled {
		return false
	}
	return u.Role.SeesAll() || p.AuthorID == u.ID || p.IsRecipient(u)
}

// PhoneMessageNotification records one notification about a phone message.
type PhoneMessageNotification struct {
	PhoneMessageID int64 `json:"-"`
	UserID         int64 `json:"user_id"`
	// Channel is how: email, slack.
	Channel string `json:"channel"`
	// Kind is why: created (to the recipients) or overdue (to the author and supervisors).
	Kind string `json:"kind"`
	// Status is sent or failed.
	Status string    `json:"status"`
	Error  string    `json:"error,omitempty"`
	At     time.Time `json:"at"`
}

// Notification kinds and statuses.
const (
	NoticeCreated = "created"
	NoticeOverdue = "overdue"
	NoticeSent    = "sent"
	NoticeFailed  = "failed"
)

// PhoneMessageEvent is the bus payload of phone message events: what happened and to
// whom; workers read the rest from the store.
type PhoneMessageEvent struct {
	PhoneMessageID  int64     `json:"phone_message_id"`
	AuthorID        int64     `json:"author_id"`
	RecipientUserID int64     `json:"recipient_user_id,omitempty"`
	RecipientTeamID int64     `json:"recipient_team_id,omitempty"`
	ConversationID  int64     `json:"conversation_id,omitempty"`
	ContactID       int64     `json:"contact_id,omitempty"`
	Urgency         Urgency   `json:"urgency"`
	ActorUserID     int64     `json:"actor_user_id,omitempty"`
	At              time.Time `json:"at"`
}

// DecodePhoneMessageEvent parses the payload of a phone_message.* bus event.
func DecodePhoneMessageEvent(payload []byte) (PhoneMessageEvent, error) {
	var e PhoneMessageEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, fmt.Errorf("inbox: decode phone message event: %w", err)
	}
	return e, nil
}

// publishPhoneMessage appends a phone message event to the outbox of tx.
func publishPhoneMessage(ctx context.Context, tx Tx, topic string, p *PhoneMessage, actor int64, at time.Time) error {
	payload, err := json.Marshal(PhoneMessageEvent{
		PhoneMessageID: p.ID, AuthorID: p.AuthorID, RecipientUserID: p.RecipientUserID,
		RecipientTeamID: p.RecipientTeamID, ConversationID: p.ConversationID, ContactID: p.ContactID,
		Urgency: p.Urgency, ActorUserID: actor, At: at,
	})
	if err != nil {
		return fmt.Errorf("inbox: encode %s event: %w", topic, err)
	}
	if _, err := tx.AddOutbox(ctx, OutboxRecord{Stream: Stream, Type: topic, Payload: payload, CreatedAt: at}); err != nil {
		return fmt.Errorf("inbox: outbox %s: %w", topic, err)
	}
	return nil
}

// NewPhoneMessage is what an agent fills in to take a message.
type NewPhoneMessage struct {
	CallerName   string `json:"caller_name"`
	Organisation string `json:"organisation"`
	// Phone is normalised to E.164 (national numbers read with the default country).
	Phone string `json:"phone"`
	Email string `json:"email"`
	// Exactly one of RecipientUserID and RecipientTeamID.
	RecipientUserID int64   `json:"recipient_user_id"`
	RecipientTeamID int64   `json:"recipient_team_id"`
	Subject         string  `json:"subject"`
	Text            string  `json:"text"`
	Urgency         Urgency `json:"urgency"`
	// CallbackRequested asks the recipient to call back; CallbackBefore (which implies
	// it) says by when.
	CallbackRequested bool       `json:"callback_requested"`
	CallbackBefore    *time.Time `json:"callback_before"`
	// ConversationID takes the message from a conversation the author may see (a call,
	// an SMS thread): empty caller fields are filled from its contact.
	ConversationID int64 `json:"conversation_id"`
	// IdempotencyKey, when set, makes a retried creation return the first message.
	IdempotencyKey string `json:"idempotency_key"`
}

// CreatePhoneMessage records a phone message taken by actor and announces it to its
// recipient. created is false when the idempotency key had been used before by actor:
// the first message is returned and nothing is written.
func (s *Service) CreatePhoneMessage(ctx context.Context, actor User, in NewPhoneMessage) (p PhoneMessage, created bool, err error) {
	if actor.Disabled {
		return p, false, ErrUnauthorized
	}
	now := s.clock()
	p, err = s.checkPhoneMessage(ctx, actor, in, now)
	if err != nil {
		return p, false, err
	}
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		created = false
		if p.IdempotencyKey != "" {
			old, err := tx.PhoneMessageByKey(ctx, actor.ID, p.IdempotencyKey)
			if err == nil {
				p = old
				return nil
			}
			if !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("inbox: phone message by key: %w", err)
			}
		}
		if err := s.linkCaller(ctx, tx, actor, &p, now); err != nil {
			return err
		}
		if err := tx.CreatePhoneMessage(ctx, &p); err != nil {
			return fmt.Errorf("inbox: create phone message: %w", err)
		}
		created = true
		if p.ConversationID != 0 {
			data := map[string]any{"phone_message_id": p.ID, "recipient_user_id": p.RecipientUserID,
				"recipient_team_id": p.RecipientTeamID, "urgency": p.Urgency, "callback_requested": p.CallbackRequested}
			if err := addEvent(ctx, tx, p.ConversationID, EventPhoneMessage, actor.ID, data, now); err != nil {
				return err
			}
		}
		return publishPhoneMessage(ctx, tx, TopicPhoneMessageCreated, &p, actor.ID, now)
	})
	if err != nil {
		return PhoneMessage{}, false, err
	}
	p.derive(now)
	return p, created, nil
}

// checkPhoneMessage validates in and returns the phone message to store (contact not yet
// linked).
func (s *Service) checkPhoneMessage(ctx context.Context, actor User, in NewPhoneMessage, now time.Time) (PhoneMessage, error) {
	p := PhoneMessage{
		AuthorID:          actor.ID,
		RecipientUserID:   in.RecipientUserID,
		RecipientTeamID:   in.RecipientTeamID,
		CallerName:        cleanLine(in.CallerName, maxPhoneMessageLine),
		Organisation:      cleanLine(in.Organisation, maxPhoneMessageLine),
		Subject:           cleanLine(in.Subject, 4*MaxPhoneMessageSubject),
		Text:              strings.TrimSpace(strings.ToValidUTF8(in.Text, "\uFFFD")),
		Urgency:           in.Urgency,
		CallbackRequested: in.CallbackRequested || in.CallbackBefore != nil,
		ConversationID:    in.ConversationID,
		IdempotencyKey:    strings.TrimSpace(in.IdempotencyKey),
		CreatedAt:         now,
		UpdatedAt:         now,
	}
	if p.Urgency == "" {
		p.Urgency = UrgencyNormal
	}
	switch {
	case !p.Urgency.Valid():
		return p, invalid("urgency", "must be low, normal or urgent, not %q", in.Urgency)
	case p.Subject == "":
		return p, invalid("subject", "is empty")
	case len(p.Subject) > MaxPhoneMessageSubject:
		return p, invalid("subject", "longer than %d bytes", MaxPhoneMessageSubject)
	case len(p.Text) > MaxPhoneMessageText:
		return p, invalid("text", "longer than %d bytes", MaxPhoneMessageText)
	case len(p.IdempotencyKey) > 200:
		return p, invalid("idempotency_key", "longer than 200 bytes")
	case (p.RecipientUserID == 0) == (p.RecipientTeamID == 0):
		return p, invalid("recipient", "give exactly one of recipient_user_id and recipient_team_id")
	case p.RecipientUserID < 0 || p.RecipientTeamID < 0 || p.ConversationID < 0:
		return p, invalid("recipient", "ids must be positive")
	}
	if in.CallbackBefore != nil {
		b := in.CallbackBefore.UTC().Truncate(time.Microsecond)
		if !b.After(now) {
			return p, invalid("callback_before", "must be in the future")
		}
		if err := checkTime("callback_before", b); err != nil {
			return p, err
		}
		p.CallbackBefore = &b
	}
	if ph := strings.TrimSpace(in.Phone); ph != "" {
		e164, ok := NormalizePhone(ph, s.cfg.DefaultCountryCode)
		if !ok {
			return p, invalid("phone", "%q is not a phone number", cleanLine(ph, 40))
		}
		p.Phone = e164
	}
	if em := strings.TrimSpace(in.Email); em != "" {
		a, err := mail.ParseAddress(em)
		if err != nil || len(a.Address) > 320 {
			return p, invalid("email", "%q is not an email address", cleanLine(em, 80))
		}
		p.Email = strings.ToLower(a.Address)
	}
	if p.RecipientUserID != 0 {
		u, err := s.store.User(ctx, p.RecipientUserID)
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
			return p, invalid("recipient_user_id", "no active user %d", p.RecipientUserID)
		}
		if err != nil {
			return p, fmt.Errorf("inbox: check recipient: %w", err)
		}
	}
	if p.RecipientTeamID != 0 {
		teams, err := s.store.Teams(ctx)
		if err != nil {
			return p, fmt.Errorf("inbox: check recipient team: %w", err)
		}
		found := false
		for _, t := range teams {
			found = found || t.ID == p.RecipientTeamID
		}
		if !found {
			return p, invalid("recipient_team_id", "no team %d", p.RecipientTeamID)
		}
	}
	if p.ConversationID == 0 && p.CallerName == "" && p.Phone == "" && p.Email == "" {
		return p, invalid("caller_name", "say who called: a name, a phone number or an email address")
	}
	if !utf8.ValidString(p.Text) {
		return p, invalid("text", "is not valid UTF-8")
	}
	return p, nil
}

// linkCaller sets p's contact: the conversation's contact when the message is taken from
// one (filling empty caller fields from it), else the contact owning the phone number or
// email address, else a new contact with them.
func (s *Service) linkCaller(ctx context.Context, tx Tx, actor User, p *PhoneMessage, now time.Time) error {
	if p.ConversationID != 0 {
		c, err := tx.Conversation(ctx, p.ConversationID)
		if errors.Is(err, ErrNotFound) || (err == nil && !CanSee(actor, c)) {
			return invalid("conversation_id", "no conversation %d that you may see", p.ConversationID)
		}
		if err != nil {
			return fmt.Errorf("inbox: phone message conversation: %w", err)
		}
		p.ContactID = c.ContactID
		ct, err := s.store.Contact(ctx, c.ContactID)
		if err != nil {
			return fmt.Errorf("inbox: phone message contact: %w", err)
		}
		if p.CallerName == "" {
			p.CallerName = ct.Name
		}
		for _, id := range ct.Identities {
			switch {
			case id.Kind == channels.KindPhone && p.Phone == "":
				p.Phone = id.Value
			case id.Kind == channels.KindEmail && p.Email == "":
				p.Email = id.Value
			}
		}
		return nil
	}
	var ids []Identity
	if p.Phone != "" {
		ids = append(ids, Identity{Kind: channels.KindPhone, Value: p.Phone, Name: p.CallerName})
	}
	if p.Email != "" {
		ids = append(ids, Identity{Kind: channels.KindEmail, Value: p.Email, Name: p.CallerName})
	}
	if len(ids) == 0 {
		return nil
	}
	for _, id := range ids {
		c, err := tx.ContactByIdentity(ctx, id)
		if err == nil {
			p.ContactID = c.ID
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: phone message caller: %w", err)
		}
	}
	c := Contact{Name: p.CallerName, Identities: ids, CreatedAt: now, UpdatedAt: now}
	if err := tx.CreateContact(ctx, &c); err != nil {
		return fmt.Errorf("inbox: phone message caller: %w", err)
	}
	p.ContactID = c.ID
	return nil
}
