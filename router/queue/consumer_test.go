package queue_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// The consumer tests run in synctest bubbles over a MemoryBus: visibility timeouts,
// blocking reads and backoff pauses all pass on the fake clock.

const testStream, testGroup = "events", "router"

// recorder is a Handler that records what it was given and answers with decide.
type recorder struct {
	mu      sync.Mutex
	batches [][]queue.Delivery
	decide  func(call int, batch []queue.Delivery) []error
}

func (r *recorder) handle(_ context.Context, batch []queue.Delivery) []error {
	r.mu.Lock()
	call := len(r.batches)
	r.batches = append(r.batches, batch)
	r.mu.Unlock()
	if r.decide == nil {
		return nil
	}
	return r.decide(call, batch)
}

// seen returns how many times each ID was handed over.
func (r *recorder) seen() map[uint64]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[uint64]int{}
	for _, b := range r.batches {
		for _, d := range b {
			m[d.ID]++
		}
	}
	return m
}

// observations collects what Observe reports.
type observations struct {
	mu  sync.Mutex
	all []queue.Observation
}

func (o *observations) observe(ob queue.Observation) {
	o.mu.Lock()
	o.all = append(o.all, ob)
	o.mu.Unlock()
}

// totals sums deliveries and acknowledgements, and counts failed turns.
func (o *observations) totals() (delivered, acked, failed int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ob := range o.all {
		delivered += ob.Delivered
		acked += ob.Acked
		if ob.Err != nil {
			failed++
		}
	}
	return delivered, acked, failed
}

// logBuffer is a goroutine-safe log destination.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// publishRange publishes IDs lo..hi to testStream.
func publishRange(t *testing.T, bus queue.Bus, lo, hi uint64) {
	t.Helper()
	var msgs []queue.Message
	for id := lo; id <= hi; id++ {
		msgs = append(msgs, queue.Message{ID: id, Type: "test.event", Payload: fmt.Appendf(nil, "%d", id)})
	}
	if err := bus.Publish(t.Context(), testStream, msgs...); err != nil {
		t.Fatalf("Publish(%d..%d) = %v", lo, hi, err)
	}
}

// startConsumer runs c until the returned stop is called; stop fails the test unless Run
// returns nil.
func startConsumer(t *testing.T, c *queue.Consumer) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	return func() {
		t.Helper()
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("Run after cancel = %v, want nil", err)
		}
	}
}

// config returns a valid consumer configuration.
func config(o *observations) queue.ConsumerConfig {
	cfg := queue.ConsumerConfig{Stream: testStream, Group: testGroup, Name: "c1", BatchSize: 100}
	if o != nil {
		cfg.Observe = o.observe
	}
	return cfg
}

// wantWatermark fails the test unless the group's watermark is want.
func wantWatermark(t *testing.T, bus queue.Bus, want uint64) {
	t.Helper()
	if w, err := bus.Watermark(t.Context(), testStream, testGroup); err != nil || w != want {
		t.Fatalf("Watermark = %d, %v; want %d, nil", w, err, want)
	}
}

func TestConsumerHandlesAndAcknowledges(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := queue.NewMemory(queue.Options{})
		var rec recorder
		var obs observations
		stop := startConsumer(t, queue.NewConsumer(bus, config(&obs), rec.handle, nil))
		publishRange(t, bus, 1, 250)
		synctest.Wait() // the consumer is blocked in Read again: everything is handled
		publishRange(t, bus, 251, 260)
		synctest.Wait()
		stop()

		wantWatermark(t, bus, 261)
		for id := uint64(1); id <= 260; id++ {
			if n := rec.seen()[id]; n != 1 {
				t.Errorf("handler got entry %d %d times, want once", id, n)
			}
		}
		for i, b := range rec.batches {
			if len(b) > 100 {
				t.Errorf("batch %d has %d deliveries, want at most BatchSize 100", i, len(b))
			}
		}
		if d, a, f := obs.totals(); d != 260 || a != 260 || f != 0 {
			t.Errorf("Observe totals: delivered %d, acked %d, failed turns %d; want 260, 260, 0", d, a, f)
		}
	})
}

