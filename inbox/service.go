// Package inbox is the domain of the shared live inbox: contacts and their identities,
// conversations, messages, private notes, the timeline of every conversation, users,
// teams and API tokens.
//
// The Service is the only way to change them. Every change is one Store transaction that
// also appends an OutboxRecord describing it; the outbox relay publishes those records on
// the event bus after commit, so workers (router, search indexer, realtime, outbound) see
// every committed change and nothing else, even across crashes.
//
// Invariants:
//   - Ingest is idempotent on (channel, external id), enforced by a unique index: a replay
//     returns the message stored the first time.
//   - An agent sees the conversations of their teams, those with no team yet (the shared
//     front-desk queue) and those assigned to them; supervisors and admins see all. A
//     conversation an actor may not see is reported as ErrNotFound, never ErrForbidden, so
//     ids cannot be probed.
package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config is the inbox section of the configuration.
type Config struct {
	// ReopenWindow: a message in a conversation resolved less than this long ago reopens
	// it; later ones start a new conversation.
	ReopenWindow time.Duration `yaml:"reopen_window"`
	// MaxTextBytes caps a message's text; longer text is cut with a warning.
	MaxTextBytes int `yaml:"max_text_bytes"`
	// MaxAttachmentBytes caps one attachment; larger ones are dropped with a warning.
	MaxAttachmentBytes int64 `yaml:"max_attachment_bytes"`
	// MaxAttachments caps the attachments of one message.
	MaxAttachments int `yaml:"max_attachments"`
	// DefaultCountryCode is the calling code assumed for national phone numbers.
	DefaultCountryCode string `yaml:"default_country_code"`
}

// Defaults for Config.
const (
	// DefaultReopenWindow: a week, the usual delay after which a "thanks, one more
	// question" is a new request rather than the same one.
	DefaultReopenWindow = 7 * 24 * time.Hour
	// DefaultMaxTextBytes: 256 KiB of text is a very long email; more is a dump.
	DefaultMaxTextBytes = 256 << 10
	// DefaultMaxAttachmentBytes: 25 MiB, the common mail-provider cap.
	DefaultMaxAttachmentBytes = 25 << 20
	// DefaultMaxAttachments: enough for a scanned file set, not for a mail bomb.
	DefaultMaxAttachments = 50
	// DefaultCountryCode: France, where the desk works.
	DefaultCountryCode = "33"
)

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.ReopenWindow == 0 {
		c.ReopenWindow = DefaultReopenWindow
	}
	if c.MaxTextBytes == 0 {
		c.MaxTextBytes = DefaultMaxTextBytes
	}
	if c.MaxAttachmentBytes == 0 {
		c.MaxAttachmentBytes = DefaultMaxAttachmentBytes
	}
	if c.MaxAttachments == 0 {
		c.MaxAttachments = DefaultMaxAttachments
	}
	if c.DefaultCountryCode == "" {
		c.DefaultCountryCode = DefaultCountryCode
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.ReopenWindow < 0:
		return errors.New("inbox.reopen_window: must not be negative")
	case c.MaxTextBytes < 1024:
		return errors.New("inbox.max_text_bytes: must be at least 1024")
	case c.MaxAttachmentBytes < 1024:
		return errors.New("inbox.max_attachment_bytes: must be at least 1024")
	case c.MaxAttachments < 1:
		return errors.New("inbox.max_attachments: must be at least 1")
	}
	for _, r := range c.DefaultCountryCode {
		if r < '0' || r > '9' {
			return fmt.Errorf("inbox.default_country_code: %q is not a calling code (digits, no +)", c.DefaultCountryCode)
		}
	}
	return nil
}

// Blobs keeps attachment content, addressed by its SHA-256.
type Blobs interface {
	// Put stores data and returns its hex SHA-256. Storing the same data twice is cheap.
	Put(ctx context.Context, data []byte) (string, error)
	// Open returns the content stored under hex sum (the files of an outgoing message);
	// an unknown sum is an fs.ErrNotExist.
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
}

// Observer is told about every ingest, for metrics.
type Observer interface {
	Ingested(channel string, took time.Duration, duplicate bool, err error)
}

