package inbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
)

// Visitor is a person chatting through the website widget. Its ID is derived from the
// visitor's secret token (a one-way hash), so the token itself is never stored; the
// ID is also the contact identity (kind visitor) and the thread key of the visitor's
// webchat conversations on that site.
type Visitor struct {
	ID   string `json:"id"`
	Site string `json:"site"`
	// Name and Email are what the visitor typed in the pre-chat form, unverified.
	Name     string `json:"name,omitempty"`
	Email    string `json:"email,omitempty"`
	Language string `json:"language,omitempty"`
	// LastSeenAt is when the visitor's last connection ended or last sent something.
	LastSeenAt time.Time `json:"last_seen_at"`
	CreatedAt  time.Time `json:"created_at"`
}

// LogValue redacts the visitor for logs: no name or address.
func (v Visitor) LogValue() slog.Value { return slog.GroupValue(slog.String("site", v.Site)) }

// VisitorEmail is a reply to a visitor waiting to be forwarded by email if the visitor
// does not come back to the chat before DueAt.
type VisitorEmail struct {
	MessageID int64
	VisitorID string
	Site      string
	DueAt     time.Time
}

// VisitorReader is the read side the webchat needs; part of Reader.
type VisitorReader interface {
	// Visitor returns the visitor of site with that id.
	Visitor(ctx context.Context, site, id string) (Visitor, error)
	// LatestThreadConversation returns the newest conversation of channel, account and
	// thread key (the read-pool twin of Tx.LatestConversationByThread).
	LatestThreadConversation(ctx context.Context, channel, account, threadKey string) (Conversation, error)
	// ContactMessagesAfter returns up to limit messages of the conversation with an id
	// above after, of kinds in and out only (never notes or system notices), oldest
	// first, with their attachments.
	ContactMessagesAfter(ctx context.Context, conversationID, after int64, limit int) ([]Message, error)
	// Attachment returns attachment id and the conversation and kind of its message.
	Attachment(ctx context.Context, id int64) (Attachment, int64, MessageKind, error)
	// DueVisitorEmails returns up to limit queued visitor emails due at or before now,
	// oldest first.
	DueVisitorEmails(ctx context.Context, now time.Time, limit int) ([]VisitorEmail, error)
}

// VisitorTx is the write side the webchat needs; part of Tx.
type VisitorTx interface {
	// SaveVisitor inserts v, or updates its name, email, language and last-seen time.
	SaveVisitor(ctx context.Context, v *Visitor) error
	// QueueVisitorEmail queues e; queuing the same message again changes nothing.
	QueueVisitorEmail(ctx context.Context, e VisitorEmail) error
	// DeleteVisitorEmails removes the queued emails of the visitor of site whose
	// message id is at most upTo, and returns how many went.
	DeleteVisitorEmails(ctx context.Context, site, visitorID string, upTo int64) (int64, error)
}

// MaxVisitorField caps the visitor's name and email.
const MaxVisitorField = 200

// SaveVisitor records v (creating it on first use). Name, email and language are
// cleaned; an email that is not an address is refused with an *InvalidError.
func (s *Service) SaveVisitor(ctx context.Context, v Visitor) (Visitor, error) {
	if v.ID == "" || v.Site == "" {
		return v, invalid("visitor", "needs an id and a site")
	}
	v.Name = cleanLine(v.Name, MaxVisitorField)
	v.Language = cleanLine(v.Language, 8)
	if v.Email = strings.TrimSpace(v.Email); v.Email != "" {
		id, err := NormalizeIdentity(Identity{Kind: channels.KindEmail, Value: v.Email}, s.cfg.DefaultCountryCode)
		if err != nil || len(id.Value) > MaxVisitorField || strings.ContainsAny(id.Value, "\r\n") {
			return v, invalid("email", "not an email address")
		}
		v.Email = id.Value
	}
	now := s.clock()
	if v.LastSeenAt.IsZero() {
		v.LastSeenAt = now
	}
	v.CreatedAt = now
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.SaveVisitor(ctx, &v)
	})
	if err != nil {
		return v, fmt.Errorf("inbox: save visitor: %w", err)
	}
	return v, nil
}

// Visitor returns the visitor of site with that id, or ErrNotFound.
func (s *Service) Visitor(ctx context.Context, site, id string) (Visitor, error) {
	v, err := s.store.Visitor(ctx, site, id)
	if err != nil {
		return v, fmt.Errorf("inbox: visitor: %w", err)
	}
	return v, nil
}

// VisitorConversation returns the visitor's current webchat conversation on site (the
// newest with the visitor id as thread key), or ErrNotFound before the first message.
func (s *Service) VisitorConversation(ctx context.Context, site, visitorID string) (Conversation, error) {
	c, err := s.store.LatestThreadConversation(ctx, channels.Webchat, site, visitorID)
	if err != nil {
		return c, fmt.Errorf("inbox: visitor conversation: %w", err)
	}
	return c, nil
}

// VisitorMessages returns up to limit messages of conversation id that its contact may
// see (inbound and outbound, never notes or system notices) with an id above after,
// oldest first. The caller has checked that the conversation is the visitor's.
func (s *Service) VisitorMessages(ctx context.Context, conversationID, after int64, limit int) ([]Message, error) {
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	m, err := s.store.ContactMessagesAfter(ctx, conversationID, after, limit)
	if err != nil {
		return nil, fmt.Errorf("inbox: visitor messages of %d: %w", conversationID, err)
	}
	return m, nil
}

// VisitorAttachment returns attachment id if it belongs to a message of conversation
// conversationID that its contact may see; otherwise ErrNotFound.
func (s *Service) VisitorAttachment(ctx context.Context, conversationID, id int64) (Attachment, error) {
	a, conv, kind, err := s.store.Attachment(ctx, id)
	if err != nil {
		return a, fmt.Errorf("inbox: attachment %d: %w", id, err)
	}
	if conv != conversationID || (kind != KindIn && kind != KindOut) {
		return Attachment{}, fmt.Errorf("inbox: attachment %d: %w", id, ErrNotFound)
	}
	return a, nil
}

// QueueVisitorEmail queues e, a reply to forward by email if the visitor is still away
// at e.DueAt.
func (s *Service) QueueVisitorEmail(ctx context.Context, e VisitorEmail) error {
	if e.MessageID == 0 || e.VisitorID == "" {
		return errors.New("inbox: queue visitor email: needs a message and a visitor")
	}
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.QueueVisitorEmail(ctx, e)
	})
}

// DueVisitorEmails returns up to limit queued visitor emails due now.
func (s *Service) DueVisitorEmails(ctx context.Context, limit int) ([]VisitorEmail, error) {
	out, err := s.store.DueVisitorEmails(ctx, s.clock(), limit)
	if err != nil {
		return nil, fmt.Errorf("inbox: due visitor emails: %w", err)
	}
	return out, nil
}

// DeleteVisitorEmails forgets the queued emails of the visitor up to message upTo: the
// visitor came back and saw them, or they were forwarded.
func (s *Service) DeleteVisitorEmails(ctx context.Context, site, visitorID string, upTo int64) error {
	return s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		_, err := tx.DeleteVisitorEmails(ctx, site, visitorID, upTo)
		return err
	})
}

// AuthorNames returns the display names of the users ids (unknown ids are left out),
// for showing who answered.
func (s *Service) AuthorNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	for _, id := range ids {
		if _, ok := out[id]; ok || id == 0 {
			continue
		}
		u, err := s.store.User(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("inbox: author %d: %w", id, err)
		}
		out[id] = u.Name
	}
	return out, nil
}
