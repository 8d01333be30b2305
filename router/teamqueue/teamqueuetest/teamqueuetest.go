// Package teamqueuetest is the conformance suite of teamqueue.Queue: the memory and Redis
// queues both run it, so they keep one behaviour.
package teamqueuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Factory makes a fresh queue whose ClaimAvailable checks the presence it returns
// (both read time from clock).
type Factory func(t *testing.T, clock func() time.Time) (teamqueue.Queue, presence.Presence)

// Run runs every case against fresh queues made by newQueue.
func Run(t *testing.T, newQueue Factory) {
	cases := []struct {
		name string
		fn   func(t *testing.T, q teamqueue.Queue)
	}{
		{"PriorityThenAgeThenID", testOrder},
		{"PushUpdatesAndMoves", testPushUpdates},
		{"Remove", testRemove},
		{"ClaimTakesOnce", testClaimOnce},
		{"ClaimRespectsCapacity", testCapacity},
		{"ClaimNextBestSuitable", testClaimNext},
		{"HoldAndRelease", testHold},
		{"InvalidEntries", testInvalid},
		{"FiftyAgentsThousandConversations", testRace},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, _ := newQueue(t, func() time.Time { return t0 })
			c.fn(t, q)
		})
	}
	t.Run("ClaimAvailablePushesAndChecksPresence", func(t *testing.T) {
		q, p := newQueue(t, func() time.Time { return t0 })
		testClaimAvailable(t, q, p)
	})
}

var t0 = time.Date(2026, 3, 9, 9, 0, 0, 0, time.UTC)

func entry(id int64, team int64, prio int, ageMin int) teamqueue.Entry {
	return teamqueue.Entry{ConversationID: id, Team: team, Priority: prio, Since: t0.Add(-time.Duration(ageMin) * time.Minute), Channel: "email"}
}

func push(t *testing.T, q teamqueue.Queue, es ...teamqueue.Entry) {
	t.Helper()
	for _, e := range es {
		if err := q.Push(context.Background(), e); err != nil {
			t.Fatalf("Push(%d) = %v", e.ConversationID, err)
		}
	}
}

func ids(es []teamqueue.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.ConversationID)
	}
	return out
}

func peek(t *testing.T, q teamqueue.Queue, team int64) []int64 {
	t.Helper()
	es, err := q.Peek(context.Background(), team, 1000)
	if err != nil {
		t.Fatalf("Peek(%d) = %v", team, err)
	}
	return ids(es)
}

var slot = teamqueue.Slot{Agent: 7, Capacity: map[string]int{"email": 10, "webchat": 1}}

func testOrder(t *testing.T, q teamqueue.Queue) {
	push(t, q, entry(1, 1, 30, 10), entry(2, 1, 80, 1), entry(3, 1, 30, 60), entry(12, 1, 30, 10), entry(4, 1, 100, 0), entry(5, 2, 99, 99))
	if got, want := peek(t, q, 1), []int64{4, 2, 3, 1, 12}; !slices.Equal(got, want) {
		t.Errorf("Peek(team 1) = %v, want %v (priority, then oldest, then id)", got, want)
	}
	if n, err := q.Len(context.Background(), 1); n != 5 || err != nil {
		t.Errorf("Len(team 1) = %d, %v, want 5", n, err)
	}
	es, _ := q.Peek(context.Background(), 1, 2)
	if !slices.Equal(ids(es), []int64{4, 2}) {
		t.Errorf("Peek(team 1, 2) = %v, want [4 2]", ids(es))
	}
	if n, _ := q.Len(context.Background(), 3); n != 0 {
		t.Errorf("Len(empty team) = %d", n)
	}
}

