package assign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Queue is what the Assigner needs of the team queues.
type Queue interface {
	Push(ctx context.Context, e teamqueue.Entry) error
	Claim(ctx context.Context, id int64, s teamqueue.Slot, now time.Time) (teamqueue.Entry, error)
	ClaimAvailable(ctx context.Context, push *teamqueue.Entry, queues []int64, s teamqueue.Slot, now time.Time) (teamqueue.Entry, int, error)
	Release(ctx context.Context, id int64) (bool, error)
	Loads(ctx context.Context, agents []int64) (map[int64]teamqueue.Load, error)
}

// Presence is what the Assigner needs of presence.
type Presence interface {
	Get(ctx context.Context, ids []int64) (map[int64]presence.Entry, error)
}

// Directory lists the agents who may get conversations automatically, with their teams,
// languages, skills and capacity (Status, OnlineSince and Load are filled by the
// Assigner).
type Directory interface {
	Agents(ctx context.Context) ([]Agent, error)
}

// Committer writes an assignment to the store. It returns an error wrapping
// ErrNotAssignable when the conversation may no longer be given (someone took it by hand,
// it was resolved or erased): the Assigner then drops it from the queue; after any other
// error it queues the conversation again.
type Committer func(ctx context.Context, e teamqueue.Entry, agentID int64, reason string) error

// ErrNotAssignable is wrapped by Committer errors about conversations that must leave the
// queue.
var ErrNotAssignable = errors.New("assign: conversation no longer assignable")

// Assignment is a conversation given to an agent.
type Assignment struct {
	Entry  teamqueue.Entry
	Agent  int64
	Reason string
}

// SnapshotTTL is how long the presence and loads read for ordering agents are reused:
// short enough that the order follows the desk, long enough that a burst of new
// conversations costs no extra reads. Whom a conversation may go to is checked at claim
// time regardless.
const SnapshotTTL = time.Second

// Assigner runs assignment rounds. Safe for concurrent use.
type Assigner struct {
	queue    Queue
	presence Presence
	dir      Directory
	commit   Committer
	now      func() time.Time
	log      *slog.Logger

	mu    sync.Mutex
	read  time.Time // when the snapshot was read; zero: stale
	pres  map[int64]presence.Entry
	loads map[int64]teamqueue.Load
}

// New returns an Assigner; now may be nil (time.Now).
func New(q Queue, p Presence, d Directory, commit Committer, now func() time.Time, logger *slog.Logger) *Assigner {
	if now == nil {
		now = time.Now
	}
	return &Assigner{queue: q, presence: p, dir: d, commit: commit, now: now, log: logger.With("component", "assign")}
}

// Invalidate makes the next round read presence and loads again (an agent's presence
// changed).
func (a *Assigner) Invalidate() {
	a.mu.Lock()
	a.read = time.Time{}
	a.mu.Unlock()
}

// Candidates returns the online agents serving teams (every agent when teams is nil),
// with their presence and load from the snapshot.
func (a *Assigner) Candidates(ctx context.Context, teams []int64) ([]Agent, error) {
	agents, err := a.dir.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("assign: agents: %w", err)
	}
	agents = slices.DeleteFunc(agents, func(ag Agent) bool {
		return teams != nil && !slices.ContainsFunc(teams, func(t int64) bool { return t == 0 || slices.Contains(ag.Teams, t) })
	})
	if len(agents) == 0 {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if err := a.refresh(ctx, agents); err != nil {
		return nil, err
	}
	out := agents[:0]
	for _, ag := range agents {
		p, ok := a.pres[ag.ID]
		if !ok || p.Status != presence.Online {
			continue
		}
		// The Channels map is shared with the snapshot: it is replaced, never changed
		// (see took and round).
		ag.Status, ag.OnlineSince, ag.Load = p.Status, p.Since, a.loads[ag.ID]
		out = append(out, ag)
	}
	return out, nil
}

