// Package presencetest is the conformance suite of presence.Presence, run by the memory
// and Redis implementations on a fake clock.
package presencetest

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
)

// Clock is a fake clock for the suite; Now is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at a fixed instant.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)} }

// Now returns the fake time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TTL and Retention of the presences the suite makes.
const (
	TTL       = 30 * time.Second
	Retention = 10 * time.Minute
)

// Factory makes a fresh presence with Config{TTL, Retention} reading time from clock.
type Factory func(t *testing.T, cfg presence.Config, clock func() time.Time) presence.Presence

// Run runs every case.
func Run(t *testing.T, newPresence Factory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, p presence.Presence, c *Clock)
	}{
		{"HeartbeatMakesOnline", testHeartbeat},
		{"AwayAndBack", testAway},
		{"ExpiryMakesOffline", testExpiry},
		{"HeartbeatsKeepOnline", testRenew},
		{"LeaveIsImmediate", testLeave},
		{"RetentionForgets", testRetention},
		{"BadStatus", testBadStatus},
		{"ConcurrentHeartbeats", testConcurrent},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			clock := NewClock()
			c.fn(t, newPresence(t, presence.Config{TTL: TTL, Retention: Retention}, clock.Now), clock)
		})
	}
}

func get(t *testing.T, p presence.Presence, id int64) presence.Entry {
	t.Helper()
	m, err := p.Get(context.Background(), []int64{id})
	if err != nil {
		t.Fatalf("Get(%d) = %v", id, err)
	}
	return m[id]
}

func beat(t *testing.T, p presence.Presence, id int64, st presence.Status) bool {
	t.Helper()
	changed, err := p.Heartbeat(context.Background(), id, st)
	if err != nil {
		t.Fatalf("Heartbeat(%d, %s) = %v", id, st, err)
	}
	return changed
}

func testHeartbeat(t *testing.T, p presence.Presence, c *Clock) {
	if e := get(t, p, 1); e.Status != presence.Offline || !e.Since.IsZero() {
		t.Errorf("Get(unknown) = %+v, want offline with zero times", e)
	}
	start := c.Now()
	if !beat(t, p, 1, presence.Online) {
		t.Error("first Heartbeat reported no change")
	}
	c.Advance(10 * time.Second)
	if beat(t, p, 1, presence.Online) {
		t.Error("second Heartbeat(online) reported a change")
	}
	e := get(t, p, 1)
	if e.Status != presence.Online || !e.Since.Equal(start) || !e.Seen.Equal(c.Now()) || e.UserID != 1 {
		t.Errorf("Get = %+v, want online since %v, seen %v", e, start, c.Now())
	}
}

func testAway(t *testing.T, p presence.Presence, c *Clock) {
	beat(t, p, 1, presence.Online)
	c.Advance(5 * time.Second)
	if !beat(t, p, 1, presence.Away) {
		t.Error("Heartbeat(away) after online reported no change")
	}
	if e := get(t, p, 1); e.Status != presence.Away || !e.Since.Equal(c.Now()) {
		t.Errorf("Get = %+v, want away since now", e)
	}
	c.Advance(5 * time.Second)
	beat(t, p, 1, presence.Online)
	if e := get(t, p, 1); e.Status != presence.Online || !e.Since.Equal(c.Now()) {
		t.Errorf("Get = %+v, want online again since now", e)
	}
}

func testExpiry(t *testing.T, p presence.Presence, c *Clock) {
	ctx := context.Background()
	beat(t, p, 1, presence.Online)
	beat(t, p, 2, presence.Away)
	lastBeat := c.Now()
	c.Advance(TTL - time.Second)
	if e := get(t, p, 1); e.Status != presence.Online {
		t.Fatalf("just before TTL: %+v, want online", e)
	}
	c.Advance(2 * time.Second)
	if e := get(t, p, 1); e.Status != presence.Offline || !e.Since.Equal(lastBeat.Add(TTL)) {
		t.Errorf("after TTL, before any sweep: %+v, want offline since %v", e, lastBeat.Add(TTL))
	}
	gone, err := p.Expire(ctx)
	if err != nil || !slices.Equal(gone, []int64{1, 2}) {
		t.Errorf("Expire() = %v, %v, want [1 2]", gone, err)
	}
	if gone, _ := p.Expire(ctx); len(gone) != 0 {
		t.Errorf("second Expire() = %v, want nothing", gone)
	}
	list, _ := p.List(ctx)
	if len(list) != 2 || list[0].Status != presence.Offline || list[1].Status != presence.Offline || !list[0].Seen.Equal(lastBeat) {
		t.Errorf("List() = %+v, want both offline, seen at the last heartbeat", list)
	}
	if !beat(t, p, 1, presence.Online) {
		t.Error("Heartbeat after expiry reported no change")
	}
	if e := get(t, p, 1); e.Status != presence.Online || !e.Since.Equal(c.Now()) {
		t.Errorf("back online: %+v", e)
	}
}

