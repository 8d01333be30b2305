package queuetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// testConcurrent: publishers racing over the same IDs (as relays do after a crash) and
// consumers of two groups reading at the same time: each group gets every entry exactly
// once when everything is acknowledged in time.
func testConcurrent(t *testing.T, newBus factory) {
	bus := newBus(t, queue.Options{})
	const (
		n          = 1000
		publishers = 3
	)
	groups := map[string]int{"router": 3, "search": 1} // group -> consumers
	var wg sync.WaitGroup
	for p := range publishers {
		wg.Go(func() {
			batch := 10 + 7*p // publishers cut the same IDs into different batches
			for lo := uint64(1); lo <= n; lo += uint64(batch) {
				msgs := make([]queue.Message, 0, batch)
				for id := lo; id < lo+uint64(batch) && id <= n; id++ {
					msgs = append(msgs, msg(id))
				}
				if err := bus.Publish(t.Context(), stream, msgs...); err != nil {
					t.Errorf("publisher %d: Publish(%d..) = %v", p, lo, err)
					return
				}
			}
		})
	}

	var mu sync.Mutex
	got := map[string]map[uint64]int{} // group -> ID -> deliveries
	for group := range groups {
		got[group] = map[uint64]int{} // before any consumer starts: they read got
	}
	deadline := time.Now().Add(patience)
	for group, consumers := range groups {
		for c := range consumers {
			consumer := fmt.Sprintf("c%d", c)
			wg.Go(func() {
				for time.Now().Before(deadline) {
					ds, err := bus.Read(t.Context(), stream, group, consumer, 50, 20*time.Millisecond)
					if err != nil {
						t.Errorf("Read(%q, %q) = %v", group, consumer, err)
						return
					}
					checkBodies(t, ds)
					if err := bus.Ack(t.Context(), stream, group, ids(ds)...); err != nil {
						t.Errorf("Ack(%q) = %v", group, err)
						return
					}
					mu.Lock()
					for _, d := range ds {
						got[group][d.ID]++
					}
					done := len(got[group]) == n
					mu.Unlock()
					if done {
						return
					}
				}
			})
		}
	}
	wg.Wait()

	if last := lastID(t, bus, stream); last != n {
		t.Errorf("LastID = %d, want %d", last, n)
	}
	for group := range groups {
		var wrong []string
		for id := uint64(1); id <= n; id++ {
			if c := got[group][id]; c != 1 {
				wrong = append(wrong, fmt.Sprintf("%d (%d times)", id, c))
			}
		}
		if len(wrong) > 0 {
			t.Errorf("group %q got %d entries other than exactly once, first %v", group, len(wrong), wrong[:min(10, len(wrong))])
		}
		if w := watermark(t, bus, group); w != n+1 {
			t.Errorf("Watermark(%q) = %d, want %d", group, w, n+1)
		}
		st, err := bus.Stats(t.Context(), stream, group)
		if err != nil || st != (queue.GroupStats{}) {
			t.Errorf("Stats(%q) = %+v, %v; want zero", group, st, err)
		}
	}
}
