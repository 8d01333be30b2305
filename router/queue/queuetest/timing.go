package queuetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// testRedelivery: an entry left unacknowledged past the visibility timeout goes to the
// next Read of any consumer, before new entries, with Attempt incremented.
func testRedelivery(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{VisibilityTimeout: visibility, MaxAttempts: 5})
	publish(t, bus, stream, span(1, 3)...)
	equalIDs(t, "Read(a)", ids(read(t, bus, "g", "a", 3, 0)), span(1, 3))
	ack(t, bus, "g", 2)
	equalIDs(t, "Read(b) before the visibility timeout", ids(read(t, bus, "g", "b", 10, 0)), nil)

	publish(t, bus, stream, 4)
	time.Sleep(staleWait) // the contract is about time passing: nothing to poll for
	got := read(t, bus, "g", "b", 10, 0)
	want := []attempt{{1, 2}, {3, 2}, {4, 1}}
	if !slices.Equal(attempts(got), want) {
		t.Fatalf("Read(b) after the visibility timeout = %v, want %v (stale first, then new)", attempts(got), want)
	}
	checkBodies(t, got)
	ack(t, bus, "g", 1, 4)
	equalIDs(t, "Read(a) right after a redelivery", ids(read(t, bus, "g", "a", 10, 0)), nil)

	time.Sleep(staleWait)
	got = read(t, bus, "g", "a", 10, 0)
	if want := []attempt{{3, 3}}; !slices.Equal(attempts(got), want) {
		t.Fatalf("Read(a) after a second timeout = %v, want %v", attempts(got), want)
	}
	ack(t, bus, "g", 3)
	if got := watermark(t, bus, "g"); got != 5 {
		t.Fatalf("Watermark after acknowledging everything = %d, want 5", got)
	}

	// A blocked Read picks up an entry that turns stale while it waits.
	publish(t, bus, stream, 5)
	equalIDs(t, "Read(a)", ids(read(t, bus, "g", "a", 10, 0)), []uint64{5})
	start := time.Now()
	got = read(t, bus, "g", "b", 10, patience)
	if want := []attempt{{5, 2}}; !slices.Equal(attempts(got), want) {
		t.Fatalf("blocking Read(b) = %v after %v, want %v", attempts(got), time.Since(start), want)
	}
}

// testDeadLetter: after MaxAttempts deliveries an entry moves to the dead letters, is
// acknowledged for its group, and stops coming back.
func testDeadLetter(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{VisibilityTimeout: visibility, MaxAttempts: 2})
	ctx := t.Context()
	if dl, err := bus.DeadLetters(ctx, stream, 10); err != nil || len(dl) != 0 {
		t.Fatalf("DeadLetters(new stream) = %v, %v; want none, nil", dl, err)
	}
	publish(t, bus, stream, 1, 2, 3)
	equalIDs(t, "Read", ids(read(t, bus, "g", "c", 10, 0)), []uint64{1, 2, 3})
	ack(t, bus, "g", 2)
	time.Sleep(staleWait)
	if got, want := attempts(read(t, bus, "g", "c", 10, 0)), []attempt{{1, 2}, {3, 2}}; !slices.Equal(got, want) {
		t.Fatalf("Read after one timeout = %v, want %v", got, want)
	}
	time.Sleep(staleWait)
	equalIDs(t, "Read after MaxAttempts deliveries", ids(read(t, bus, "g", "c", 10, 0)), nil)

	dl, err := bus.DeadLetters(ctx, stream, 10)
	if err != nil {
		t.Fatalf("DeadLetters = %v", err)
	}
	if want := []attempt{{1, 2}, {3, 2}}; !slices.Equal(attempts(dl), want) {
		t.Fatalf("DeadLetters = %v, want %v", attempts(dl), want)
	}
	checkBodies(t, dl)
	if dl, err := bus.DeadLetters(ctx, stream, 1); err != nil || !slices.Equal(ids(dl), []uint64{1}) {
		t.Fatalf("DeadLetters(max 1) = IDs %v, %v; want [1], nil", ids(dl), err)
	}
	if st, err := bus.Stats(ctx, stream, "g"); err != nil || st != (queue.GroupStats{}) {
		t.Fatalf("Stats after dead-lettering = %+v, %v; want zero", st, err)
	}
	if got := watermark(t, bus, "g"); got != 4 {
		t.Fatalf("Watermark after dead-lettering = %d, want 4", got)
	}
	// Another group is not affected.
	got := read(t, bus, "other", "c", 10, 0)
	if want := []attempt{{1, 1}, {2, 1}, {3, 1}}; !slices.Equal(attempts(got), want) {
		t.Fatalf("Read(other group) = %v, want %v", attempts(got), want)
	}
	// The dead letter keeps the body even once the stream is trimmed.
	if err := bus.Trim(ctx, stream, 4); err != nil {
		t.Fatalf("Trim = %v", err)
	}
	dl, err = bus.DeadLetters(ctx, stream, 10)
	if err != nil || len(dl) != 2 || !bytes.Equal(dl[0].Payload, msg(1).Payload) {
		t.Fatalf("DeadLetters after Trim = %+v, %v; want entries 1 and 3 with their bodies", dl, err)
	}
}