func testRenew(t *testing.T, p presence.Presence, c *Clock) {
	start := c.Now()
	for range 20 {
		beat(t, p, 1, presence.Online)
		c.Advance(TTL / 2)
	}
	gone, _ := p.Expire(context.Background())
	if e := get(t, p, 1); e.Status != presence.Online || !e.Since.Equal(start) || len(gone) != 0 {
		t.Errorf("after regular heartbeats: %+v, expired %v; want online since the start", e, gone)
	}
}

func testLeave(t *testing.T, p presence.Presence, c *Clock) {
	ctx := context.Background()
	beat(t, p, 1, presence.Online)
	c.Advance(time.Second)
	if changed, err := p.Leave(ctx, 1); !changed || err != nil {
		t.Errorf("Leave(online) = %v, %v, want a change", changed, err)
	}
	if e := get(t, p, 1); e.Status != presence.Offline || !e.Since.Equal(c.Now()) {
		t.Errorf("after Leave: %+v, want offline since now", e)
	}
	if changed, _ := p.Leave(ctx, 1); changed {
		t.Error("second Leave reported a change")
	}
	if changed, _ := p.Leave(ctx, 99); changed {
		t.Error("Leave(unknown) reported a change")
	}
	if gone, _ := p.Expire(ctx); len(gone) != 0 {
		t.Errorf("Expire after Leave = %v, want nothing (Leave is not an expiry)", gone)
	}
	list, _ := p.List(ctx)
	if len(list) != 1 || list[0].Status != presence.Offline {
		t.Errorf("List after Leave = %+v, want the agent offline", list)
	}
}

func testRetention(t *testing.T, p presence.Presence, c *Clock) {
	ctx := context.Background()
	beat(t, p, 1, presence.Online)
	beat(t, p, 2, presence.Online)
	p.Leave(ctx, 2)
	c.Advance(Retention)
	beat(t, p, 1, presence.Online)
	beat(t, p, 3, presence.Online)
	p.Expire(ctx)
	list, _ := p.List(ctx)
	if len(list) != 3 {
		t.Fatalf("List = %+v, want 3 entries before retention passes", list)
	}
	c.Advance(TTL + time.Minute)
	beat(t, p, 3, presence.Online)
	p.Expire(ctx)
	list, _ = p.List(ctx)
	var ids []int64
	for _, e := range list {
		ids = append(ids, e.UserID)
	}
	if !slices.Equal(ids, []int64{1, 3}) {
		t.Errorf("after retention, List ids = %v, want [1 3] (2 left long ago, 1 expired recently)", ids)
	}
}

func testBadStatus(t *testing.T, p presence.Presence, _ *Clock) {
	for _, st := range []presence.Status{presence.Offline, "busy", ""} {
		if _, err := p.Heartbeat(context.Background(), 1, st); !errors.Is(err, presence.ErrStatus) {
			t.Errorf("Heartbeat(%q) = %v, want ErrStatus", st, err)
		}
	}
}

func testConcurrent(t *testing.T, p presence.Presence, c *Clock) {
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			for j := range 20 {
				st := presence.Online
				if j%2 == 1 {
					st = presence.Away
				}
				if _, err := p.Heartbeat(context.Background(), int64(i%5+1), st); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	list, err := p.List(context.Background())
	if err != nil || len(list) != 5 {
		t.Errorf("List after concurrent heartbeats = %d entries, %v, want 5", len(list), err)
	}
}
