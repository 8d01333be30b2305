package queuetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// testGroupsGetEverything: each group reads the whole stream, whatever the others do.
func testGroupsGetEverything(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	publish(t, bus, stream, span(1, 20)...)
	for i, group := range []string{"router", "search", "realtime"} {
		var got []queue.Delivery
		for len(got) < 20 {
			ds := read(t, bus, group, "c", 7, 0)
			if len(ds) == 0 {
				break
			}
			got = append(got, ds...)
			if i == 0 {
				ack(t, bus, group, ids(ds)...) // acknowledging in one group must not affect the others
			}
		}
		equalIDs(t, fmt.Sprintf("Read(group %q) until empty", group), ids(got), span(1, 20))
		checkBodies(t, got)
	}
}

// testConsumersShare: the consumers of one group split the entries without overlap.
func testConsumersShare(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	const n = 300
	publish(t, bus, stream, span(1, n)...)

	var (
		mu   sync.Mutex
		seen = map[uint64]string{} // ID -> consumer
		dups []string
	)
	var wg sync.WaitGroup
	deadline := time.Now().Add(patience)
	for c := range 3 {
		consumer := fmt.Sprintf("c%d", c)
		wg.Go(func() {
			for time.Now().Before(deadline) {
				ds, err := bus.Read(t.Context(), stream, "g", consumer, 10, 20*time.Millisecond)
				if err != nil {
					t.Errorf("Read(consumer %q) = %v", consumer, err)
					return
				}
				mu.Lock()
				for _, d := range ds {
					if other, ok := seen[d.ID]; ok {
						dups = append(dups, fmt.Sprintf("%d to %s and %s", d.ID, other, consumer))
					}
					seen[d.ID] = consumer
				}
				done := len(seen) == n
				mu.Unlock()
				if err := bus.Ack(t.Context(), stream, "g", ids(ds)...); err != nil {
					t.Errorf("Ack(consumer %q) = %v", consumer, err)
					return
				}
				if done {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(dups) > 0 {
		t.Errorf("entries delivered to two consumers: %v", dups)
	}
	if len(seen) != n {
		t.Errorf("consumers together read %d distinct entries, want %d", len(seen), n)
	}
}

// testAckWatermark: the watermark is the lowest unacknowledged ID, and acknowledging
// something unknown is harmless.
func testAckWatermark(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	if got := watermark(t, bus, "g"); got != 0 {
		t.Fatalf("Watermark(no such group) = %d, want 0", got)
	}
	if err := bus.Ack(ctx, "nowhere", "nobody", 1, 2); err != nil {
		t.Fatalf("Ack(no such stream) = %v, want nil", err)
	}
	if err := bus.EnsureGroup(ctx, stream, "g"); err != nil {
		t.Fatalf("EnsureGroup = %v", err)
	}
	if got := watermark(t, bus, "g"); got != 1 {
		t.Fatalf("Watermark(new group) = %d, want 1", got)
	}
	publish(t, bus, stream, span(1, 5)...)
	if got := watermark(t, bus, "g"); got != 1 {
		t.Fatalf("Watermark(nothing read) = %d, want 1", got)
	}
	equalIDs(t, "Read", ids(read(t, bus, "g", "c", 5, 0)), span(1, 5))

	steps := []struct {
		ack  []uint64
		want uint64
	}{
		{nil, 1},
		{[]uint64{2}, 1},
		{[]uint64{1}, 3},
		{[]uint64{4}, 3},
		{[]uint64{3}, 5},
		{[]uint64{5}, 6},
		{[]uint64{5, 42}, 6}, // again, and never delivered
	}
	for _, s := range steps {
		ack(t, bus, "g", s.ack...)
		if got := watermark(t, bus, "g"); got != s.want {
			t.Fatalf("after Ack(%v), Watermark = %d, want %d", s.ack, got, s.want)
		}
	}
	if err := bus.Ack(ctx, stream, "other-group", 1); err != nil {
		t.Fatalf("Ack(no such group) = %v, want nil", err)
	}
}

// testStats: lag counts entries not yet delivered, pending those not yet acknowledged.
func testStats(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	stats := func(step string, want queue.GroupStats) {
		t.Helper()
		got, err := bus.Stats(t.Context(), stream, "g")
		if err != nil || got != want {
			t.Fatalf("%s: Stats = %+v, %v; want %+v, nil", step, got, err, want)
		}
	}
	stats("no group", queue.GroupStats{})
	publish(t, bus, stream, span(1, 10)...)
	if err := bus.EnsureGroup(t.Context(), stream, "g"); err != nil {
		t.Fatalf("EnsureGroup = %v", err)
	}
	stats("new group", queue.GroupStats{Lag: 10})
	read(t, bus, "g", "c", 4, 0)
	stats("read 4", queue.GroupStats{Lag: 6, Pending: 4})
	ack(t, bus, "g", 1, 3)
	stats("acked 2", queue.GroupStats{Lag: 6, Pending: 2})
	rest := read(t, bus, "g", "c", 100, 0)
	ack(t, bus, "g", append(ids(rest), 2, 4)...)
	stats("all acked", queue.GroupStats{})
}

// testLateGroup: a group created after publishing starts at the oldest retained entry,
// and EnsureGroup never moves an existing group.
func testLateGroup(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	publish(t, bus, stream, span(1, 5)...)
	if err := bus.Trim(ctx, stream, 3); err != nil {
		t.Fatalf("Trim(3) = %v", err)
	}
	for range 2 {
		if err := bus.EnsureGroup(ctx, stream, "late"); err != nil {
			t.Fatalf("EnsureGroup(late) = %v", err)
		}
	}
	got := read(t, bus, "late", "c", 10, 0)
	equalIDs(t, "Read(late group)", ids(got), span(3, 5))
	ack(t, bus, "late", ids(got)...)
	if err := bus.EnsureGroup(ctx, stream, "late"); err != nil {
		t.Fatalf("EnsureGroup(late) again = %v", err)
	}
	equalIDs(t, "Read(late group) after EnsureGroup again", ids(read(t, bus, "late", "c", 10, 0)), nil)
	// Read alone creates the group the same way.
	equalIDs(t, "Read(group never ensured)", ids(read(t, bus, "auto", "c", 10, 0)), span(3, 5))
}

// testTrim: Trim drops exactly the entries below the given ID, and what was published
// stays published.
func testTrim(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	ctx := t.Context()
	published := []uint64{1, 2, 3, 5, 8, 13}
	for _, below := range []uint64{0, 1, 4, 5, 13, 14, 100} {
		s := fmt.Sprintf("trim-%d", below)
		publish(t, bus, s, published...)
		read := func() []uint64 {
			ds, err := bus.Read(ctx, s, "g", "c", 100, 0)
			if err != nil {
				t.Fatalf("Read(%q) = %v", s, err)
			}
			return ids(ds)
		}
		// A group that exists before the trim reads what is left.
		if err := bus.EnsureGroup(ctx, s, "g"); err != nil {
			t.Fatalf("EnsureGroup(%q) = %v", s, err)
		}
		if err := bus.Trim(ctx, s, below); err != nil {
			t.Fatalf("Trim(%q, %d) = %v", s, below, err)
		}
		want := slices.DeleteFunc(slices.Clone(published), func(id uint64) bool { return id < below })
		equalIDs(t, fmt.Sprintf("Read after Trim(%d)", below), read(), want)
		if got := lastID(t, bus, s); got != 13 {
			t.Fatalf("after Trim(%d), LastID = %d, want 13", below, got)
		}
		publish(t, bus, s, 4, 13) // still skipped: trimming does not lower the last ID
		equalIDs(t, fmt.Sprintf("Read after Trim(%d) and republishing", below), read(), nil)
	}
}