func testPushUpdates(t *testing.T, q teamqueue.Queue) {
	push(t, q, entry(1, 1, 30, 10), entry(2, 1, 40, 10))
	push(t, q, entry(1, 1, 50, 10))
	if got := peek(t, q, 1); !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("after raising 1's priority, Peek = %v, want [1 2]", got)
	}
	push(t, q, entry(1, 2, 50, 10))
	if a, b := peek(t, q, 1), peek(t, q, 2); !slices.Equal(a, []int64{2}) || !slices.Equal(b, []int64{1}) {
		t.Errorf("after moving 1 to team 2: team 1 %v, team 2 %v", a, b)
	}
	e := entry(9, 0, 10, 5)
	e.Language, e.Skills, e.Previous, e.Channel = "en", []string{"english", "compta"}, 42, "webchat"
	e.Since = e.Since.Add(123456 * time.Microsecond)
	push(t, q, e)
	got, _ := q.Peek(context.Background(), 0, 1)
	want := e
	want.Since = time.UnixMilli(e.Since.UnixMilli()).UTC()
	if len(got) != 1 || got[0].Language != "en" || !slices.Equal(got[0].Skills, want.Skills) || got[0].Previous != 42 ||
		!got[0].Since.Equal(want.Since) || got[0].Channel != "webchat" || got[0].Team != 0 || got[0].Priority != 10 {
		t.Errorf("Peek(team 0) = %+v, want %+v", got, want)
	}
}

func testRemove(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	push(t, q, entry(1, 1, 30, 10))
	if ok, err := q.Remove(ctx, 1); !ok || err != nil {
		t.Errorf("Remove(queued) = %v, %v, want true", ok, err)
	}
	if ok, err := q.Remove(ctx, 1); ok || err != nil {
		t.Errorf("Remove(gone) = %v, %v, want false", ok, err)
	}
	if got := peek(t, q, 1); len(got) != 0 {
		t.Errorf("Peek after Remove = %v", got)
	}
}

func testClaimOnce(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	push(t, q, entry(1, 1, 30, 10))
	e, err := q.Claim(ctx, 1, slot, t0)
	if err != nil || e.ConversationID != 1 || e.Team != 1 {
		t.Fatalf("Claim(1) = %+v, %v", e, err)
	}
	if _, err := q.Claim(ctx, 1, teamqueue.Slot{Agent: 8, Capacity: slot.Capacity}, t0); !errors.Is(err, teamqueue.ErrGone) {
		t.Errorf("second Claim(1) = %v, want ErrGone", err)
	}
	loads, err := q.Loads(ctx, []int64{7, 8})
	if err != nil || loads[7].Channels["email"] != 1 || loads[7].Total != 1 || !loads[7].LastAssigned.Equal(t0) || loads[8].Total != 0 {
		t.Errorf("Loads = %+v, %v, want agent 7 holding one email since %v", loads, err, t0)
	}
	if err := q.Push(ctx, entry(1, 1, 30, 10)); !errors.Is(err, teamqueue.ErrHeld) {
		t.Errorf("Push(held) = %v, want ErrHeld", err)
	}
	holds, _ := q.Holds(ctx)
	if len(holds) != 1 || holds[0] != (teamqueue.Hold{ConversationID: 1, Agent: 7, Channel: "email", Since: t0}) {
		t.Errorf("Holds = %+v", holds)
	}
}