// Service is the inbox. It is safe for concurrent use.
type Service struct {
	store  Store
	blobs  Blobs
	cfg    Config
	log    *slog.Logger
	now    func() time.Time
	obs    Observer
	tokens *tokenCache
	// opening counts the time SLA clocks stop (slapause.go); nil counts plain time.
	opening OpeningTime
}

// Option changes a Service at construction.
type Option func(*Service)

// WithClock makes the Service read time from now (tests).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithObserver reports every ingest to o.
func WithObserver(o Observer) Option { return func(s *Service) { s.obs = o } }

// New returns a Service over store and blobs. cfg is completed with defaults.
func New(store Store, blobs Blobs, cfg Config, logger *slog.Logger, opts ...Option) *Service {
	s := &Service{
		store:  store,
		blobs:  blobs,
		cfg:    cfg.WithDefaults(),
		log:    logger.With("component", "inbox"),
		now:    time.Now,
		tokens: newTokenCache(tokenCacheTTL),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Stream is the bus stream all inbox events are published on.
const Stream = "events"

// Bus event types, written to the outbox with the change they describe.
const (
	TopicConversationCreated = "conversation.created"
	TopicConversationUpdated = "conversation.updated"
	TopicMessageCreated      = "message.created"
	TopicMessageUpdated      = "message.updated"
)

// BusEvent is the payload of every inbox event on the bus. It says what changed and
// where; workers read the details from the store, the source of truth.
type BusEvent struct {
	ConversationID int64       `json:"conversation_id"`
	MessageID      int64       `json:"message_id,omitempty"`
	Kind           MessageKind `json:"kind,omitempty"`
	Channel        string      `json:"channel"`
	TeamID         int64       `json:"team_id,omitempty"`
	AssigneeID     int64       `json:"assignee_id,omitempty"`
	Status         Status      `json:"status"`
	// Changed lists the conversation fields an update changed.
	Changed []string `json:"changed,omitempty"`
	// PrevTeamID and PrevAssigneeID are the team and assignee before an update, so that
	// those who saw the conversation learn that it left them.
	PrevTeamID     int64     `json:"prev_team_id,omitempty"`
	PrevAssigneeID int64     `json:"prev_assignee_id,omitempty"`
	ActorUserID    int64     `json:"actor_user_id,omitempty"`
	At             time.Time `json:"at"`
}

// DecodeBusEvent parses a bus payload written by the Service.
func DecodeBusEvent(payload []byte) (BusEvent, error) {
	var e BusEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return e, fmt.Errorf("inbox: decode bus event: %w", err)
	}
	return e, nil
}

// publish appends a bus event about c (and m, if any) to the outbox of tx.
func publish(ctx context.Context, tx Tx, topic string, c *Conversation, m *Message, actor int64, changed []string, at time.Time) error {
	return publishEvent(ctx, tx, topic, c, m, actor, changed, at, nil)
}

// publishEvent is publish with the conversation as it was before an update.
func publishEvent(ctx context.Context, tx Tx, topic string, c *Conversation, m *Message, actor int64, changed []string, at time.Time, prev *Conversation) error {
	e := BusEvent{
		ConversationID: c.ID,
		Channel:        c.Channel,
		TeamID:         c.TeamID,
		AssigneeID:     c.AssigneeID,
		Status:         c.Status,
		Changed:        changed,
		ActorUserID:    actor,
		At:             at,
	}
	if m != nil {
		e.MessageID = m.ID
		e.Kind = m.Kind
	}
	if prev != nil {
		e.PrevTeamID, e.PrevAssigneeID = prev.TeamID, prev.AssigneeID
	}
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("inbox: encode %s event: %w", topic, err)
	}
	if _, err := tx.AddOutbox(ctx, OutboxRecord{Stream: Stream, Type: topic, Payload: payload, CreatedAt: at}); err != nil {
		return fmt.Errorf("inbox: outbox %s: %w", topic, err)
	}
	return nil
}

// addEvent appends a timeline entry with data encoded as JSON.
func addEvent(ctx context.Context, tx Tx, convID int64, typ string, actor int64, data any, at time.Time) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("inbox: encode %s event: %w", typ, err)
	}
	e := Event{ConversationID: convID, Type: typ, ActorUserID: actor, Data: raw, CreatedAt: at}
	if err := tx.AddEvent(ctx, &e); err != nil {
		return fmt.Errorf("inbox: timeline %s: %w", typ, err)
	}
	return nil
}
