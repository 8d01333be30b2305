package assign

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/presence/presencetest"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

type directory []Agent

func (d directory) Agents(context.Context) ([]Agent, error) { return slices.Clone(d), nil }

// fixture is a queue, a presence on a fake clock, agents and a recording committer.
type fixture struct {
	q       *teamqueue.MemoryQueue
	p       *presence.Memory
	clock   *presencetest.Clock
	a       *Assigner
	mu      sync.Mutex
	commits map[int64]int64 // conversation -> agent
	fail    func(id int64) error
}

func newFixture(t *testing.T, agents ...Agent) *fixture {
	f := &fixture{clock: presencetest.NewClock(), commits: map[int64]int64{}}
	f.p = presence.NewMemory(presence.Config{TTL: 30 * time.Second}, f.clock.Now)
	f.q = teamqueue.NewMemory(func(agent int64, _ time.Time) bool {
		m, err := f.p.Get(context.Background(), []int64{agent})
		return err == nil && m[agent].Status == presence.Online
	})
	commit := func(_ context.Context, e teamqueue.Entry, agent int64, _ string) error {
		if f.fail != nil {
			if err := f.fail(e.ConversationID); err != nil {
				return err
			}
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if prev, ok := f.commits[e.ConversationID]; ok {
			t.Errorf("conversation %d committed twice (agents %d and %d)", e.ConversationID, prev, agent)
		}
		f.commits[e.ConversationID] = agent
		return nil
	}
	f.a = New(f.q, f.p, directory(agents), commit, f.clock.Now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return f
}

func agent(id int64, teams ...int64) Agent {
	return Agent{ID: id, Teams: teams, Languages: []string{"fr"}, Capacity: map[string]int{"email": 10, "webchat": 2}}
}

func (f *fixture) online(t *testing.T, ids ...int64) {
	for _, id := range ids {
		if _, err := f.p.Heartbeat(context.Background(), id, presence.Online); err != nil {
			t.Fatal(err)
		}
	}
	f.a.Invalidate()
}

func (f *fixture) push(t *testing.T, es ...teamqueue.Entry) {
	for _, e := range es {
		if err := f.q.Push(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) hold(t *testing.T, agent int64, n int) {
	for i := range n {
		if err := f.q.Hold(context.Background(), int64(1000*agent)+int64(i), agent, "email", f.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
}

func conv(id int64, team int64) teamqueue.Entry {
	return teamqueue.Entry{ConversationID: id, Team: team, Priority: 50, Since: time.Date(2026, 3, 9, 8, 0, 0, int(id), time.UTC), Channel: "email"}
}

func (f *fixture) round(t *testing.T) []Assignment {
	t.Helper()
	got, err := f.a.Round(context.Background(), nil)
	if err != nil {
		t.Fatalf("Round() = %v", err)
	}
	return got
}

func TestLeastLoadedFirst(t *testing.T) {
	f := newFixture(t, agent(1, 1), agent(2, 1), agent(3, 1))
	f.online(t, 1, 2, 3)
	f.hold(t, 1, 2)
	f.hold(t, 3, 1)
	f.push(t, conv(1, 1))
	got := f.round(t)
	if len(got) != 1 || got[0].Agent != 2 {
		t.Fatalf("Round() = %+v, want conversation 1 for agent 2 (holding nothing)", got)
	}
	// Nine more: loads must even out, never differing by more than one.
	for i := range 9 {
		f.push(t, conv(int64(10+i), 1))
	}
	f.round(t)
	loads, _ := f.q.Loads(context.Background(), []int64{1, 2, 3})
	lo, hi := 100, 0
	for _, l := range loads {
		lo, hi = min(lo, l.Total), max(hi, l.Total)
	}
	if hi-lo > 1 || loads[1].Total+loads[2].Total+loads[3].Total != 13 {
		t.Errorf("loads after 10 assignments = %d/%d/%d, want balanced within one, 13 in all", loads[1].Total, loads[2].Total, loads[3].Total)
	}
}

func TestLongestIdleBreaksTies(t *testing.T) {
	f := newFixture(t, agent(1, 1), agent(2, 1), agent(3, 1))
	f.online(t, 1, 2, 3)
	// Equal loads of one; agent 3 was assigned first, then 1, then 2.
	for _, id := range []int64{3, 1, 2} {
		f.hold(t, id, 1)
		f.clock.Advance(20 * time.Second)
		f.online(t, 1, 2, 3)
	}
	f.push(t, conv(1, 1))
	if got := f.round(t); len(got) != 1 || got[0].Agent != 3 {
		t.Fatalf("Round() = %+v, want agent 3, idle the longest", got)
	}
	f.push(t, conv(2, 1))
	if got := f.round(t); len(got) != 1 || got[0].Agent != 1 {
		t.Fatalf("Round() = %+v, want agent 1 next", got)
	}
}

func TestNeverAwayOrOffline(t *testing.T) {
	f := newFixture(t, agent(1, 1), agent(2, 1), agent(3, 1))
	f.online(t, 1, 2)
	f.p.Heartbeat(context.Background(), 3, presence.Away)
	f.clock.Advance(20 * time.Second)
	f.online(t, 2) // agent 1's heartbeat will expire; agent 2 keeps going
	f.clock.Advance(20 * time.Second)
	f.p.Heartbeat(context.Background(), 3, presence.Away)
	for i := range 5 {
		f.push(t, conv(int64(i+1), 1))
	}
	got := f.round(t)
	for _, as := range got {
		if as.Agent != 2 {
			t.Fatalf("conversation %d went to agent %d, which is not online", as.Entry.ConversationID, as.Agent)
		}
	}
	if len(got) != 5 {
		t.Errorf("Round() assigned %d, want all 5 to agent 2", len(got))
	}
}

func TestLanguagesSkillsTeamsCapacity(t *testing.T) {
	en := agent(2, 1)
	en.Languages = []string{"fr", "en"}
	compta := agent(3, 2)
	compta.Skills = []string{"compta"}
	chatty := agent(4, 1)
	chatty.Capacity = map[string]int{"webchat": 1}
	f := newFixture(t, agent(1, 1), en, compta, chatty)
	f.online(t, 1, 2, 3, 4)
	english := conv(1, 1)
	english.Language = "en"
	skilled := conv(2, 2)
	skilled.Skills = []string{"compta"}
	chat1, chat2 := conv(3, 1), conv(4, 1)
	chat1.Channel, chat2.Channel = "webchat", "webchat"
	f.hold(t, 1, 3) // keep agent 1 busiest, so the choice is forced by the constraints
	f.hold(t, 2, 1)
	f.push(t, english, skilled)
	f.round(t)
	if f.commits[1] != 2 || f.commits[2] != 3 {
		t.Errorf("English went to %d (want 2, the English speaker), skilled to %d (want 3)", f.commits[1], f.commits[2])
	}
	f.push(t, chat1, chat2)
	f.round(t)
	if f.commits[3] != 4 || f.commits[4] == 4 || f.commits[4] == 0 {
		t.Errorf("chats went to %d and %d: want the first to agent 4 (idle, chat capacity 1), the second to someone else", f.commits[3], f.commits[4])
	}
	// Team 2's queue is served only by agent 3; the shared queue by everyone.
	f.push(t, conv(5, 2), conv(6, 0))
	f.round(t)
	if f.commits[5] != 3 || f.commits[6] == 0 {
		t.Errorf("team 2 conversation went to %d (want 3), shared one to %d", f.commits[5], f.commits[6])
	}
}

func TestStickyPreviousAgent(t *testing.T) {
	f := newFixture(t, agent(1, 1), agent(2, 1))
	f.online(t, 1, 2)
	f.hold(t, 1, 4)
	e := conv(1, 1)
	e.Previous = 1
	f.push(t, e)
	got, err := f.a.Offer(context.Background(), e)
	if err != nil || len(got) != 1 || got[0].Agent != 1 || got[0].Reason != "returning contact: back to their previous agent" {
		t.Fatalf("Offer(returning contact) = %+v, %v, want agent 1 as previous agent", got, err)
	}
	// The previous agent offline: the least loaded takes it.
	f.p.Leave(context.Background(), 1)
	e2 := conv(2, 1)
	e2.Previous = 1
	f.push(t, e2)
	got, _ = f.a.Offer(context.Background(), e2)
	if len(got) != 1 || got[0].Agent != 2 {
		t.Fatalf("Offer(previous agent offline) = %+v, want agent 2", got)
	}
}

func TestCommitFailures(t *testing.T) {
	f := newFixture(t, agent(1, 1))
	f.online(t, 1)
	f.fail = func(id int64) error {
		switch id {
		case 1:
			return fmt.Errorf("store: %w", ErrNotAssignable)
		case 2:
			return errors.New("store: disk full")
		}
		return nil
	}
	f.push(t, conv(1, 1))
	f.round(t)
	if n, _ := f.q.Len(context.Background(), 1); n != 0 {
		t.Errorf("a not-assignable conversation stayed queued (%d queued)", n)
	}
	f.push(t, conv(2, 1))
	f.round(t)
	if got, _ := f.q.Peek(context.Background(), 1, 10); len(got) != 1 || got[0].ConversationID != 2 {
		t.Errorf("after a failed commit, queue = %+v, want conversation 2 back", got)
	}
	if l, _ := f.q.Loads(context.Background(), []int64{1}); l[1].Total != 0 {
		t.Errorf("failed commits left agent 1 with load %d", l[1].Total)
	}
}

func TestConfig(t *testing.T) {
	c := Config{Capacity: map[string]int{"webchat": 2}, Agents: []AgentConfig{{Email: "Camille@x.fr", Skills: []string{"english"}, Capacity: map[string]int{"email": 20}}}}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	langs, skills, caps := c.Profile("camille@x.fr", nil)
	if !slices.Equal(langs, []string{"fr"}) || !slices.Equal(skills, []string{"english"}) || caps["email"] != 20 || caps["webchat"] != 2 || caps["telephony"] != 1 {
		t.Errorf("Profile = %v %v %v", langs, skills, caps)
	}
	for _, bad := range []Config{
		{Capacity: map[string]int{"email": -1}},
		{Roles: []string{"boss"}},
		{Agents: []AgentConfig{{Email: "nobody"}}},
		{Agents: []AgentConfig{{Email: "a@x"}, {Email: "A@x"}}},
		{Agents: []AgentConfig{{Email: "a@x", Skills: []string{"a b"}}}},
		{Interval: time.Millisecond},
	} {
		if err := bad.WithDefaults().Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}
