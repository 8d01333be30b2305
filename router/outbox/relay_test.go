package outbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// source is an in-memory outbox.
type source struct {
	mu   sync.Mutex
	recs []inbox.OutboxRecord
	next uint64
	fail atomic.Int32 // fail the next n reads
}

func (s *source) add(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.next++
		s.recs = append(s.recs, inbox.OutboxRecord{ID: s.next, Stream: inbox.Stream, Type: "message.created", Payload: []byte(`{}`)})
	}
}

func (s *source) OutboxAfter(_ context.Context, after uint64, limit int) ([]inbox.OutboxRecord, error) {
	if s.fail.Load() > 0 {
		s.fail.Add(-1)
		return nil, errors.New("disk I/O error")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []inbox.OutboxRecord
	for _, r := range s.recs {
		if r.ID > after && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (s *source) DeleteOutboxBelow(_ context.Context, id uint64) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keep []inbox.OutboxRecord
	for _, r := range s.recs {
		if r.ID >= id {
			keep = append(keep, r)
		}
	}
	n := len(s.recs) - len(keep)
	s.recs = keep
	return int64(n), nil
}

func (s *source) ids() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []uint64
	for _, r := range s.recs {
		out = append(out, r.ID)
	}
	return out
}

// resettable is a bus that can lose everything, like a Redis without persistence
// restarting.
type resettable struct {
	mu  sync.Mutex
	bus *queue.MemoryBus
}

func (r *resettable) get() *queue.MemoryBus { r.mu.Lock(); defer r.mu.Unlock(); return r.bus }
func (r *resettable) reset()                { r.mu.Lock(); r.bus = queue.NewMemory(queue.Options{}); r.mu.Unlock() }
func (r *resettable) PublishAfter(ctx context.Context, s string, after uint64, m ...queue.Message) error {
	return r.get().PublishAfter(ctx, s, after, m...)
}
func (r *resettable) EnsureGroup(ctx context.Context, s, g string) error {
	return r.get().EnsureGroup(ctx, s, g)
}
func (r *resettable) Watermark(ctx context.Context, s, g string) (uint64, error) {
	return r.get().Watermark(ctx, s, g)
}
func (r *resettable) LastID(ctx context.Context, s string) (uint64, error) {
	return r.get().LastID(ctx, s)
}
func (r *resettable) Trim(ctx context.Context, s string, below uint64) error {
	return r.get().Trim(ctx, s, below)
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// drain reads and acknowledges everything group has, returning the ids.
func drain(t *testing.T, bus queue.Bus, group string) []uint64 {
	t.Helper()
	var ids []uint64
	for {
		ds, err := bus.Read(context.Background(), inbox.Stream, group, "c1", 100, 0)
		if err != nil {
			t.Fatalf("Read(%s) = %v", group, err)
		}
		if len(ds) == 0 {
			return ids
		}
		for _, d := range ds {
			ids = append(ids, d.ID)
			if err := bus.Ack(context.Background(), inbox.Stream, group, d.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestRelayPublishesKeepsAndDeletes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &source{}
		bus := queue.NewMemory(queue.Options{})
		wake := make(chan struct{}, 1)
		r := New(src, bus, Config{Groups: []string{"router", "outbound"}, Batch: 7, Wake: wake}, quiet)
		done := make(chan error)
		go func() { done <- r.Run(ctx) }()

		src.add(20)
		wake <- struct{}{}
		synctest.Wait()
		if got := r.Stats().Published; got != 20 {
			t.Fatalf("Published = %d after 20 records, want 20", got)
		}
		if got := drain(t, bus, "router"); len(got) != 20 || got[0] != 1 || got[19] != 20 {
			t.Fatalf("router group got %v, want ids 1..20 in order", got)
		}
		time.Sleep(2 * DefaultCleanEvery)
		synctest.Wait()
		if n := len(src.ids()); n != 20 {
			t.Fatalf("%d records kept while outbound has acknowledged nothing, want 20", n)
		}
		outbound := drain(t, bus, "outbound")
		if len(outbound) != 20 {
			t.Fatalf("outbound group got %d events, want 20", len(outbound))
		}
		time.Sleep(2 * DefaultCleanEvery)
		synctest.Wait()
		if ids := src.ids(); len(ids) != 0 {
			t.Fatalf("records %v kept after every group acknowledged them, want none", ids)
		}
		if got := r.Stats().Retained; got != 0 {
			t.Fatalf("Retained = %d, want 0", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil on cancel", err)
		}
	})
}

func TestRelayRestartDoesNotDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &source{}
		bus := queue.NewMemory(queue.Options{})
		src.add(10)
		for range 2 { // the second relay plays a restarted process
			ctx, cancel := context.WithCancel(context.Background())
			r := New(src, bus, Config{Groups: []string{"g"}}, quiet)
			go r.Run(ctx)
			time.Sleep(time.Second)
			synctest.Wait()
			cancel()
			synctest.Wait()
		}
		if got := drain(t, bus, "g"); len(got) != 10 {
			t.Fatalf("after a restart the group got %d events, want 10 (no duplicate)", len(got))
		}
	})
}

func TestRelayRepublishesAfterBusLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &source{}
		bus := &resettable{bus: queue.NewMemory(queue.Options{})}
		r := New(src, bus, Config{Groups: []string{"fast", "slow"}}, quiet)
		go r.Run(ctx)
		src.add(12)
		time.Sleep(time.Second)
		synctest.Wait()
		drain(t, bus.get(), "fast")
		drain(t, bus.get(), "slow")
		src.add(5) // 13..17, not yet consumed when the bus loses everything
		time.Sleep(time.Second)
		synctest.Wait()
		if ids := src.ids(); len(ids) != 5 || ids[0] != 13 {
			t.Fatalf("store keeps %v before the loss, want 13..17", ids)
		}
		bus.reset()
		time.Sleep(3 * DefaultCleanEvery)
		synctest.Wait()
		for _, g := range []string{"fast", "slow"} {
			got := drain(t, bus.get(), g)
			if len(got) != 5 || got[0] != 13 || got[4] != 17 {
				t.Fatalf("after the bus lost its data group %s got %v, want 13..17", g, got)
			}
		}
	})
}

func TestRelayRetriesStoreErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &source{}
		src.add(3)
		src.fail.Store(4)
		bus := queue.NewMemory(queue.Options{})
		r := New(src, bus, Config{Groups: []string{"g"}}, quiet)
		go r.Run(ctx)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := drain(t, bus, "g"); len(got) != 3 {
			t.Fatalf("after 4 failed reads the group got %d events, want 3", len(got))
		}
	})
}

func TestRelayKeepsEverythingWithoutGroups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		src := &source{}
		src.add(4)
		r := New(src, queue.NewMemory(queue.Options{}), Config{}, quiet)
		go r.Run(ctx)
		time.Sleep(5 * time.Second)
		synctest.Wait()
		if n := len(src.ids()); n != 4 {
			t.Fatalf("%d records kept with no consumer group configured, want all 4", n)
		}
	})
}
