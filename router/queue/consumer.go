package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"
)

// Handler processes a batch of deliveries for a Consumer.
//
// It returns nil when every delivery is done, or one error per delivery, in the order of
// batch: a delivery whose error is nil is acknowledged; the others stay pending and come
// back after the visibility timeout with Attempt incremented, until they are
// dead-lettered after MaxAttempts. A slice of another length, or a panic, fails the whole
// batch. Deliveries are at-least-once, so a handler must be idempotent: a delivery may
// come again even after it succeeded (for example when its acknowledgement was lost).
//
// ctx is canceled when the consumer is asked to stop; a handler should finish or abandon
// its batch promptly then. What it reports as done is still acknowledged.
type Handler func(ctx context.Context, batch []Delivery) []error

// Observation describes one turn of a Consumer's loop, for metrics.
type Observation struct {
	// Stream and Group are the consumer's.
	Stream, Group string
	// Delivered counts the deliveries read; 0 when the Read failed.
	Delivered int
	// Acked counts the deliveries acknowledged.
	Acked int
	// Err says why not every delivery was acknowledged (a handler error or panic, a
	// failed Read or Ack); nil when all were.
	Err error
	// Duration is the time the handler took; 0 when it did not run.
	Duration time.Duration
}

// ConsumerConfig configures a Consumer. Zero durations and sizes take the defaults.
type ConsumerConfig struct {
	// Stream and Group to consume; required.
	Stream, Group string
	// Name identifies this member of the group; required and unique within the group
	// (for example host name and process ID), since Redis tracks pending entries per
	// member.
	Name string
	// BatchSize is the most deliveries handed to the handler at once.
	BatchSize int
	// Block is how long one Read waits for new entries.
	Block time.Duration
	// MinBackoff and MaxBackoff bound the pause after a failure; the pause doubles with
	// each consecutive failure, with jitter.
	MinBackoff, MaxBackoff time.Duration
	// Observe, if set, is called after each turn of the loop, from the goroutine running
	// Run. It is a hook for metrics, not configuration from a file.
	Observe func(Observation)
}

// Defaults for ConsumerConfig.
const (
	// DefaultBatchSize amortises a round trip to Redis over many entries while keeping a
	// batch small enough to handle well within the visibility timeout.
	DefaultBatchSize = 100
	// DefaultBlock is long enough that an idle consumer costs almost nothing, short
	// enough that nothing waits on it for long; a Read returns as soon as entries come.
	DefaultBlock = 5 * time.Second
	// DefaultMinBackoff retries a transient failure (a Redis failover) quickly.
	DefaultMinBackoff = 100 * time.Millisecond
	// DefaultMaxBackoff keeps a consumer polling a restarting Redis a few times a
	// minute at worst, so it resumes soon after Redis does.
	DefaultMaxBackoff = 5 * time.Second
)

// ackTimeout bounds one Ack, which runs even after the consumer was told to stop so that
// the work already done is not redone.
const ackTimeout = 5 * time.Second

// withDefaults fills zero fields of c.
func (c ConsumerConfig) withDefaults() ConsumerConfig {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Block == 0 {
		c.Block = DefaultBlock
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	return c
}

// Validate reports what is wrong with c, once defaults are applied.
func (c ConsumerConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Stream == "" {
		errs = append(errs, errors.New("stream is empty"))
	}
	if c.Group == "" {
		errs = append(errs, errors.New("group is empty"))
	}
	if c.Name == "" {
		errs = append(errs, errors.New("name is empty"))
	}
	if c.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size %d is negative", c.BatchSize))
	}
	if c.Block < 0 {
		errs = append(errs, fmt.Errorf("block %v is negative", c.Block))
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("backoff from %v to %v, want 0 <= min <= max", c.MinBackoff, c.MaxBackoff))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("queue: consumer config: %w", err)
	}
	return nil
}

// Consumer runs one member of a consumer group: it reads batches, hands them to its
// Handler and acknowledges what the handler did. It survives the bus failing (Redis down
// or restarting) by retrying with capped exponential backoff, and a handler panicking.
//
// A Consumer is driven by one call to Run at a time; Run is its only method.
type Consumer struct {
	bus    Bus
	cfg    ConsumerConfig
	handle Handler
	log    *slog.Logger
}

// NewConsumer returns a consumer of bus that hands batches to handler. logger may be nil.
// The configuration is checked by Run.
func NewConsumer(bus Bus, cfg ConsumerConfig, handler Handler, logger *slog.Logger) *Consumer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Consumer{
		bus:    bus,
		cfg:    cfg.withDefaults(),
		handle: handler,
		log: logger.With("component", "queue.consumer",
			"stream", cfg.Stream, "group", cfg.Group, "consumer", cfg.Name),
	}
}

