// Package outbox relays committed outbox records from the store to the event bus.
//
// Algorithm: records are read in ID order after the last one published and published
// with their own IDs, so a republication (after a crash, or after the bus lost its data)
// is skipped by the bus instead of duplicated. Each batch is published only if the
// stream still ends at or after the last ID published (queue.ErrGap otherwise). A record is deleted from the store only
// once every consumer group's watermark has passed it; the bus stream is trimmed to the
// same point. Hence at any moment the store holds every event some group has not
// finished, and a bus that restarts empty is refilled from it: the relay notices that
// the stream's last ID fell below what it published and starts again from the oldest
// retained record.
package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Source is the store side of the relay.
type Source interface {
	OutboxAfter(ctx context.Context, after uint64, limit int) ([]inbox.OutboxRecord, error)
	DeleteOutboxBelow(ctx context.Context, id uint64) (int64, error)
}

// Bus is the part of queue.Bus the relay uses.
type Bus interface {
	PublishAfter(ctx context.Context, stream string, after uint64, msgs ...queue.Message) error
	EnsureGroup(ctx context.Context, stream, group string) error
	Watermark(ctx context.Context, stream, group string) (uint64, error)
	LastID(ctx context.Context, stream string) (uint64, error)
	Trim(ctx context.Context, stream string, below uint64) error
}

// Config tunes the relay.
type Config struct {
	// Stream is the bus stream records are published on; inbox.Stream by default.
	Stream string
	// Groups are every consumer group of the stream: records are kept until all of
	// them have acknowledged.
	Groups []string
	// Batch is the most records published at once.
	Batch int
	// Poll is how long the relay waits for new records when nothing wakes it.
	Poll time.Duration
	// CleanEvery is how often watermarks are checked to delete and trim.
	CleanEvery time.Duration
	// Wake, when set, is signalled after every store commit so that events leave at
	// once instead of at the next poll.
	Wake <-chan struct{}
}

// Defaults for Config.
const (
	DefaultBatch = 512
	// DefaultPoll bounds the delay of an event when no wake-up arrives (another
	// process wrote it, or the hook is not wired).
	DefaultPoll = 100 * time.Millisecond
	// DefaultCleanEvery: deleting in one-second chunks keeps the outbox table small
	// without a DELETE per event.
	DefaultCleanEvery = time.Second
)

// Relay publishes outbox records. Run it in one goroutine; Stats is safe from any.
type Relay struct {
	src Source
	bus Bus
	cfg Config
	log *slog.Logger

	published atomic.Uint64 // highest ID published
	deleted   atomic.Uint64 // every record below this one is gone from the store
	retained  atomic.Int64  // published records still kept for some group
}

