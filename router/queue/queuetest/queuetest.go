// Package queuetest is the conformance suite of queue.Bus: every implementation runs it,
// so the memory and Redis buses keep one behaviour (see the contract in package queue).
//
// The suite waits for time to pass only where the contract is about time (the visibility
// timeout, a blocking Read); everything else is checked the moment it must hold. Waits are
// short, so an implementation over the network runs it in real time with Run; an
// implementation whose clock is the time package alone runs it with RunInBubble, where
// every wait is on the fake clock of testing/synctest and takes no real time.
package queuetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// factory makes a fresh, empty bus for one case, configured by opts, and arranges its
// release with t.Cleanup.
type factory = func(t *testing.T, opts queue.Options) queue.Bus

// Timing used by the cases about time. The visibility timeout is short so that a real
// Redis takes a fraction of a second per case; waits are a multiple of it so that a
// loaded machine does not make them flaky.
const (
	visibility = 150 * time.Millisecond
	// staleWait is long enough for every entry delivered before it to be stale.
	staleWait = visibility * 3 / 2
	// patience bounds every wait for something that must happen.
	patience = 10 * time.Second
)

// Run runs the suite against the buses made by newBus, in real time.
func Run(t *testing.T, newBus func(t *testing.T, opts queue.Options) queue.Bus) {
	run(t, newBus, func(t *testing.T, f func(*testing.T)) { f(t) })
}

// RunInBubble runs the suite with each case in its own testing/synctest bubble, so every
// timeout and wait is on a fake clock. newBus is called inside the bubble. It suits only
// an implementation that does no I/O and reads time from the time package.
func RunInBubble(t *testing.T, newBus func(t *testing.T, opts queue.Options) queue.Bus) {
	run(t, newBus, synctest.Test)
}

// run runs every case as a subtest, wrapped by wrap.
func run(t *testing.T, newBus factory, wrap func(*testing.T, func(*testing.T))) {
	cases := []struct {
		name string
		run  func(t *testing.T, newBus factory)
	}{
		{"PublishThenReadInOrder", testPublishReadOrder},
		{"RepublishIsSkipped", testRepublishSkipped},
		{"PublishAfterRefusesAGap", testPublishAfter},
		{"InvalidArguments", testInvalidArguments},
		{"EveryGroupGetsEverything", testGroupsGetEverything},
		{"ConsumersShareAGroup", testConsumersShare},
		{"AckMovesWatermark", testAckWatermark},
		{"StatsCountLagAndPending", testStats},
		{"LateGroupSeesRetainedEntries", testLateGroup},
		{"TrimKeepsEntriesAtOrAboveID", testTrim},
		{"RedeliveryAfterVisibilityTimeout", testRedelivery},
		{"DeadLetterAfterMaxAttempts", testDeadLetter},
		{"BlockingReadWakesOnPublish", testBlockingRead},
		{"ReadReturnsWhenContextEnds", testReadContext},
		{"ConcurrentPublishersAndConsumers", testConcurrent},
		{"Ping", testPing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wrap(t, func(t *testing.T) { c.run(t, newBus) })
		})
	}
}

// The stream and type used by the cases.
const (
	stream  = "events"
	msgType = "test.event"
)

// msg returns the message the cases publish under id.
func msg(id uint64) queue.Message {
	return queue.Message{ID: id, Type: msgType, Payload: fmt.Appendf(nil, `{"n":%d}`, id)}
}

// span returns the IDs from lo to hi inclusive.
func span(lo, hi uint64) []uint64 {
	var ids []uint64
	for id := lo; id <= hi; id++ {
		ids = append(ids, id)
	}
	return ids
}

// publish publishes msg(id) for every id, in one call.
func publish(t *testing.T, bus queue.Bus, stream string, ids ...uint64) {
	t.Helper()
	msgs := make([]queue.Message, len(ids))
	for i, id := range ids {
		msgs[i] = msg(id)
	}
	if err := bus.Publish(t.Context(), stream, msgs...); err != nil {
		t.Fatalf("Publish(%q, ids %v) = %v", stream, ids, err)
	}
}

// read calls Read and fails the test on error.
func read(t *testing.T, bus queue.Bus, group, consumer string, max int, block time.Duration) []queue.Delivery {
	t.Helper()
	ds, err := bus.Read(t.Context(), stream, group, consumer, max, block)
	if err != nil {
		t.Fatalf("Read(%q, %q, %q, %d, %v) = %v", stream, group, consumer, max, block, err)
	}
	return ds
}

// ack calls Ack and fails the test on error.
func ack(t *testing.T, bus queue.Bus, group string, ids ...uint64) {
	t.Helper()
	if err := bus.Ack(t.Context(), stream, group, ids...); err != nil {
		t.Fatalf("Ack(%q, %q, %v) = %v", stream, group, ids, err)
	}
}

// watermark calls Watermark and fails the test on error.
func watermark(t *testing.T, bus queue.Bus, group string) uint64 {
	t.Helper()
	w, err := bus.Watermark(t.Context(), stream, group)
	if err != nil {
		t.Fatalf("Watermark(%q, %q) = %v", stream, group, err)
	}
	return w
}

// lastID calls LastID and fails the test on error.
func lastID(t *testing.T, bus queue.Bus, stream string) uint64 {
	t.Helper()
	id, err := bus.LastID(t.Context(), stream)
	if err != nil {
		t.Fatalf("LastID(%q) = %v", stream, err)
	}
	return id
}

// ids returns the IDs of ds, in order.
func ids(ds []queue.Delivery) []uint64 {
	out := make([]uint64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

// attempt pairs an ID with its delivery attempt, for compact comparisons.
type attempt struct {
	ID      uint64
	Attempt int
}

// attempts returns the (ID, Attempt) pairs of ds, in order.
func attempts(ds []queue.Delivery) []attempt {
	out := make([]attempt, len(ds))
	for i, d := range ds {
		out[i] = attempt{d.ID, d.Attempt}
	}
	return out
}

// checkBodies fails the test if a delivery's type or payload is not the one published.
func checkBodies(t *testing.T, ds []queue.Delivery) {
	t.Helper()
	for _, d := range ds {
		want := msg(d.ID)
		if d.Type != want.Type || !bytes.Equal(d.Payload, want.Payload) {
			t.Errorf("delivery %d = type %q payload %q, want %q %q", d.ID, d.Type, d.Payload, want.Type, want.Payload)
		}
	}
}

// equalIDs fails the test unless got equals want, saying what was called.
func equalIDs(t *testing.T, call string, got, want []uint64) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s returned IDs %v, want %v", call, got, want)
	}
}