func TestConsumerRedeliversWhatFailed(t *testing.T) {
	const vt = 10 * time.Second
	cases := []struct {
		name    string
		decide  func(call int, batch []queue.Delivery) []error
		wantLog string
	}{
		{"one delivery fails", func(call int, batch []queue.Delivery) []error {
			errs := make([]error, len(batch))
			for i, d := range batch {
				if d.ID == 3 && d.Attempt == 1 {
					errs[i] = errors.New("database is busy")
				}
			}
			return errs
		}, "database is busy"},
		{"handler panics", func(call int, batch []queue.Delivery) []error {
			if call == 0 {
				panic("nil map somewhere")
			}
			return nil
		}, "handler panicked"},
		{"wrong number of errors", func(call int, batch []queue.Delivery) []error {
			if call == 0 {
				return []error{nil}
			}
			return nil
		}, "handler broke its contract"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bus := queue.NewMemory(queue.Options{VisibilityTimeout: vt})
				var logs logBuffer
				logger := slog.New(slog.NewJSONHandler(&logs, nil))
				rec := recorder{decide: c.decide}
				var obs observations
				stop := startConsumer(t, queue.NewConsumer(bus, config(&obs), rec.handle, logger))
				publishRange(t, bus, 1, 5)
				synctest.Wait()
				if w, _ := bus.Watermark(t.Context(), testStream, testGroup); w == 6 {
					t.Fatalf("Watermark = 6 right after a failure, want the failed entries pending")
				}
				time.Sleep(vt + time.Second) // a visibility timeout, on the fake clock
				synctest.Wait()
				stop()

				wantWatermark(t, bus, 6)
				if _, _, f := obs.totals(); f != 1 {
					t.Errorf("Observe saw %d failed turns, want 1", f)
				}
				if got := logs.String(); !strings.Contains(got, c.wantLog) || !strings.Contains(got, `"component":"queue.consumer"`) {
					t.Errorf("logs = %s\nwant a queue.consumer line mentioning %q", got, c.wantLog)
				}
				last := rec.batches[len(rec.batches)-1]
				for _, d := range last {
					if d.Attempt != 2 {
						t.Errorf("redelivered entry %d has Attempt %d, want 2", d.ID, d.Attempt)
					}
				}
			})
		})
	}
}

// flakyBus is a Bus whose Read and Ack fail a given number of times first. Like a bus
// over the network, it fails once the context is done.
type flakyBus struct {
	queue.Bus
	mu        sync.Mutex
	readFails int
	ackFails  int
	reads     []time.Time // when each Read was called
	acks      int
}

func (b *flakyBus) Read(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]queue.Delivery, error) {
	b.mu.Lock()
	b.reads = append(b.reads, time.Now())
	fail := b.readFails > 0
	b.readFails--
	b.mu.Unlock()
	if fail {
		return nil, errors.New("dial tcp 127.0.0.1:6379: connection refused")
	}
	return b.Bus.Read(ctx, stream, group, consumer, max, block)
}

func (b *flakyBus) Ack(ctx context.Context, stream, group string, ids ...uint64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	b.acks++
	fail := b.ackFails > 0
	b.ackFails--
	b.mu.Unlock()
	if fail {
		return errors.New("i/o timeout")
	}
	return b.Bus.Ack(ctx, stream, group, ids...)
}

func TestConsumerBacksOffWhileTheBusFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := &flakyBus{Bus: queue.NewMemory(queue.Options{}), readFails: 7}
		cfg := config(nil)
		cfg.MinBackoff, cfg.MaxBackoff = 100*time.Millisecond, time.Second
		var rec recorder
		publishRange(t, bus, 1, 3)
		stop := startConsumer(t, queue.NewConsumer(bus, cfg, rec.handle, nil))
		time.Sleep(time.Minute)
		synctest.Wait()
		stop()

		// Pause after the nth failure: within [d/2, d], d = min(100ms * 2^(n-1), 1s).
		caps := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
		if len(bus.reads) < len(caps)+1 {
			t.Fatalf("Read called %d times, want at least %d", len(bus.reads), len(caps)+1)
		}
		for i, c := range caps {
			d := c * time.Millisecond
			if gap := bus.reads[i+1].Sub(bus.reads[i]); gap < d/2 || gap > d {
				t.Errorf("pause after failure %d = %v, want within [%v, %v]", i+1, gap, d/2, d)
			}
		}
		wantWatermark(t, bus, 4)
	})
}

func TestConsumerRetriesAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := &flakyBus{Bus: queue.NewMemory(queue.Options{}), ackFails: 2}
		var rec recorder
		stop := startConsumer(t, queue.NewConsumer(bus, config(nil), rec.handle, nil))
		publishRange(t, bus, 1, 3)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		stop()
		wantWatermark(t, bus, 4)
		if bus.acks != 3 {
			t.Errorf("Ack called %d times, want 3 (two failures, then success)", bus.acks)
		}
		if len(rec.batches) != 1 {
			t.Errorf("handler called %d times, want once: a retried Ack must not redeliver", len(rec.batches))
		}
	})
}

