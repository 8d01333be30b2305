// Package slack connects Slack to the inbox, in two ways chosen per workspace:
//
//   - Customer channel (mode customer): people write to the app in a DM or in a Slack
//     Connect (or listed) channel; each DM, or each thread of a channel, is an inbox
//     conversation; agents' replies go back to the same DM or thread through Send,
//     under the agent's name when post_as_agent is set.
//   - Agent surface (mode agent or notify): conversations of the selected teams, from
//     any channel, are mirrored into one Slack channel, one thread per conversation
//     (Mirror, a bus consumer). In agent mode what agents write in a thread becomes a
//     private note, and reaches the contact only when it starts with the reply prefix;
//     in notify mode the thread only informs.
//
// Receiving (Handler, POST /hooks/slack/events): the v0 signature is verified before
// anything else is done with the request (Verify, constant time, timestamp within five
// minutes either way); the body is read once, capped. url_verification is answered.
// An event_callback is stored durably in the slack_events table, keyed by Slack's
// event_id, and only then acknowledged with 200: a retry (X-Slack-Retry-Num) of a
// stored event finds its row and stores nothing; a retry of an event whose first
// delivery failed before the insert (we answered 5xx, or never answered) inserts it
// and it is processed. Nothing slow (users.info, file downloads) happens before the
// acknowledgement, so it comes well within Slack's 3 seconds.
//
// Processing (Run): stored events are processed in arrival order, after the
// acknowledgement. Each outcome is exactly-once: an inbound customer message is
// ingested with the external id team/channel/ts (Ingest is idempotent on it) and then
// the event is marked done; a thread message that becomes a note or reply, and an
// edit or deletion, are written by the inbox in the same transaction that marks the
// event done (ReplyWith, RecordMessageChange). A failure is retried with exponential
// backoff up to max_attempts, then the event is kept with its error.
//
// The app's own messages, and every bot's, are ignored, so nothing loops. Mirror posts
// and thread messages are linked to their inbox messages (slack_messages), so the
// mirror never echoes an agent's thread message back into the thread.
//
// Calling Slack goes through slack-go with the API URL of the configuration; a 429 is
// waited out (Retry-After) up to max_retry_after, then reported as temporary. Users'
// names and emails (users.info) are cached for user_cache_ttl.
package slack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// MirrorGroup is the bus consumer group of the mirror.
const MirrorGroup = "slack-mirror"

// Inbox is what the hub needs of the inbox service.
type Inbox interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
	ReplyWith(ctx context.Context, actor inbox.User, id int64, in inbox.ReplyInput, also func(ctx context.Context, tx inbox.Tx, m inbox.Message) error) (inbox.Message, error)
	AttachIdentity(ctx context.Context, known, add inbox.Identity) (int64, error)
	RecordMessageChange(ctx context.Context, channel, externalID string, ch inbox.MessageChange, also func(ctx context.Context, tx inbox.Tx, m inbox.Message) error) (inbox.Message, error)
}

// Store is what the hub reads and writes directly: its own tables and what the mirror
// shows.
type Store interface {
	Write(ctx context.Context, fn func(ctx context.Context, tx inbox.Tx) error) error
	inbox.SlackReader
	Conversation(ctx context.Context, id int64) (inbox.Conversation, error)
	Messages(ctx context.Context, conversationID int64) ([]inbox.Message, error)
	Message(ctx context.Context, id int64) (inbox.Message, error)
	Contact(ctx context.Context, id int64) (inbox.Contact, error)
	User(ctx context.Context, id int64) (inbox.User, error)
	UserByEmail(ctx context.Context, email string) (inbox.User, error)
	Teams(ctx context.Context) ([]inbox.Team, error)
}

// Hub is the Slack adapter: the events receiver, the event processor, the Sender and
// the mirror. Safe for concurrent use; Run must run in one goroutine only.
type Hub struct {
	cfg     Config
	inbox   Inbox
	store   Store
	log     *slog.Logger
	ws      map[string]*workspace
	order   []*workspace
	secrets []string
	wake    chan struct{}
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	client  *http.Client
	users   *userCache
}

// Option changes a Hub at construction.
type Option func(*Hub)

// WithClock makes the hub read time from now (tests).
func WithClock(now func() time.Time) Option { return func(h *Hub) { h.now = now } }

// WithSleep replaces the pause used for rate limits and backoff (tests).
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) Option {
	return func(h *Hub) { h.sleep = sleep }
}

// httpTimeout bounds one call to Slack, file downloads included.
const httpTimeout = 60 * time.Second

// New builds the hub. cfg is completed with defaults and validated.
func New(cfg Config, in Inbox, st Store, logger *slog.Logger, opts ...Option) (*Hub, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	h := &Hub{
		cfg:    cfg,
		inbox:  in,
		store:  st,
		log:    logger.With("component", "slack"),
		ws:     map[string]*workspace{},
		wake:   make(chan struct{}, 1),
		now:    time.Now,
		sleep:  sleepCtx,
		client: &http.Client{Timeout: httpTimeout},
	}
	for _, o := range opts {
		o(h)
	}
	h.users = newUserCache(cfg.UserCacheTTL, h.now)
	secretIndex := map[string]int{}
	for _, wc := range cfg.Workspaces {
		w := newWorkspace(wc, h)
		i, ok := secretIndex[wc.SigningSecret]
		if !ok {
			i = len(h.secrets)
			secretIndex[wc.SigningSecret] = i
			h.secrets = append(h.secrets, wc.SigningSecret)
		}
		w.secret = i
		h.ws[wc.TeamID] = w
		h.order = append(h.order, w)
	}
	return h, nil
}

// sleepCtx pauses for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notify wakes the processor after an event was stored.
func (h *Hub) notify() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// permanent builds an error that retrying cannot fix.
func permanent(format string, args ...any) error {
	return channels.Permanent(fmt.Errorf("slack: "+format, args...))
}

// Mirrors reports whether a workspace mirrors conversations (agent or notify mode):
// only then must the MirrorGroup consumer run, and the outbox relay wait for it.
func (h *Hub) Mirrors() bool {
	for _, w := range h.order {
		if w.surface != "" {
			return true
		}
	}
	return false
}
