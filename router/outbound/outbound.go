// Package outbound is the worker that delivers agents' replies: it consumes
// message.created events of outbound messages, hands each to the Sender of its channel
// and records the outcome on the message.
//
// Delivery is at-least-once: a message whose status is no longer "queued" is skipped, so
// a redelivered event does not send twice what was recorded as sent; a crash between a
// provider accepting a message and the outcome being recorded can send it again, which
// is why Senders pass the message id to providers that deduplicate (email Message-ID),
// and why a retry is marked (channels.Outbound.Retry) for the Senders that look for an
// earlier delivery before sending again (Slack).
// A permanent error (channels.Permanent) marks the message failed at once; other errors
// are retried by the bus after its visibility timeout, and the last attempt marks the
// message failed rather than leaving it queued forever.
package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Group is the consumer group of the outbound worker.
const Group = "outbound"

// Inbox is what the worker needs of the inbox.
type Inbox interface {
	OutgoingMessage(ctx context.Context, id int64) (inbox.Outgoing, error)
	OutgoingFiles(ctx context.Context, m inbox.Message) ([]channels.Attachment, error)
	RecordDelivery(ctx context.Context, id int64, status, externalID, reason string) error
}

// Worker delivers outbound messages. Safe for concurrent use by several consumers.
type Worker struct {
	inbox       Inbox
	senders     map[string]channels.Sender
	maxAttempts int
	sendTimeout time.Duration
	log         *slog.Logger
}

// Option changes a Worker at construction.
type Option func(*Worker)

// WithSendTimeout bounds each Send, rate-limit waits included, to d. Keep it well
// under the bus's visibility timeout: a Send still running when its event is
// delivered again could deliver the message twice.
func WithSendTimeout(d time.Duration) Option { return func(w *Worker) { w.sendTimeout = d } }

// New returns a worker delivering through senders (by channel name). maxAttempts must
// match the bus's, so that the last attempt is recognised.
func New(in Inbox, senders map[string]channels.Sender, maxAttempts int, logger *slog.Logger, opts ...Option) *Worker {
	w := &Worker{inbox: in, senders: senders, maxAttempts: maxAttempts, log: logger.With("component", "outbound")}
	for _, o := range opts {
		o(w)
	}
	return w
}

// Handle is the queue.Handler of the worker.
func (w *Worker) Handle(ctx context.Context, batch []queue.Delivery) []error {
	var errs []error
	for i, d := range batch {
		err := w.handle(ctx, d)
		if err != nil {
			if errs == nil {
				errs = make([]error, len(batch))
			}
			errs[i] = err
		}
	}
	return errs
}

func (w *Worker) handle(ctx context.Context, d queue.Delivery) error {
	if d.Type != inbox.TopicMessageCreated {
		return nil
	}
	ev, err := inbox.DecodeBusEvent(d.Payload)
	if err != nil {
		w.log.Error("undecodable event dropped", "event_id", d.ID, "err", err)
		return nil
	}
	if ev.Kind != inbox.KindOut {
		return nil
	}
	o, err := w.inbox.OutgoingMessage(ctx, ev.MessageID)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // erased since (GDPR): nothing to deliver
	}
	if err != nil {
		return fmt.Errorf("outbound: load message %d: %w", ev.MessageID, err)
	}
	if o.Message.DeliveryStatus != inbox.DeliveryQueued {
		return nil
	}
	id := o.Message.ID
	sender, ok := w.senders[o.Conversation.Channel]
	if !ok {
		if o.Conversation.Channel == channels.API {
			// Integrations read replies through the API; nothing to push.
			return w.record(ctx, id, inbox.DeliveryStored, "", "")
		}
		return w.record(ctx, id, inbox.DeliveryFailed, "", fmt.Sprintf("no sender configured for channel %s", o.Conversation.Channel))
	}
	out, err := build(o)
	if err != nil {
		return w.record(ctx, id, inbox.DeliveryFailed, "", err.Error())
	}
	out.Retry = d.Attempt > 1
	if out.Attachments, err = w.inbox.OutgoingFiles(ctx, o.Message); errors.Is(err, inbox.ErrFileMissing) {
		return w.record(ctx, id, inbox.DeliveryFailed, "", err.Error())
	} else if err != nil {
		return fmt.Errorf("outbound: load files of message %d: %w", id, err)
	}
	sctx := ctx
	if w.sendTimeout > 0 {
		var cancel context.CancelFunc
		sctx, cancel = context.WithTimeout(ctx, w.sendTimeout)
		defer cancel()
	}
	ext, err := sender.Send(sctx, out)
	switch {
	case err == nil:
		w.log.Info("message delivered", "message_id", id, "channel", o.Conversation.Channel)
		return w.record(ctx, id, inbox.DeliverySent, ext, "")
	case channels.IsPermanent(err):
		w.log.Warn("delivery refused", "message_id", id, "channel", o.Conversation.Channel, "err", err)
		return w.record(ctx, id, inbox.DeliveryFailed, "", err.Error())
	case d.Attempt >= w.maxAttempts:
		w.log.Error("delivery abandoned", "message_id", id, "attempts", d.Attempt, "err", err)
		return w.record(ctx, id, inbox.DeliveryFailed, "", fmt.Sprintf("gave up after %d attempts: %v", d.Attempt, err))
	default:
		w.log.Warn("delivery failed; will retry", "message_id", id, "attempt", d.Attempt, "err", err)
		return fmt.Errorf("outbound: send message %d: %w", id, err)
	}
}

func (w *Worker) record(ctx context.Context, id int64, status, ext, reason string) error {
	if err := w.inbox.RecordDelivery(ctx, id, status, ext, reason); err != nil {
		return fmt.Errorf("outbound: record delivery of %d: %w", id, err)
	}
	return nil
}

// identityKind is the contact identity a channel delivers to.
func identityKind(channel string) channels.IdentityKind {
	switch channel {
	case channels.Email:
		return channels.KindEmail
	case channels.SMS, channels.Telephony:
		return channels.KindPhone
	case channels.Slack:
		return channels.KindSlack
	case channels.Webchat:
		return channels.KindVisitor
	}
	return channels.KindAPI
}

// build turns an outgoing message into what a Sender takes.
func build(o inbox.Outgoing) (channels.Outbound, error) {
	c := o.Conversation
	out := channels.Outbound{
		MessageID:      o.Message.ID,
		ConversationID: c.ID,
		Channel:        c.Channel,
		Account:        c.Account,
		ThreadKey:      c.ThreadKey,
		Subject:        c.Subject,
		Text:           o.Message.Text,
		HTML:           o.Message.HTML,
		AuthorName:     o.Author.Name,
		AutoSubmitted:  o.Message.AutoSubmitted,
		CreatedAt:      o.Message.CreatedAt,
	}
	kind := identityKind(c.Channel)
	for _, id := range o.Contact.Identities {
		if id.Kind == kind {
			out.To = channels.Identity{Kind: id.Kind, Value: id.Value, Name: firstNonEmpty(id.Name, o.Contact.Name)}
			break
		}
	}
	if out.To.Value == "" {
		return out, fmt.Errorf("the contact has no %s address for channel %s", kind, c.Channel)
	}
	if c.Channel == channels.Email && out.Subject != "" && !strings.HasPrefix(strings.ToLower(out.Subject), "re:") {
		out.Subject = "Re: " + out.Subject
	}
	if n := len(o.Thread); n > 0 {
		out.InReplyTo = o.Thread[n-1]
		out.References = o.Thread
	}
	return out, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