func TestConsumerStops(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, bus *flakyBus, cancel context.CancelFunc) queue.Handler
		// wantAcked is whether entry 1 is acknowledged once Run has returned.
		wantAcked bool
	}{
		{"while blocked in Read", func(t *testing.T, bus *flakyBus, cancel context.CancelFunc) queue.Handler {
			time.AfterFunc(time.Second, cancel)
			return func(context.Context, []queue.Delivery) []error { return nil }
		}, false},
		{"while backing off", func(t *testing.T, bus *flakyBus, cancel context.CancelFunc) queue.Handler {
			bus.readFails = 1000
			time.AfterFunc(time.Second, cancel)
			return func(context.Context, []queue.Delivery) []error { return nil }
		}, false},
		{"while handling: finished work is acknowledged", func(t *testing.T, bus *flakyBus, cancel context.CancelFunc) queue.Handler {
			publishRange(t, bus, 1, 1)
			return func(ctx context.Context, batch []queue.Delivery) []error {
				cancel()
				<-ctx.Done()
				return nil
			}
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				bus := &flakyBus{Bus: queue.NewMemory(queue.Options{})}
				ctx, cancel := context.WithCancel(t.Context())
				handler := c.setup(t, bus, cancel)
				cfg := config(nil)
				cfg.Block = time.Hour
				start := time.Now()
				if err := queue.NewConsumer(bus, cfg, handler, nil).Run(ctx); err != nil {
					t.Fatalf("Run = %v, want nil after cancel", err)
				}
				if elapsed := time.Since(start); elapsed > 2*time.Second {
					t.Errorf("Run returned %v after start, want soon after the cancel at 1s", elapsed)
				}
				w, _ := bus.Watermark(t.Context(), testStream, testGroup)
				if acked := w == 2; acked != c.wantAcked {
					t.Errorf("after Run, watermark = %d; want entry 1 acknowledged: %v", w, c.wantAcked)
				}
			})
		})
	}
}

func TestConsumerConfig(t *testing.T) {
	valid := config(nil)
	cases := []struct {
		name    string
		edit    func(*queue.ConsumerConfig)
		wantErr string // "" for valid
	}{
		{"valid", func(*queue.ConsumerConfig) {}, ""},
		{"defaults only", func(c *queue.ConsumerConfig) { c.BatchSize, c.Block = 0, 0 }, ""},
		{"no stream", func(c *queue.ConsumerConfig) { c.Stream = "" }, "stream is empty"},
		{"no group", func(c *queue.ConsumerConfig) { c.Group = "" }, "group is empty"},
		{"no name", func(c *queue.ConsumerConfig) { c.Name = "" }, "name is empty"},
		{"negative batch", func(c *queue.ConsumerConfig) { c.BatchSize = -1 }, "batch size"},
		{"negative block", func(c *queue.ConsumerConfig) { c.Block = -time.Second }, "block"},
		{"max below min", func(c *queue.ConsumerConfig) { c.MinBackoff, c.MaxBackoff = time.Second, time.Millisecond }, "backoff"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := valid
			c.edit(&cfg)
			err := cfg.Validate()
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("Validate() = %v, want an error mentioning %q", err, c.wantErr)
			}
			runErr := queue.NewConsumer(queue.NewMemory(queue.Options{}), cfg, func(context.Context, []queue.Delivery) []error { return nil }, nil).Run(t.Context())
			if runErr == nil {
				t.Fatalf("Run with an invalid config = nil, want %v", err)
			}
		})
	}
	if err := queue.NewConsumer(queue.NewMemory(queue.Options{}), valid, nil, nil).Run(t.Context()); err == nil {
		t.Errorf("Run with a nil handler = nil, want an error")
	}
}

// TestConsumersShareAGroup runs several consumers of one group, as several instances do.
func TestConsumersShareAGroup(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bus := queue.NewMemory(queue.Options{})
		var rec recorder
		var stops []func()
		for i := range 3 {
			cfg := config(nil)
			cfg.Name, cfg.BatchSize = fmt.Sprintf("c%d", i), 7
			stops = append(stops, startConsumer(t, queue.NewConsumer(bus, cfg, rec.handle, nil)))
		}
		publishRange(t, bus, 1, 500)
		synctest.Wait()
		for _, stop := range stops {
			stop()
		}
		wantWatermark(t, bus, 501)
		seen := rec.seen()
		var ids []uint64
		for id, n := range seen {
			if n != 1 {
				t.Errorf("entry %d handled %d times, want once", id, n)
			}
			ids = append(ids, id)
		}
		if slices.Sort(ids); len(ids) != 500 || ids[0] != 1 || ids[499] != 500 {
			t.Errorf("handled %d distinct entries, want 1..500", len(ids))
		}
	})
}
