package slack

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Processing tuning.
const (
	// processBatch is how many due events one pass reads.
	processBatch = 100
	// purgeEvery is how often processed events past the retention are deleted.
	purgeEvery = time.Hour
	// pollEvery bounds how long a retried event waits past its due time when nothing
	// wakes the processor.
	pollEvery = time.Second
)

// Run processes stored events until ctx ends: at once when the receiver stores one,
// and every second for retries that fall due. Hourly, it deletes processed events
// older than event_retention.
func (h *Hub) Run(ctx context.Context) error {
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	var purged time.Time
	for {
		if _, err := h.drain(ctx); err != nil && ctx.Err() == nil {
			h.log.Error("reading stored events failed", "err", err)
		}
		if now := h.now(); now.Sub(purged) >= purgeEvery {
			purged = now
			h.purge(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-h.wake:
		case <-t.C:
		}
	}
}

// drain processes every event due now and returns how many it handled.
func (h *Hub) drain(ctx context.Context) (int, error) {
	n := 0
	for ctx.Err() == nil {
		evs, err := h.store.PendingSlackEvents(ctx, h.now(), processBatch)
		if err != nil {
			return n, err
		}
		for _, ev := range evs {
			if ctx.Err() != nil {
				return n, nil
			}
			h.processOne(ctx, ev)
			n++
		}
		if len(evs) < processBatch {
			return n, nil
		}
	}
	return n, nil
}

// outcome of processing one event.
var (
	// errIgnored: nothing to do for this event (another bot, an unknown thread...).
	errIgnored = errors.New("slack: event ignored")
	// errFinished: the inbox write already marked the event done.
	errFinished = errors.New("slack: event finished in the same transaction")
)

// processOne handles one stored event and records its outcome.
func (h *Hub) processOne(ctx context.Context, ev inbox.SlackEvent) {
	err := h.process(ctx, ev)
	now := h.now().UTC()
	switch {
	case errors.Is(err, errFinished):
		return
	case err == nil, err == errIgnored:
		h.finish(ctx, ev.EventID, now, "")
	case errors.Is(err, errIgnored):
		// Refused on purpose (a stranger in a mirror thread...): done, with the reason
		// kept for whoever looks at the event later.
		h.finish(ctx, ev.EventID, now, err.Error())
	case channels.IsPermanent(err) || inbox.IsInvalid(err):
		h.log.Warn("event given up: permanent error", "event_id", ev.EventID, "team", ev.TeamID, "err", err)
		h.finish(ctx, ev.EventID, now, err.Error())
	case ev.Attempts+1 >= h.cfg.MaxAttempts:
		h.log.Error("event given up after retries", "event_id", ev.EventID, "team", ev.TeamID, "attempts", ev.Attempts+1, "err", err)
		h.finish(ctx, ev.EventID, now, fmt.Sprintf("gave up after %d attempts: %v", ev.Attempts+1, err))
	default:
		next := now.Add(h.cfg.RetryBackoff << min(ev.Attempts, 16))
		h.log.Warn("event processing failed; will retry", "event_id", ev.EventID, "team", ev.TeamID, "attempt", ev.Attempts+1, "next", next, "err", err)
		if werr := h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
			return tx.RetrySlackEvent(ctx, ev.EventID, next, truncate(err.Error(), 1000))
		}); werr != nil {
			h.log.Error("recording a failed attempt failed", "event_id", ev.EventID, "err", werr)
		}
	}
}

// purge deletes processed events older than the retention.
func (h *Hub) purge(ctx context.Context) {
	var n int64
	err := h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		var err error
		n, err = tx.PurgeSlackEvents(ctx, h.now().Add(-h.cfg.EventRetention))
		return err
	})
	if err != nil && ctx.Err() == nil {
		h.log.Error("purging processed events failed", "err", err)
	}
	if n > 0 {
		h.log.Info("processed events purged", "count", n)
	}
}

func (h *Hub) finish(ctx context.Context, id string, at time.Time, errText string) {
	err := h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		return tx.FinishSlackEvent(ctx, id, at, truncate(errText, 1000))
	})
	if err != nil && !errors.Is(err, inbox.ErrDuplicate) {
		h.log.Error("marking an event done failed; it will be processed again (idempotently)", "event_id", id, "err", err)
	}
}

// finishIn returns the ReplyWith/RecordMessageChange hook that marks event id done in
// the inbox's transaction, and links the inbox message to the Slack message when link
// is set.
func (h *Hub) finishIn(id string, link *inbox.SlackMessage) func(ctx context.Context, tx inbox.Tx, m inbox.Message) error {
	return func(ctx context.Context, tx inbox.Tx, m inbox.Message) error {
		if link != nil {
			l := *link
			l.MessageID = m.ID
			if err := tx.AddSlackMessage(ctx, l); err != nil {
				return err
			}
		}
		return tx.FinishSlackEvent(ctx, id, h.now().UTC(), "")
	}
}

// process decides what an event means and does it.
func (h *Hub) process(ctx context.Context, ev inbox.SlackEvent) error {
	cb, err := DecodeCallback(ev.Body)
	if err != nil {
		return channels.Permanent(err)
	}
	w, ok := h.ws[cb.TeamID]
	if !ok {
		return permanent("workspace %s is no longer configured", cb.TeamID)
	}
	e := cb.Event
	if e.Type != "message" {
		return errIgnored
	}
	switch e.Subtype {
	case "", "file_share", "thread_broadcast":
		if w.fromBot(e) {
			return errIgnored
		}
		if w.surface != "" && e.Channel == w.MirrorChannel {
			return h.threadMessage(ctx, w, ev.EventID, e)
		}
		if w.customer && w.isCustomerChannel(cb, e) {
			return h.customerMessage(ctx, w, cb, e)
		}
	case "message_changed", "message_deleted":
		if w.customer && w.isCustomerChannel(cb, e) {
			return h.customerChange(ctx, w, ev.EventID, cb, e)
		}
	}
	return errIgnored
}

// fromBot reports whether a message was written by a bot (ours included) or the app's
// own user: those are never taken in, so nothing loops.
func (w *workspace) fromBot(e Event) bool {
	return e.BotID != "" || e.Subtype == "bot_message" || e.User == "" || (w.BotUserID != "" && e.User == w.BotUserID)
}

// isCustomerChannel reports whether a message's channel is a customer channel: a DM,
// a Slack Connect channel, or a listed one.
func (w *workspace) isCustomerChannel(cb Callback, e Event) bool {
	return e.ChannelType == "im" || cb.IsExtSharedChannel || w.customerChannels[e.Channel]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
