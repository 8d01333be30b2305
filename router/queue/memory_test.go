package queue_test

import (
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/queue/queuetest"
)

// newMemory is the queuetest factory of MemoryBus.
func newMemory(t *testing.T, opts queue.Options) queue.Bus {
	b := queue.NewMemory(opts)
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestMemoryConformance(t *testing.T) {
	queuetest.RunInBubble(t, newMemory)
}

// TestMemoryPayloadIsCopied checks that a publisher may reuse its buffer.
func TestMemoryPayloadIsCopied(t *testing.T) {
	b := queue.NewMemory(queue.Options{})
	buf := []byte("first")
	if err := b.Publish(t.Context(), "s", queue.Message{ID: 1, Type: "t", Payload: buf}); err != nil {
		t.Fatalf("Publish = %v", err)
	}
	copy(buf, "XXXXX")
	ds, err := b.Read(t.Context(), "s", "g", "c", 1, 0)
	if err != nil || len(ds) != 1 || string(ds[0].Payload) != "first" {
		t.Fatalf("Read after the publisher reused its buffer = %+v, %v; want payload %q", ds, err, "first")
	}
}

// TestMemoryClose checks that Close wakes a blocked Read and fails later calls.
func TestMemoryClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := queue.NewMemory(queue.Options{})
		errc := make(chan error, 1)
		go func() {
			_, err := b.Read(t.Context(), "s", "g", "c", 1, time.Hour)
			errc <- err
		}()
		synctest.Wait() // the reader is blocked
		if err := b.Close(); err != nil {
			t.Fatalf("Close() = %v", err)
		}
		if err := <-errc; !errors.Is(err, queue.ErrClosed) {
			t.Fatalf("blocked Read after Close = %v, want ErrClosed", err)
		}
		if err := b.Close(); err != nil {
			t.Fatalf("second Close() = %v, want nil", err)
		}
		calls := map[string]error{
			"Publish":     b.Publish(t.Context(), "s", queue.Message{ID: 1}),
			"EnsureGroup": b.EnsureGroup(t.Context(), "s", "g"),
			"Ack":         b.Ack(t.Context(), "s", "g", 1),
			"Trim":        b.Trim(t.Context(), "s", 1),
			"Ping":        b.Ping(t.Context()),
		}
		for name, err := range calls {
			if !errors.Is(err, queue.ErrClosed) {
				t.Errorf("%s after Close = %v, want ErrClosed", name, err)
			}
		}
	})
}
