package queue_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/queue/queuetest"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

// newRedis is the queuetest factory of RedisBus: a fresh Redis (or key prefix) per bus.
func newRedis(t *testing.T, opts queue.Options) queue.Bus {
	s := redistest.New(t)
	return queue.NewRedis(s.Client(t), s.Prefix, opts, testLogger(t))
}

// testLogger logs through t, so a failing test shows what the bus said.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tWriter writes log lines to t.Log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func TestRedisConformance(t *testing.T) {
	queuetest.Run(t, newRedis)
}

// ackRecorder is a Bus that records the IDs of every successful Ack.
type ackRecorder struct {
	queue.Bus
	mu    sync.Mutex
	acked map[uint64]int
}

func (r *ackRecorder) Ack(ctx context.Context, stream, group string, ids ...uint64) error {
	err := r.Bus.Ack(ctx, stream, group, ids...)
	if err == nil {
		r.mu.Lock()
		for _, id := range ids {
			r.acked[id]++
		}
		r.mu.Unlock()
	}
	return err
}

// count returns how many distinct IDs were acknowledged.
func (r *ackRecorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.acked)
}

// eventually polls cond until it holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting after %v for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noRetryClient returns a client of srv that does not retry failed commands itself, so
// that an outage reaches the bus and the consumer instead of hiding in go-redis.
func noRetryClient(t *testing.T, srv *redistest.Server) *redis.Client {
	opt, err := redis.ParseURL(srv.URL)
	if err != nil {
		t.Fatalf("ParseURL(%q) = %v", srv.URL, err)
	}
	opt.MaxRetries = -1
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// restartConfig is a consumer configuration that retries quickly, for restart tests.
func restartConfig(name string) queue.ConsumerConfig {
	return queue.ConsumerConfig{
		Stream: testStream, Group: testGroup, Name: name, BatchSize: 50,
		Block: 200 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
	}
}

// messages returns the messages with IDs lo..hi.
func messages(lo, hi uint64) []queue.Message {
	var msgs []queue.Message
	for id := lo; id <= hi; id++ {
		msgs = append(msgs, queue.Message{ID: id, Type: "test.event", Payload: fmt.Appendf(nil, `{"n":%d}`, id)})
	}
	return msgs
}

// TestRedisRestartWithAppendOnly kills and restarts a Redis that fsyncs every write while
// a relay publishes and two consumers consume: every entry whose Publish succeeded is
// handled and acknowledged, and the stream holds each once.
func TestRedisRestartWithAppendOnly(t *testing.T) {
	srv := redistest.NewOwn(t, redistest.Options{AppendOnly: true})
	rc := noRetryClient(t, srv)
	logger := testLogger(t)
	bus := queue.NewRedis(rc, srv.Prefix, queue.Options{VisibilityTimeout: 2 * time.Second}, logger)
	rec := &ackRecorder{Bus: bus, acked: map[uint64]int{}}
	const n, batch = 3000, 50

	var handled sync.Map // ID -> deliveries (*atomic.Int64)
	handler := func(_ context.Context, ds []queue.Delivery) []error {
		for _, d := range ds {
			c, _ := handled.LoadOrStore(d.ID, new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
		}
		time.Sleep(2 * time.Millisecond) // some work, so consumption spans the restart
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, name := range []string{"c1", "c2"} {
		c := queue.NewConsumer(rec, restartConfig(name), handler, logger)
		wg.Go(func() {
			if err := c.Run(ctx); err != nil {
				t.Errorf("Run(%s) = %v, want nil", name, err)
			}
		})
	}
	defer func() { cancel(); wg.Wait() }()

	// The relay: publish each batch until Publish succeeds, as the outbox relay does.
	published := make(chan struct{})
	wg.Go(func() {
		defer close(published)
		for lo := uint64(1); lo <= n; lo += batch {
			for ctx.Err() == nil {
				if err := bus.Publish(ctx, testStream, messages(lo, min(lo+batch-1, n))...); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			time.Sleep(time.Millisecond)
		}
	})

	eventually(t, 20*time.Second, "a third of the entries to be acknowledged", func() bool { return rec.count() >= n/3 })
	// Down for longer than go-redis retries a dial (5 x 100ms), so the failures reach the
	// bus and the consumers, as a real restart's do.
	srv.Stop(t)
	time.Sleep(time.Second)
	srv.Start(t)
	t.Logf("restarted Redis with %d of %d entries acknowledged", rec.count(), n)
	<-published
	eventually(t, 30*time.Second, "every entry to be acknowledged", func() bool { return rec.count() == n })

	// A relay unsure of what went through republishes everything: nothing doubles.
	if err := bus.Publish(t.Context(), testStream, messages(1, n)...); err != nil {
		t.Fatalf("republish 1..%d = %v", n, err)
	}
	if l, err := rc.XLen(t.Context(), srv.Prefix+testStream).Result(); err != nil || l != n {
		t.Fatalf("XLEN = %d, %v; want %d entries, each once", l, err, n)
	}
	cancel()
	wg.Wait()

	redelivered := 0
	for id := uint64(1); id <= n; id++ {
		c, ok := handled.Load(id)
		if !ok {
			t.Fatalf("entry %d was never handled", id)
		}
		redelivered += int(c.(*atomic.Int64).Load()) - 1
	}
	t.Logf("%d deliveries repeated across the restart (at-least-once)", redelivered)
	if st, err := bus.Stats(t.Context(), testStream, testGroup); err != nil || st != (queue.GroupStats{}) {
		t.Errorf("Stats after everything was acknowledged = %+v, %v; want zero", st, err)
	}
	if w, err := bus.Watermark(t.Context(), testStream, testGroup); err != nil || w != n+1 {
		t.Errorf("Watermark = %d, %v; want %d", w, err, n+1)
	}
	if id, err := bus.LastID(t.Context(), testStream); err != nil || id != n {
		t.Errorf("LastID = %d, %v; want %d", id, err, n)
	}
}

// TestRedisRestartWithoutPersistence restarts a Redis that keeps nothing: LastID drops to
// 0 so the relay can tell and republish, the consumer recreates its group on NOGROUP and
// carries on, and nothing crashes.
func TestRedisRestartWithoutPersistence(t *testing.T) {
	srv := redistest.NewOwn(t, redistest.Options{})
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	bus := queue.NewRedis(noRetryClient(t, srv), srv.Prefix, queue.Options{VisibilityTimeout: time.Second}, logger)
	rec := &ackRecorder{Bus: bus, acked: map[uint64]int{}}
	var handled atomic.Int64
	handler := func(_ context.Context, ds []queue.Delivery) []error {
		handled.Add(int64(len(ds)))
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- queue.NewConsumer(rec, restartConfig("c1"), handler, logger).Run(ctx) }()
	defer func() {
		cancel()
		if err := <-runErr; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
	}()

	if err := bus.Publish(t.Context(), testStream, messages(1, 10)...); err != nil {
		t.Fatalf("Publish(1..10) = %v", err)
	}
	watermark := func() uint64 {
		w, err := bus.Watermark(t.Context(), testStream, testGroup)
		if err != nil {
			t.Fatalf("Watermark = %v", err)
		}
		return w
	}
	eventually(t, 10*time.Second, "entries 1..10 to be acknowledged", func() bool { return watermark() == 11 })

	srv.Restart(t)
	if id, err := bus.LastID(t.Context(), testStream); err != nil || id != 0 {
		t.Fatalf("LastID after losing Redis's data = %d, %v; want 0 so the relay republishes", id, err)
	}
	eventually(t, 10*time.Second, "the consumer to recreate its group", func() bool { return watermark() == 1 })

	// The relay sees LastID 0 below its own last ID and republishes, then goes on.
	if err := bus.Publish(t.Context(), testStream, messages(1, 15)...); err != nil {
		t.Fatalf("republish 1..15 = %v", err)
	}
	eventually(t, 10*time.Second, "entries 1..15 to be acknowledged", func() bool { return watermark() == 16 })
	if got := handled.Load(); got != 25 {
		t.Errorf("handler got %d deliveries, want 25 (1..10 twice, at-least-once, and 11..15)", got)
	}
	if !strings.Contains(logs.String(), "consumer group missing") {
		t.Errorf("logs = %s\nwant a line saying the group was recreated", logs.String())
	}
}