func testCapacity(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	chat := func(id int64) teamqueue.Entry { e := entry(id, 1, 50, 1); e.Channel = "webchat"; return e }
	sms := entry(3, 1, 50, 1)
	sms.Channel = "sms"
	push(t, q, chat(1), chat(2), sms)
	if _, err := q.Claim(ctx, 1, slot, t0); err != nil {
		t.Fatalf("Claim(first chat) = %v", err)
	}
	if _, err := q.Claim(ctx, 2, slot, t0); !errors.Is(err, teamqueue.ErrFull) {
		t.Errorf("Claim(second chat, capacity 1) = %v, want ErrFull", err)
	}
	if _, err := q.Claim(ctx, 3, slot, t0); !errors.Is(err, teamqueue.ErrFull) {
		t.Errorf("Claim(sms, no sms capacity) = %v, want ErrFull", err)
	}
	if got := peek(t, q, 1); !slices.Equal(got, []int64{2, 3}) {
		t.Errorf("refused claims changed the queue: %v", got)
	}
	if _, err := q.Release(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Claim(ctx, 2, slot, t0); err != nil {
		t.Errorf("Claim(second chat after release) = %v", err)
	}
}

func testClaimNext(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	en := entry(1, 1, 90, 5)
	en.Language = "en"
	skilled := entry(2, 2, 85, 5)
	skilled.Skills = []string{"compta"}
	chat := entry(3, 1, 80, 5)
	chat.Channel = "webchat"
	other := entry(4, 2, 70, 50)
	other.Language = "other"
	plain := entry(5, 1, 70, 40)
	push(t, q, en, skilled, chat, other, plain, entry(6, 3, 100, 0))
	fr := teamqueue.Slot{Agent: 1, Capacity: map[string]int{"email": 5}, Languages: []string{"fr"}}
	order := []int64{4, 5}
	for _, want := range order {
		e, err := q.ClaimNext(ctx, []int64{1, 2}, fr, t0)
		if err != nil || e.ConversationID != want {
			t.Fatalf("ClaimNext(French agent, no chat capacity, no skills) = %d, %v, want %d", e.ConversationID, err, want)
		}
	}
	if _, err := q.ClaimNext(ctx, []int64{1, 2}, fr, t0); !errors.Is(err, teamqueue.ErrEmpty) {
		t.Errorf("ClaimNext(nothing suitable left) = %v, want ErrEmpty", err)
	}
	all := teamqueue.Slot{Agent: 2, Capacity: map[string]int{"email": 5, "webchat": 1}, Languages: []string{"fr", "en"}, Skills: []string{"compta"}}
	for _, want := range []int64{1, 2, 3} {
		e, err := q.ClaimNext(ctx, []int64{2, 1}, all, t0)
		if err != nil || e.ConversationID != want {
			t.Fatalf("ClaimNext(bilingual skilled agent) = %d, %v, want %d", e.ConversationID, err, want)
		}
	}
	if got := peek(t, q, 3); !slices.Equal(got, []int64{6}) {
		t.Errorf("ClaimNext touched a team it was not given: team 3 = %v", got)
	}
	if _, err := q.ClaimNext(ctx, nil, all, t0); !errors.Is(err, teamqueue.ErrEmpty) {
		t.Errorf("ClaimNext(no teams) = %v, want ErrEmpty", err)
	}
}

func testHold(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	push(t, q, entry(1, 1, 30, 10))
	if err := q.Hold(ctx, 1, 7, "email", t0); err != nil {
		t.Fatal(err)
	}
	if got := peek(t, q, 1); len(got) != 0 {
		t.Errorf("Hold left the conversation queued: %v", got)
	}
	if err := q.Hold(ctx, 1, 7, "email", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	loads, _ := q.Loads(ctx, []int64{7, 8})
	if loads[7].Total != 1 || !loads[7].LastAssigned.Equal(t0) {
		t.Errorf("holding twice counted twice or moved the time: %+v", loads[7])
	}
	if err := q.Hold(ctx, 1, 8, "email", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	loads, _ = q.Loads(ctx, []int64{7, 8})
	if loads[7].Total != 0 || loads[8].Total != 1 {
		t.Errorf("moving the hold to agent 8: loads %+v", loads)
	}
	if ok, err := q.Release(ctx, 1); !ok || err != nil {
		t.Errorf("Release(held) = %v, %v", ok, err)
	}
	if ok, _ := q.Release(ctx, 1); ok {
		t.Error("Release(released) = true")
	}
	loads, _ = q.Loads(ctx, []int64{8})
	if loads[8].Total != 0 || len(loads[8].Channels) != 0 {
		t.Errorf("after Release, agent 8 load = %+v", loads[8])
	}
	push(t, q, entry(1, 1, 30, 10))
	if got := peek(t, q, 1); !slices.Equal(got, []int64{1}) {
		t.Errorf("Push after Release: %v", got)
	}
}

func testInvalid(t *testing.T, q teamqueue.Queue) {
	bad := []teamqueue.Entry{
		{ConversationID: 0, Channel: "email"},
		{ConversationID: 1},
		{ConversationID: 1, Channel: "email", Skills: []string{"a|b"}},
		{ConversationID: 1, Channel: "e,mail"},
	}
	for _, e := range bad {
		if err := q.Push(context.Background(), e); err == nil {
			t.Errorf("Push(%+v) = nil, want an error", e)
		}
	}
}

// testRace has 50 agents take from 1,000 queued conversations at once: every
// conversation must go to exactly one agent, and none may be lost.
func testRace(t *testing.T, q teamqueue.Queue) {
	ctx := context.Background()
	const convs, agents = 1000, 50
	for i := range convs {
		e := entry(int64(i+1), int64(i%3), i%100, i%60)
		if err := q.Push(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	got := make([][]int64, agents)
	var wg sync.WaitGroup
	errs := make(chan error, agents)
	for a := range agents {
		wg.Go(func() {
			s := teamqueue.Slot{Agent: int64(a + 1), Capacity: map[string]int{"email": convs}}
			for {
				e, err := q.ClaimNext(ctx, []int64{0, 1, 2}, s, t0)
				if errors.Is(err, teamqueue.ErrEmpty) {
					return
				}
				if err != nil {
					errs <- fmt.Errorf("agent %d: %w", a+1, err)
					return
				}
				got[a] = append(got[a], e.ConversationID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[int64]int64{}
	for a, list := range got {
		for _, id := range list {
			if prev, dup := seen[id]; dup {
				t.Fatalf("conversation %d went to agents %d and %d", id, prev, a+1)
			}
			seen[id] = int64(a + 1)
		}
	}
	if len(seen) != convs {
		t.Fatalf("%d conversations assigned, want %d", len(seen), convs)
	}
	holds, err := q.Holds(ctx)
	if err != nil || len(holds) != convs {
		t.Fatalf("Holds = %d, %v, want %d", len(holds), err, convs)
	}
	for _, h := range holds {
		if seen[h.ConversationID] != h.Agent {
			t.Fatalf("hold of %d is agent %d, claim said %d", h.ConversationID, h.Agent, seen[h.ConversationID])
		}
	}
	all := make([]int64, agents)
	for i := range all {
		all[i] = int64(i + 1)
	}
	loads, _ := q.Loads(ctx, all)
	total := 0
	for a, l := range loads {
		total += l.Total
		if l.Total != len(got[a-1]) {
			t.Errorf("agent %d load %d, claimed %d", a, l.Total, len(got[a-1]))
		}
	}
	if total != convs {
		t.Errorf("loads add up to %d, want %d", total, convs)
	}
}

// testClaimAvailable checks the auto-assignment claim: the push, the presence check
// inside the claim, and the count of what remains.
func testClaimAvailable(t *testing.T, q teamqueue.Queue, p presence.Presence) {
	ctx := context.Background()
	agent := teamqueue.Slot{Agent: 5, Capacity: map[string]int{"email": 10}, Languages: []string{"fr"}}
	e1 := entry(1, 1, 50, 10)
	// Agent 5 never sent a heartbeat: unavailable, but the push is done.
	_, n, err := q.ClaimAvailable(ctx, &e1, []int64{0, 1}, agent, t0)
	if !errors.Is(err, teamqueue.ErrUnavailable) || n != 1 {
		t.Fatalf("ClaimAvailable(agent never seen) = %d left, %v; want 1 and ErrUnavailable", n, err)
	}
	if _, err := p.Heartbeat(ctx, 5, presence.Away); err != nil {
		t.Fatal(err)
	}
	if _, _, err := q.ClaimAvailable(ctx, nil, []int64{0, 1}, agent, t0); !errors.Is(err, teamqueue.ErrUnavailable) {
		t.Fatalf("ClaimAvailable(away agent) = %v, want ErrUnavailable", err)
	}
	p.Heartbeat(ctx, 5, presence.Online)
	// A newer, less urgent push: the agent gets the older, more urgent one first.
	e2 := entry(2, 1, 40, 1)
	got, n, err := q.ClaimAvailable(ctx, &e2, []int64{0, 1}, agent, t0)
	if err != nil || got.ConversationID != 1 || n != 1 {
		t.Fatalf("ClaimAvailable() = %d (%d left), %v; want 1, 1 left", got.ConversationID, n, err)
	}
	if got := peek(t, q, 1); !slices.Equal(got, []int64{2}) {
		t.Errorf("queue after ClaimAvailable = %v, want [2]", got)
	}
	// Pushing to a queue the agent does not serve: counted, not taken.
	e3 := entry(3, 7, 99, 50)
	if _, n, err := q.ClaimAvailable(ctx, &e3, []int64{1}, agent, t0); err != nil || n != 1 {
		t.Errorf("ClaimAvailable(push elsewhere) = %d left, %v; want 2 taken and 1 left (team 7)", n, err)
	}
	if _, n, err := q.ClaimAvailable(ctx, nil, []int64{1}, agent, t0); !errors.Is(err, teamqueue.ErrEmpty) || n != 0 {
		t.Errorf("ClaimAvailable(nothing in its queues) = %d left, %v; want 0 and ErrEmpty", n, err)
	}
	// A held conversation is not pushed.
	if _, _, err := q.ClaimAvailable(ctx, &e1, []int64{1}, agent, t0); !errors.Is(err, teamqueue.ErrHeld) {
		t.Errorf("ClaimAvailable(push held) = %v, want ErrHeld", err)
	}
	if _, _, err := q.ClaimAvailable(ctx, &teamqueue.Entry{ConversationID: 9}, nil, agent, t0); err == nil {
		t.Error("ClaimAvailable(push without channel) = nil error")
	}
	// A new conversation better than everything queued goes straight to the agent.
	e5 := entry(5, 1, 100, 0)
	if got, n, err := q.ClaimAvailable(ctx, &e5, []int64{0, 1}, agent, t0); err != nil || got.ConversationID != 5 || n != 0 {
		t.Errorf("ClaimAvailable(best new one) = %d (%d left), %v; want 5, 0 left", got.ConversationID, n, err)
	}
	holds, _ := q.Holds(ctx)
	if !slices.ContainsFunc(holds, func(h teamqueue.Hold) bool { return h.ConversationID == 5 && h.Agent == 5 }) {
		t.Errorf("Holds = %+v, want 5 held by agent 5", holds)
	}
	// Re-queued at a lower priority, a conversation no longer jumps ahead of a better one.
	push(t, q, entry(6, 1, 90, 0), entry(7, 1, 80, 0))
	e6 := entry(6, 1, 10, 0)
	if got, _, err := q.ClaimAvailable(ctx, &e6, []int64{1}, agent, t0); err != nil || got.ConversationID != 7 {
		t.Errorf("ClaimAvailable(re-push at priority 10) = %d, %v; want 7 (priority 80)", got.ConversationID, err)
	}
	if l, _ := q.Loads(ctx, []int64{5}); l[5].Total != 4 || l[5].Channels["email"] != 4 {
		t.Errorf("agent 5 load = %+v, want 4 emails", l[5])
	}
	// Leaving makes the agent unavailable at once.
	p.Leave(ctx, 5)
	e4 := entry(4, 1, 50, 1)
	if _, _, err := q.ClaimAvailable(ctx, &e4, []int64{1}, agent, t0); !errors.Is(err, teamqueue.ErrUnavailable) {
		t.Errorf("ClaimAvailable(agent left) = %v, want ErrUnavailable", err)
	}
}