// refresh reads presence and loads of agents again when the snapshot is older than
// SnapshotTTL or misses an agent; the caller holds a.mu.
func (a *Assigner) refresh(ctx context.Context, agents []Agent) error {
	now := a.now()
	fresh := !a.read.IsZero() && now.Sub(a.read) < SnapshotTTL && now.Sub(a.read) >= 0
	if fresh {
		for _, ag := range agents {
			if _, ok := a.pres[ag.ID]; !ok {
				fresh = false
				break
			}
		}
	}
	if fresh {
		return nil
	}
	ids := make([]int64, len(agents))
	for i, ag := range agents {
		ids[i] = ag.ID
	}
	var (
		wg     sync.WaitGroup
		pres   map[int64]presence.Entry
		loads  map[int64]teamqueue.Load
		pe, le error
	)
	wg.Go(func() { pres, pe = a.presence.Get(ctx, ids) })
	wg.Go(func() { loads, le = a.queue.Loads(ctx, ids) })
	wg.Wait()
	if err := errors.Join(pe, le); err != nil {
		return fmt.Errorf("assign: presence and loads: %w", err)
	}
	a.pres, a.loads, a.read = pres, loads, now
	return nil
}

// took records in the snapshot that agent got a conversation of channel.
func (a *Assigner) took(agent int64, channel string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.loads != nil {
		a.loads[agent] = grown(a.loads[agent], channel, now)
	}
}

// grown returns l with one more conversation of channel, assigned at now. It copies the
// Channels map: loads share their maps with the snapshot, so they are never changed in
// place.
func grown(l teamqueue.Load, channel string, now time.Time) teamqueue.Load {
	ch := make(map[string]int, len(l.Channels)+1)
	maps.Copy(ch, l.Channels)
	ch[channel]++
	return teamqueue.Load{Channels: ch, Total: l.Total + 1, LastAssigned: now}
}

// Offer queues e and assigns what it can: to e's previous agent when they can take it
// (a returning contact), otherwise through a round of its team's agents whose first
// claim pushes e. It fails with an error wrapping teamqueue.ErrHeld when an agent holds
// the conversation.
func (a *Assigner) Offer(ctx context.Context, e teamqueue.Entry) ([]Assignment, error) {
	cands, err := a.Candidates(ctx, []int64{e.Team})
	if err != nil {
		return nil, err
	}
	var done []Assignment
	push := &e
	if i := slices.IndexFunc(cands, func(ag Agent) bool { return e.Previous != 0 && ag.ID == e.Previous && ag.CanTake(e) }); i >= 0 {
		as, ok, err := a.sticky(ctx, e, cands[i])
		if err != nil {
			return nil, err
		}
		push = nil
		if ok {
			done = append(done, as)
			cands[i].Load = grown(cands[i].Load, e.Channel, a.now())
			a.took(cands[i].ID, e.Channel, a.now())
		}
	}
	more, err := a.round(ctx, cands, push)
	return append(done, more...), err
}

// sticky queues e and gives it to its previous agent, checking their presence afresh.
func (a *Assigner) sticky(ctx context.Context, e teamqueue.Entry, ag Agent) (Assignment, bool, error) {
	if err := a.queue.Push(ctx, e); err != nil {
		return Assignment{}, false, fmt.Errorf("assign: queue %d: %w", e.ConversationID, err)
	}
	p, err := a.presence.Get(ctx, []int64{ag.ID})
	if err != nil {
		return Assignment{}, false, fmt.Errorf("assign: presence: %w", err)
	}
	if p[ag.ID].Status != presence.Online {
		a.Invalidate()
		return Assignment{}, false, nil
	}
	got, err := a.queue.Claim(ctx, e.ConversationID, ag.Slot(), a.now())
	if errors.Is(err, teamqueue.ErrGone) || errors.Is(err, teamqueue.ErrFull) {
		return Assignment{}, false, nil
	}
	if err != nil {
		return Assignment{}, false, fmt.Errorf("assign: claim %d: %w", e.ConversationID, err)
	}
	as, ok := a.finish(ctx, got, ag.ID, "returning contact: back to their previous agent")
	return as, ok, nil
}