// testBlockingRead: Read waits for a publish and returns as soon as it comes, or returns
// empty after block.
func testBlockingRead(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	if err := bus.EnsureGroup(t.Context(), stream, "g"); err != nil {
		t.Fatalf("EnsureGroup = %v", err)
	}
	const block = 300 * time.Millisecond
	start := time.Now()
	got := read(t, bus, "g", "c", 10, block)
	if elapsed := time.Since(start); len(got) != 0 || elapsed < block*3/4 {
		t.Fatalf("Read(block %v) on an empty stream = IDs %v after %v, want none after about %v", block, ids(got), elapsed, block)
	}

	type result struct {
		ds      []queue.Delivery
		err     error
		elapsed time.Duration
	}
	done := make(chan result, 1)
	start = time.Now()
	go func() {
		ds, err := bus.Read(t.Context(), stream, "g", "c", 10, patience)
		done <- result{ds, err, time.Since(start)}
	}()
	time.Sleep(50 * time.Millisecond) // let the reader block; if it has not, it reads at once anyway
	publish(t, bus, stream, 1, 2)
	r := <-done
	if r.err != nil || len(r.ds) == 0 || r.ds[0].ID != 1 {
		t.Fatalf("blocked Read = IDs %v, %v; want [1 ...], nil", ids(r.ds), r.err)
	}
	if r.elapsed > patience/2 {
		t.Fatalf("blocked Read returned after %v, want soon after the publish at 50ms", r.elapsed)
	}
}

// testReadContext: Read gives up, with ctx's error, when its context ends.
func testReadContext(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	publish(t, bus, stream, 1)

	canceled, cancel := context.WithCancel(t.Context())
	cancel()
	if ds, err := bus.Read(canceled, stream, "g", "c", 10, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read(canceled context) = IDs %v, %v; want context.Canceled", ids(ds), err)
	}
	equalIDs(t, "Read after a canceled Read", ids(read(t, bus, "g", "c", 10, 0)), []uint64{1})

	cases := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"canceled while blocked", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(t.Context())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
		{"deadline while blocked", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
	}
	for _, c := range cases {
		ctx, cancel := c.ctx()
		start := time.Now()
		ds, err := bus.Read(ctx, stream, "g", "c", 10, patience)
		elapsed := time.Since(start)
		cancel()
		if !errors.Is(err, c.want) {
			t.Errorf("%s: Read = IDs %v, %v; want %v", c.name, ids(ds), err, c.want)
		}
		if elapsed > 2*time.Second {
			t.Errorf("%s: Read returned %v after the context ended at 100ms, want within 2s", c.name, elapsed)
		}
	}
}