// New returns a relay from src to bus.
func New(src Source, bus Bus, cfg Config, logger *slog.Logger) *Relay {
	if cfg.Stream == "" {
		cfg.Stream = inbox.Stream
	}
	if cfg.Batch <= 0 {
		cfg.Batch = DefaultBatch
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.CleanEvery <= 0 {
		cfg.CleanEvery = DefaultCleanEvery
	}
	return &Relay{src: src, bus: bus, cfg: cfg, log: logger.With("component", "outbox")}
}

// Stats is a snapshot of the relay's progress.
type Stats struct {
	// Published is the highest record ID published on the bus.
	Published uint64
	// Retained counts published records kept until every group is done with them.
	Retained int64
}

// Stats returns the relay's progress.
func (r *Relay) Stats() Stats {
	return Stats{Published: r.published.Load(), Retained: r.retained.Load()}
}

// Run publishes until ctx ends. Bus and store errors are logged and retried with
// backoff; Run returns nil when ctx is cancelled.
func (r *Relay) Run(ctx context.Context) error {
	var after uint64 // start from the oldest retained record: the bus skips what it has
	var backoff time.Duration
	ensured := false
	nextClean := time.Now().Add(r.cfg.CleanEvery)
	for ctx.Err() == nil {
		if backoff > 0 && !sleep(ctx, backoff) {
			break
		}
		if !ensured {
			if err := r.ensureGroups(ctx); err != nil {
				backoff = r.fail(ctx, backoff, "ensure groups", err)
				continue
			}
			ensured = true
		}
		n, err := r.publishBatch(ctx, &after)
		if errors.Is(err, queue.ErrGap) {
			r.log.Warn("bus stream lost entries; republishing retained events", "stream", r.cfg.Stream, "published", after)
			after, ensured = 0, false
			continue
		}
		if err != nil {
			backoff = r.fail(ctx, backoff, "publish", err)
			continue
		}
		backoff = 0
		if now := time.Now(); !now.Before(nextClean) {
			nextClean = now.Add(r.cfg.CleanEvery)
			reset, err := r.clean(ctx, after)
			if err != nil {
				backoff = r.fail(ctx, backoff, "clean", err)
				continue
			}
			if reset {
				r.log.Warn("bus stream lost entries; republishing retained events", "stream", r.cfg.Stream, "published", after)
				after, ensured = 0, false
				continue
			}
		}
		if n == r.cfg.Batch {
			continue // more waiting
		}
		wait := time.NewTimer(min(r.cfg.Poll, time.Until(nextClean)))
		select {
		case <-ctx.Done():
		case <-r.cfg.Wake:
		case <-wait.C:
		}
		wait.Stop()
	}
	return nil
}

// publishBatch publishes the next records after *after and advances it.
func (r *Relay) publishBatch(ctx context.Context, after *uint64) (int, error) {
	recs, err := r.src.OutboxAfter(ctx, *after, r.cfg.Batch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	if len(recs) == 0 {
		return 0, nil
	}
	msgs := make([]queue.Message, len(recs))
	for i, rec := range recs {
		msgs[i] = queue.Message{ID: rec.ID, Type: rec.Type, Payload: rec.Payload}
	}
	// Publishing on the condition that the stream still holds what came before: a bus
	// that lost its data (a Redis restart without persistence) must not take newer
	// events as if nothing were missing, or the watermarks would pass the lost ones.
	if err := r.bus.PublishAfter(ctx, r.cfg.Stream, *after, msgs...); err != nil {
		return 0, fmt.Errorf("publish %d events: %w", len(msgs), err)
	}
	*after = recs[len(recs)-1].ID
	if *after > r.published.Load() {
		r.published.Store(*after)
	}
	r.retained.Store(int64(*after) - int64(r.deleted.Load()) + 1)
	return len(recs), nil
}

// clean deletes and trims what every group finished. It reports whether the bus
// stream fell behind what was published (the bus lost data).
func (r *Relay) clean(ctx context.Context, published uint64) (reset bool, err error) {
	last, err := r.bus.LastID(ctx, r.cfg.Stream)
	if err != nil {
		return false, fmt.Errorf("last id: %w", err)
	}
	if last < published {
		return true, nil
	}
	low := uint64(math.MaxUint64)
	for _, g := range r.cfg.Groups {
		wm, err := r.bus.Watermark(ctx, r.cfg.Stream, g)
		if err != nil {
			return false, fmt.Errorf("watermark of %s: %w", g, err)
		}
		low = min(low, wm)
	}
	if len(r.cfg.Groups) == 0 || low == math.MaxUint64 {
		// Without consumers nothing may be deleted: a group added later must still
		// find every event.
		low = 0
	}
	// Never past what this relay published: the watermark of a group that has read
	// everything is "last ID + 1".
	low = min(low, published+1)
	if low > r.deleted.Load() {
		if _, err := r.src.DeleteOutboxBelow(ctx, low); err != nil {
			return false, fmt.Errorf("delete outbox below %d: %w", low, err)
		}
		if err := r.bus.Trim(ctx, r.cfg.Stream, low); err != nil {
			return false, fmt.Errorf("trim below %d: %w", low, err)
		}
		r.deleted.Store(low)
	}
	if published >= r.deleted.Load() {
		r.retained.Store(int64(published) - int64(r.deleted.Load()) + 1)
	} else {
		r.retained.Store(0)
	}
	return false, nil
}

func (r *Relay) ensureGroups(ctx context.Context) error {
	for _, g := range r.cfg.Groups {
		if err := r.bus.EnsureGroup(ctx, r.cfg.Stream, g); err != nil {
			return fmt.Errorf("group %s: %w", g, err)
		}
	}
	return nil
}

// fail logs err and returns the next backoff: doubling from 50 ms up to 5 s.
func (r *Relay) fail(ctx context.Context, prev time.Duration, what string, err error) time.Duration {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return 0
	}
	next := min(max(2*prev, 50*time.Millisecond), 5*time.Second)
	r.log.Error("outbox relay failed; retrying", "step", what, "err", err, "retry_in", next)
	return next
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