// Run consumes until ctx is done, then returns nil once the batch in hand is handled and
// acknowledged. Failures of the bus or the handler are logged and retried, never
// returned; only an invalid configuration is.
func (c *Consumer) Run(ctx context.Context) error {
	if err := c.cfg.Validate(); err != nil {
		return err
	}
	if c.handle == nil {
		return errors.New("queue: consumer: handler is nil")
	}
	c.log.Info("consumer started")
	defer c.log.Info("consumer stopped")
	failures := 0 // consecutive turns that acknowledged nothing because something failed
	for ctx.Err() == nil {
		o := c.turn(ctx)
		if c.cfg.Observe != nil {
			c.cfg.Observe(o)
		}
		if o.Err == nil || o.Acked > 0 {
			failures = 0
			continue
		}
		if ctx.Err() != nil {
			break
		}
		failures++
		d := c.backoff(failures)
		c.log.Warn("consumer backing off", "failures", failures, "retry_in", d, "err", o.Err)
		if !sleep(ctx, d) {
			break
		}
	}
	return nil
}

// turn reads one batch, handles it and acknowledges what succeeded.
func (c *Consumer) turn(ctx context.Context) Observation {
	o := Observation{Stream: c.cfg.Stream, Group: c.cfg.Group}
	batch, err := c.bus.Read(ctx, c.cfg.Stream, c.cfg.Group, c.cfg.Name, c.cfg.BatchSize, c.cfg.Block)
	if err != nil {
		if ctx.Err() == nil {
			o.Err = err
		}
		return o
	}
	o.Delivered = len(batch)
	if len(batch) == 0 {
		return o
	}
	start := time.Now()
	errs, err := c.call(ctx, batch)
	o.Duration = time.Since(start)

	done := make([]uint64, 0, len(batch))
	switch {
	case err != nil:
		o.Err = err
	case errs == nil:
		for _, d := range batch {
			done = append(done, d.ID)
		}
	case len(errs) != len(batch):
		o.Err = fmt.Errorf("queue: handler returned %d errors for %d deliveries", len(errs), len(batch))
		c.log.Error("handler broke its contract: failing the whole batch", "err", o.Err)
	default:
		failed := 0
		for i, e := range errs {
			if e == nil {
				done = append(done, batch[i].ID)
				continue
			}
			if failed++; o.Err == nil {
				o.Err = fmt.Errorf("queue: handle entry %d (attempt %d): %w", batch[i].ID, batch[i].Attempt, e)
			}
		}
		if failed > 0 {
			c.log.Warn("handler failed some deliveries: they will be redelivered",
				"failed", failed, "batch", len(batch), "err", o.Err)
		}
	}
	if err := c.ack(ctx, done); err != nil {
		o.Err = errors.Join(o.Err, err)
		return o
	}
	o.Acked = len(done)
	return o
}

// call runs the handler, turning a panic into an error.
func (c *Consumer) call(ctx context.Context, batch []Delivery) (errs []error, err error) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("handler panicked: the batch will be redelivered",
				"panic", fmt.Sprint(r), "batch", len(batch), "stack", string(debug.Stack()))
			err = fmt.Errorf("queue: handler panicked: %v", r)
		}
	}()
	return c.handle(ctx, batch), nil
}

// ack acknowledges ids, retrying with backoff while ctx lasts. Each attempt has its own
// timeout and ignores ctx's cancellation, so a stopping consumer still acknowledges the
// batch it finished.
func (c *Consumer) ack(ctx context.Context, ids []uint64) error {
	if len(ids) == 0 {
		return nil
	}
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ackTimeout)
		err := c.bus.Ack(actx, c.cfg.Stream, c.cfg.Group, ids...)
		cancel()
		if err == nil {
			return nil
		}
		d := c.backoff(attempt)
		c.log.Warn("ack failed: retrying", "attempt", attempt, "retry_in", d, "err", err)
		if !sleep(ctx, d) {
			c.log.Warn("stopping with unacknowledged work: it will be redelivered", "entries", len(ids))
			return err
		}
	}
}

// backoff returns the pause after n consecutive failures: MinBackoff doubled n-1 times,
// capped at MaxBackoff, then drawn uniformly from its upper half so that consumers that
// failed together do not retry together.
func (c *Consumer) backoff(n int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 1; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d, or until ctx is done; it reports whether it slept the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
