package queuetest

import (
	"bytes"
	"errors"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// testPublishReadOrder: entries come out in ID order, once, whole, on their own stream.
func testPublishReadOrder(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	publish(t, bus, stream, span(1, 3)...)
	publish(t, bus, stream, span(4, 10)...)

	var got []queue.Delivery
	for _, want := range [][]uint64{span(1, 4), span(5, 8), span(9, 10), {}} {
		ds := read(t, bus, "g", "c", 4, 0)
		equalIDs(t, "Read(max 4)", ids(ds), want)
		got = append(got, ds...)
	}
	checkBodies(t, got)
	for _, d := range got {
		if d.Attempt != 1 {
			t.Errorf("first delivery of %d has Attempt %d, want 1", d.ID, d.Attempt)
		}
	}
	if ds, err := bus.Read(t.Context(), "other", "g", "c", 10, 0); err != nil || len(ds) != 0 {
		t.Errorf("Read(other stream) = IDs %v, %v; want none, nil", ids(ds), err)
	}
	if got := lastID(t, bus, stream); got != 10 {
		t.Errorf("LastID(%q) = %d, want 10", stream, got)
	}
	if got := lastID(t, bus, "never-published"); got != 0 {
		t.Errorf("LastID(never-published) = %d, want 0", got)
	}
}

// testRepublishSkipped: IDs not above the last one are skipped silently, whatever their
// body, so a relay may republish after a crash.
func testRepublishSkipped(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	publish(t, bus, stream, span(1, 5)...)

	second := []queue.Message{}
	for _, id := range span(3, 7) {
		m := msg(id)
		if id <= 5 {
			m.Payload = []byte("republished") // must not replace the first body
		}
		second = append(second, m)
	}
	steps := []struct {
		name string
		msgs []queue.Message
		last uint64
	}{
		{"overlapping batch", second, 7},
		{"lower ID", []queue.Message{msg(2)}, 7},
		{"same batch again", second, 7},
		{"out of order batch", []queue.Message{msg(9), msg(8)}, 9},
	}
	for _, s := range steps {
		if err := bus.Publish(ctx, stream, s.msgs...); err != nil {
			t.Fatalf("Publish(%s) = %v, want nil", s.name, err)
		}
		if got := lastID(t, bus, stream); got != s.last {
			t.Fatalf("after Publish(%s), LastID = %d, want %d", s.name, got, s.last)
		}
	}
	got := read(t, bus, "g", "c", 100, 0)
	equalIDs(t, "Read after republishing", ids(got), []uint64{1, 2, 3, 4, 5, 6, 7, 9})
	checkBodies(t, got)
}

// testInvalidArguments: an ID 0 publishes nothing; a non-positive max is refused.
func testInvalidArguments(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	if err := bus.Publish(ctx, stream, msg(1), queue.Message{ID: 0, Type: msgType}, msg(2)); err == nil {
		t.Errorf("Publish(IDs 1, 0, 2) = nil, want an error")
	}
	if got := lastID(t, bus, stream); got != 0 {
		t.Errorf("after a refused Publish, LastID = %d, want 0 (nothing published)", got)
	}
	for _, max := range []int{0, -1} {
		if _, err := bus.Read(ctx, stream, "g", "c", max, 0); err == nil {
			t.Errorf("Read(max %d) = nil error, want an error", max)
		}
		if _, err := bus.DeadLetters(ctx, stream, max); err == nil {
			t.Errorf("DeadLetters(max %d) = nil error, want an error", max)
		}
	}
	if err := bus.Publish(ctx, stream); err != nil {
		t.Errorf("Publish(no messages) = %v, want nil", err)
	}
	if err := bus.Ack(ctx, stream, "g"); err != nil {
		t.Errorf("Ack(no IDs) = %v, want nil", err)
	}
	// An empty payload stays empty.
	if err := bus.Publish(ctx, stream, queue.Message{ID: 1, Type: msgType}); err != nil {
		t.Fatalf("Publish(empty payload) = %v", err)
	}
	ds := read(t, bus, "g", "c", 1, 0)
	if len(ds) != 1 || ds[0].Type != msgType || !bytes.Equal(ds[0].Payload, nil) {
		t.Errorf("Read after publishing an empty payload = %+v, want ID 1 with an empty payload", ds)
	}
}

// testPing: a working bus answers.
func testPing(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	if err := bus.Ping(t.Context()); err != nil {
		t.Errorf("Ping() = %v, want nil", err)
	}
}

// testPublishAfter: PublishAfter appends when the stream holds everything up to after,
// skips what it already has, and refuses with ErrGap, publishing nothing, when the
// stream ends before after (it lost entries, or never had them).
func testPublishAfter(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	if err := bus.PublishAfter(ctx, stream, 0, msg(1), msg(2)); err != nil {
		t.Fatalf("PublishAfter(after 0) = %v", err)
	}
	if err := bus.PublishAfter(ctx, stream, 2, msg(2), msg(3)); err != nil {
		t.Fatalf("PublishAfter(after 2, overlapping) = %v", err)
	}
	if err := bus.PublishAfter(ctx, stream, 9, msg(10)); !errors.Is(err, queue.ErrGap) {
		t.Fatalf("PublishAfter(after 9 on a stream ending at 3) = %v, want ErrGap", err)
	}
	if err := bus.PublishAfter(ctx, "never-published", 5, msg(6)); !errors.Is(err, queue.ErrGap) {
		t.Fatalf("PublishAfter(after 5 on a missing stream) = %v, want ErrGap", err)
	}
	if got := lastID(t, bus, stream); got != 3 {
		t.Fatalf("LastID = %d after a refused PublishAfter, want 3", got)
	}
	// Trimming everything keeps the stream's last id: no gap.
	if err := bus.Trim(ctx, stream, 4); err != nil {
		t.Fatal(err)
	}
	if err := bus.PublishAfter(ctx, stream, 3, msg(4)); err != nil {
		t.Fatalf("PublishAfter(after 3) on a trimmed stream = %v, want nil", err)
	}
	equalIDs(t, "Read", ids(read(t, bus, "g", "c", 10, 0)), []uint64{4})
}
