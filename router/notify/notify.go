// Package notify tells people about phone messages taken for them: it delivers the
// notifications (email, Slack direct message) of new and overdue phone messages, and
// sweeps for requested callbacks gone overdue.
//
// The in-app notification is the bus event itself (phone_message.created, .overdue),
// which the realtime worker pushes to the agent app; this package adds the channels that
// reach people away from the app. Notifiers are small interfaces: ViaSender adapts any
// channels.Sender (the email and Slack adapters) into one.
//
// Delivery is at-least-once per (phone message, user, channel, kind): each outcome is
// recorded in the store, and a redelivered event skips what was already sent or
// permanently refused. A temporary failure leaves the event unacknowledged so the bus
// delivers it again; on its last attempt the failure is recorded instead.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Group is the consumer group of the notification worker.
const Group = "notify"

// Config is the phone_messages section of the configuration.
type Config struct {
	// OverdueCheck is how often requested callbacks are checked for being overdue.
	OverdueCheck time.Duration `yaml:"overdue_check"`
	// Timezone is the zone times are written in, in notifications.
	Timezone string `yaml:"timezone"`
	// Link, when set, is the agent app's URL of a phone message, with {id} in it; it is
	// put in notifications.
	Link string `yaml:"link"`
}

// Defaults for Config.
const (
	// DefaultOverdueCheck: a callback is due by a time of day; a minute late is fine.
	DefaultOverdueCheck = time.Minute
	DefaultTimezone     = "Europe/Paris"
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.OverdueCheck == 0 {
		c.OverdueCheck = DefaultOverdueCheck
	}
	if c.Timezone == "" {
		c.Timezone = DefaultTimezone
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	if c.OverdueCheck < time.Second {
		return errors.New("phone_messages.overdue_check: must be at least 1s")
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("phone_messages.timezone: %w", err)
	}
	return nil
}

// Inbox is what the worker needs of the inbox.
type Inbox interface {
	PhoneMessageAudience(ctx context.Context, id int64, kind string) (inbox.PhoneMessage, []inbox.User, error)
	PhoneMessageNotifications(ctx context.Context, id int64) ([]inbox.PhoneMessageNotification, error)
	RecordPhoneMessageNotification(ctx context.Context, n inbox.PhoneMessageNotification) error
}

// Notice is one notification to one person.
type Notice struct {
	// Kind is inbox.NoticeCreated or inbox.NoticeOverdue.
	Kind    string
	Message inbox.PhoneMessage
	To      inbox.User
	// Link is the agent app's URL of the message, if configured.
	Link string
	// Location is the zone to write times in.
	Location *time.Location
}

// Notifier tells one person about a phone message on one channel. An error marked with
// channels.Permanent is not retried.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// Worker delivers notifications. Safe for concurrent use.
type Worker struct {
	inbox       Inbox
	notifiers   map[string]Notifier
	names       []string
	maxAttempts int
	cfg         Config
	loc         *time.Location
	log         *slog.Logger
}

// New returns a worker notifying through notifiers (by channel name: email, slack).
// maxAttempts must match the bus's, so that the last attempt is recognised.
func New(in Inbox, notifiers map[string]Notifier, cfg Config, maxAttempts int, logger *slog.Logger) (*Worker, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	loc, _ := time.LoadLocation(cfg.Timezone)
	w := &Worker{inbox: in, notifiers: notifiers, maxAttempts: maxAttempts, cfg: cfg, loc: loc, log: logger.With("component", "notify")}
	for name := range notifiers {
		w.names = append(w.names, name)
	}
	slices.Sort(w.names)
	return w, nil
}

// Handle is the queue.Handler of the worker.
func (w *Worker) Handle(ctx context.Context, batch []queue.Delivery) []error {
	var errs []error
	for i, d := range batch {
		if err := w.handle(ctx, d); err != nil {
			if errs == nil {
				errs = make([]error, len(batch))
			}
			errs[i] = err
		}
	}
	return errs
}

func (w *Worker) handle(ctx context.Context, d queue.Delivery) error {
	var kind string
	switch d.Type {
	case inbox.TopicPhoneMessageCreated:
		kind = inbox.NoticeCreated
	case inbox.TopicPhoneMessageOverdue:
		kind = inbox.NoticeOverdue
	default:
		return nil
	}
	if len(w.names) == 0 {
		return nil
	}
	ev, err := inbox.DecodePhoneMessageEvent(d.Payload)
	if err != nil {
		w.log.Error("undecodable event dropped", "event_id", d.ID, "err", err)
		return nil
	}
	p, audience, err := w.inbox.PhoneMessageAudience(ctx, ev.PhoneMessageID, kind)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // erased since
	}
	if err != nil {
		return fmt.Errorf("notify: phone message %d: %w", ev.PhoneMessageID, err)
	}
	if p.Status == inbox.PhoneMessageDone {
		return nil // dealt with before we got to it
	}
	done, err := w.inbox.PhoneMessageNotifications(ctx, p.ID)
	if err != nil {
		return fmt.Errorf("notify: phone message %d: %w", p.ID, err)
	}
	var retry error
	for _, u := range audience {
		for _, ch := range w.names {
			if slices.ContainsFunc(done, func(n inbox.PhoneMessageNotification) bool {
				return n.UserID == u.ID && n.Channel == ch && n.Kind == kind
			}) {
				continue
			}
			if err := w.notify(ctx, d, kind, p, u, ch); err != nil {
				retry = errors.Join(retry, err)
			}
		}
	}
	return retry
}

// notify sends one notice and records its outcome; it returns an error only when the
// notice should be tried again.
func (w *Worker) notify(ctx context.Context, d queue.Delivery, kind string, p inbox.PhoneMessage, u inbox.User, ch string) error {
	n := Notice{Kind: kind, Message: p, To: u, Location: w.loc, Link: link(w.cfg.Link, p.ID)}
	rec := inbox.PhoneMessageNotification{PhoneMessageID: p.ID, UserID: u.ID, Channel: ch, Kind: kind, Status: inbox.NoticeSent}
	err := w.notifiers[ch].Notify(ctx, n)
	switch {
	case err == nil:
		w.log.Info("phone message notified", "phone_message_id", p.ID, "user_id", u.ID, "channel", ch, "kind", kind)
	case channels.IsPermanent(err) || d.Attempt >= w.maxAttempts:
		w.log.Warn("phone message notification failed", "phone_message_id", p.ID, "user_id", u.ID, "channel", ch, "attempt", d.Attempt, "err", err)
		rec.Status, rec.Error = inbox.NoticeFailed, err.Error()
	default:
		w.log.Warn("phone message notification failed; will retry", "phone_message_id", p.ID, "user_id", u.ID, "channel", ch, "attempt", d.Attempt, "err", err)
		return fmt.Errorf("notify: phone message %d to user %d by %s: %w", p.ID, u.ID, ch, err)
	}
	if err := w.inbox.RecordPhoneMessageNotification(ctx, rec); err != nil {
		return fmt.Errorf("notify: record notification of phone message %d: %w", p.ID, err)
	}
	return nil
}
