// Package queue provides the event bus that carries inbox events from the outbox relay to
// the workers (router, search indexer, bot, realtime, outbound), and the consumer loop that
// drives a worker.
//
// The contract, shared by every implementation and checked by queuetest.Run:
//
//   - A stream is an append-only log of Messages with strictly increasing IDs chosen by the
//     publisher (the outbox row id). Publishing an ID that is not above the stream's last ID
//     is a no-op, so republishing after a crash never duplicates an entry.
//   - A consumer group reads every entry of the stream once, from the beginning of what the
//     stream retains when the group is created. Several consumers of one group share the
//     entries. An entry is pending from its delivery until it is acknowledged; a pending
//     entry not acknowledged within the visibility timeout is delivered again (to any
//     consumer of the group) with Attempt incremented.
//   - An entry that reached MaxAttempts deliveries without acknowledgement is moved to the
//     stream's dead-letter list and acknowledged, so it no longer blocks the group.
//   - Watermark(group) is the lowest ID the group has not acknowledged; every entry below it
//     is done for that group. Trim never removes an entry at or above a watermark the caller
//     passes, and callers pass the minimum over every group.
//
// MemoryBus implements the contract in process (the embedded default) and RedisBus on
// Redis Streams (several instances); each states its limits. Consumer runs one member of a
// group over any Bus: read, handle, acknowledge, and keep going through failures.
package queue

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Message is one entry of a stream.
type Message struct {
	// ID is the entry's position, strictly increasing within a stream and never 0.
	ID uint64
	// Type names the event, for example "message.created".
	Type string
	// Payload is the event body, opaque to the bus (JSON by convention).
	Payload []byte
}

// Delivery is a Message handed to a member of a consumer group.
type Delivery struct {
	Message
	// Attempt is 1 on the first delivery and grows with each redelivery.
	Attempt int
}

// GroupStats describes how far a consumer group is behind its stream.
type GroupStats struct {
	// Lag counts entries not yet delivered to the group.
	Lag int64
	// Pending counts entries delivered but not yet acknowledged.
	Pending int64
}

// Bus is an event log with consumer groups. Implementations are safe for concurrent use.
type Bus interface {
	// Publish appends msgs, in order, to stream. Messages whose ID is not above the
	// stream's last ID are skipped silently (already published). A message with the ID 0
	// is an error, and then nothing is published.
	Publish(ctx context.Context, stream string, msgs ...Message) error
	// PublishAfter is Publish on the condition that the stream still holds what was
	// published up to after: when its last ID is below after (the bus lost data, as a
	// Redis without persistence does on restart), it publishes nothing and returns
	// ErrGap. The check and the appends are atomic.
	PublishAfter(ctx context.Context, stream string, after uint64, msgs ...Message) error
	// EnsureGroup creates group on stream, positioned at the oldest retained entry, if it
	// does not exist. It is idempotent.
	EnsureGroup(ctx context.Context, stream, group string) error
	// Read returns up to max deliveries for consumer in group: entries pending longer than
	// the visibility timeout first, then new entries. When there are none it waits up to
	// block for new ones, then returns an empty slice. It creates the group if needed.
	// max must be positive. Once ctx is done it returns an error wrapping ctx.Err().
	Read(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]Delivery, error)
	// Ack marks entries done for group. Acknowledging an unknown or already acknowledged ID
	// is not an error.
	Ack(ctx context.Context, stream, group string, ids ...uint64) error
	// Watermark returns the lowest ID that group has not acknowledged yet: every entry
	// below it is done for the group. A group that does not exist has watermark 0.
	Watermark(ctx context.Context, stream, group string) (uint64, error)
	// Stats returns the lag and pending count of group; zero for a group that does not
	// exist.
	Stats(ctx context.Context, stream, group string) (GroupStats, error)
	// LastID returns the highest ID ever published to stream (0 for a new or lost stream).
	LastID(ctx context.Context, stream string) (uint64, error)
	// Trim drops entries with ID below the given one.
	Trim(ctx context.Context, stream string, below uint64) error
	// DeadLetters returns up to max entries moved to stream's dead-letter list, oldest
	// first, each with the Attempt it had reached. max must be positive.
	DeadLetters(ctx context.Context, stream string, max int) ([]Delivery, error)
	// Ping reports whether the bus is reachable.
	Ping(ctx context.Context) error
}

// Options are the delivery parameters shared by every implementation.
type Options struct {
	// VisibilityTimeout is how long a delivered entry may stay unacknowledged before it is
	// delivered again.
	VisibilityTimeout time.Duration
	// MaxAttempts is the number of deliveries after which an entry is dead-lettered.
	MaxAttempts int
}

// Defaults for Options.
const (
	// DefaultVisibilityTimeout leaves a worker half a minute per batch: far above a normal
	// batch (milliseconds) yet short enough that a crashed worker's entries move on quickly.
	DefaultVisibilityTimeout = 30 * time.Second
	// DefaultMaxAttempts gives a failing entry several chances across transient outages
	// (each at least a visibility timeout apart) before it is parked for a person to look at.
	DefaultMaxAttempts = 8
)

// Validate reports what is wrong with o. Zero fields are valid: they take the defaults.
func (o Options) Validate() error {
	var errs []error
	if o.VisibilityTimeout < 0 || (o.VisibilityTimeout > 0 && o.VisibilityTimeout < time.Millisecond) {
		errs = append(errs, fmt.Errorf("visibility timeout %v, want 0 (default) or at least 1ms", o.VisibilityTimeout))
	}
	if o.MaxAttempts < 0 {
		errs = append(errs, fmt.Errorf("max attempts %d is negative", o.MaxAttempts))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("queue: options: %w", err)
	}
	return nil
}

// withDefaults fills zero fields of o.
func (o Options) withDefaults() Options {
	if o.VisibilityTimeout <= 0 {
		o.VisibilityTimeout = DefaultVisibilityTimeout
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	return o
}

// ErrGap is returned by PublishAfter when the stream lost entries it had.
var ErrGap = errors.New("queue: stream lost published entries")

// ErrClosed is returned by a Bus used after Close.
var ErrClosed = errors.New("queue: bus closed")

// errZeroID rejects a Publish of the ID 0, which LastID reserves for "nothing published".
var errZeroID = errors.New("message ID is 0")

// checkIDs returns errZeroID if a message has the ID 0.
func checkIDs(msgs []Message) error {
	for _, m := range msgs {
		if m.ID == 0 {
			return errZeroID
		}
	}
	return nil
}