// Round assigns what it can of the queues of teams (every queue of the online agents
// when teams is nil).
func (a *Assigner) Round(ctx context.Context, teams []int64) ([]Assignment, error) {
	cands, err := a.Candidates(ctx, teams)
	if err != nil {
		return nil, err
	}
	return a.round(ctx, cands, nil)
}

// round lets cands claim, least loaded then longest idle first, until the queues are
// empty or nobody can take anything; the first claim pushes push, if any.
func (a *Assigner) round(ctx context.Context, cands []Agent, push *teamqueue.Entry) ([]Assignment, error) {
	active := make([]*Agent, len(cands))
	for i := range cands {
		active[i] = &cands[i]
	}
	var done []Assignment
	empty := map[int64]bool{} // queues known to be empty
	for {
		active = slices.DeleteFunc(active, func(ag *Agent) bool {
			return !slices.ContainsFunc(ag.Queues(), func(q int64) bool { return !empty[q] })
		})
		if len(active) == 0 {
			break
		}
		best := 0
		for i := range active[1:] {
			if compare(*active[i+1], *active[best]) < 0 {
				best = i + 1
			}
		}
		ag := active[best]
		now := a.now()
		got, remaining, err := a.queue.ClaimAvailable(ctx, push, ag.Queues(), ag.Slot(), now)
		if errors.Is(err, teamqueue.ErrHeld) {
			return done, fmt.Errorf("assign: queue %d: %w", push.ConversationID, err)
		}
		push = nil
		switch {
		case errors.Is(err, teamqueue.ErrUnavailable):
			a.Invalidate()
			active = slices.Delete(active, best, best+1)
		case errors.Is(err, teamqueue.ErrEmpty):
			active = slices.Delete(active, best, best+1)
		case err != nil:
			return done, fmt.Errorf("assign: claim for agent %d: %w", ag.ID, err)
		default:
			if as, ok := a.finish(ctx, got, ag.ID, reason(*ag)); ok {
				done = append(done, as)
				ag.Load = grown(ag.Load, got.Channel, now)
				a.took(ag.ID, got.Channel, now)
			} else {
				active = slices.Delete(active, best, best+1) // do not loop on an agent whose assignments fail
			}
		}
		if remaining == 0 {
			for _, q := range ag.Queues() {
				empty[q] = true
			}
		}
	}
	if push != nil {
		if err := a.queue.Push(ctx, *push); err != nil {
			return done, fmt.Errorf("assign: queue %d: %w", push.ConversationID, err)
		}
	}
	return done, nil
}

func reason(a Agent) string {
	return fmt.Sprintf("least loaded available agent (%d held), idle since %s", a.Load.Total, a.IdleSince().Format(time.RFC3339))
}

// finish commits a claimed conversation, or undoes the claim when that fails.
func (a *Assigner) finish(ctx context.Context, e teamqueue.Entry, agent int64, why string) (Assignment, bool) {
	err := a.commit(ctx, e, agent, why)
	if err == nil {
		return Assignment{Entry: e, Agent: agent, Reason: why}, true
	}
	if _, rerr := a.queue.Release(ctx, e.ConversationID); rerr != nil {
		a.log.Error("release after failed assignment", "conversation_id", e.ConversationID, "err", rerr)
	}
	if errors.Is(err, ErrNotAssignable) {
		a.log.Info("conversation left the queue", "conversation_id", e.ConversationID, "reason", err)
		return Assignment{}, false
	}
	a.log.Warn("assignment not recorded; queued again", "conversation_id", e.ConversationID, "agent_id", agent, "err", err)
	if perr := a.queue.Push(ctx, e); perr != nil && !errors.Is(perr, teamqueue.ErrHeld) {
		a.log.Error("queue again after failed assignment", "conversation_id", e.ConversationID, "err", perr)
	}
	return Assignment{}, false
}
