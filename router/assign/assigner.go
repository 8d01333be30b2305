package assign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Queue is what the Assigner needs of the team queues.
type Queue interface {
	Len(ctx context.Context, team int64) (int, error)
	Push(ctx context.Context, e teamqueue.Entry) error
	Claim(ctx context.Context, id int64, s teamqueue.Slot, now time.Time) (teamqueue.Entry, error)
	ClaimNext(ctx context.Context, teams []int64, s teamqueue.Slot, now time.Time) (teamqueue.Entry, error)
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

// Assigner runs assignment rounds. Safe for concurrent use.
type Assigner struct {
	queue    Queue
	presence Presence
	dir      Directory
	commit   Committer
	now      func() time.Time
	log      *slog.Logger
}

// New returns an Assigner; now may be nil (time.Now).
func New(q Queue, p Presence, d Directory, commit Committer, now func() time.Time, logger *slog.Logger) *Assigner {
	if now == nil {
		now = time.Now
	}
	return &Assigner{queue: q, presence: p, dir: d, commit: commit, now: now, log: logger.With("component", "assign")}
}

// Candidates returns the online agents with their presence and load.
func (a *Assigner) Candidates(ctx context.Context) ([]Agent, error) {
	agents, err := a.dir.Agents(ctx)
	if err != nil {
		return nil, fmt.Errorf("assign: agents: %w", err)
	}
	if len(agents) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(agents))
	for i, ag := range agents {
		ids[i] = ag.ID
	}
	// Presence and loads are read at once: one round trip of wall time with Redis.
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
		return nil, fmt.Errorf("assign: candidates: %w", err)
	}
	out := agents[:0]
	for _, ag := range agents {
		p := pres[ag.ID]
		if p.Status != presence.Online {
			continue
		}
		ag.Status, ag.OnlineSince, ag.Load = p.Status, p.Since, loads[ag.ID]
		if ag.Load.Channels == nil {
			ag.Load.Channels = map[string]int{}
		}
		out = append(out, ag)
	}
	return out, nil
}

// Offer assigns e, just queued: to its previous agent when they can take it (a
// returning contact), otherwise through a round of its team.
func (a *Assigner) Offer(ctx context.Context, e teamqueue.Entry) ([]Assignment, error) {
	cands, err := a.Candidates(ctx)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	var done []Assignment
	if e.Previous != 0 {
		if i := slices.IndexFunc(cands, func(ag Agent) bool { return ag.ID == e.Previous }); i >= 0 && cands[i].CanTake(e) {
			got, err := a.queue.Claim(ctx, e.ConversationID, cands[i].Slot(), a.now())
			switch {
			case err == nil:
				if as, ok := a.finish(ctx, got, &cands[i], "returning contact: back to their previous agent"); ok {
					done = append(done, as)
				}
			case !errors.Is(err, teamqueue.ErrGone) && !errors.Is(err, teamqueue.ErrFull):
				return done, fmt.Errorf("assign: claim %d: %w", e.ConversationID, err)
			}
		}
	}
	more, err := a.round(ctx, cands, []int64{e.Team})
	return append(done, more...), err
}

// Round assigns what it can of the queues of teams (every queue of the online agents
// when teams is nil).
func (a *Assigner) Round(ctx context.Context, teams []int64) ([]Assignment, error) {
	cands, err := a.Candidates(ctx)
	if err != nil || len(cands) == 0 {
		return nil, err
	}
	return a.round(ctx, cands, teams)
}

func (a *Assigner) round(ctx context.Context, cands []Agent, teams []int64) ([]Assignment, error) {
	// Only agents serving one of the teams take part; they take from all their queues.
	var active []*Agent
	queues := map[int64]bool{}
	for i := range cands {
		ag := &cands[i]
		if teams != nil && !slices.ContainsFunc(teams, func(t int64) bool { return t == 0 || slices.Contains(ag.Teams, t) }) {
			continue
		}
		active = append(active, ag)
		for _, q := range ag.Queues() {
			queues[q] = true
		}
	}
	if len(active) == 0 {
		return nil, nil
	}
	remaining, err := a.lengths(ctx, queues)
	if err != nil {
		return nil, err
	}
	var done []Assignment
	for remaining > 0 && len(active) > 0 {
		slices.SortFunc(active, func(x, y *Agent) int { return compare(*x, *y) })
		ag := active[0]
		e, err := a.queue.ClaimNext(ctx, ag.Queues(), ag.Slot(), a.now())
		if errors.Is(err, teamqueue.ErrEmpty) {
			active = active[1:]
			continue
		}
		if err != nil {
			return done, fmt.Errorf("assign: claim for agent %d: %w", ag.ID, err)
		}
		remaining--
		if as, ok := a.finish(ctx, e, ag, reason(*ag)); ok {
			done = append(done, as)
		} else {
			active = active[1:] // do not loop on an agent whose assignments fail
		}
	}
	return done, nil
}

// lengths sums the lengths of queues, read at once.
func (a *Assigner) lengths(ctx context.Context, queues map[int64]bool) (int, error) {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		errs  []error
	)
	for q := range queues {
		wg.Go(func() {
			n, err := a.queue.Len(ctx, q)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, fmt.Errorf("assign: queue lengths: %w", err)
	}
	return total, nil
}

// finish commits a claimed conversation, or undoes the claim when that fails.
func (a *Assigner) finish(ctx context.Context, e teamqueue.Entry, ag *Agent, why string) (Assignment, bool) {
	err := a.commit(ctx, e, ag.ID, why)
	if err == nil {
		ag.Load.Channels[e.Channel]++
		ag.Load.Total++
		ag.Load.LastAssigned = a.now()
		return Assignment{Entry: e, Agent: ag.ID, Reason: why}, true
	}
	if _, rerr := a.queue.Release(ctx, e.ConversationID); rerr != nil {
		a.log.Error("release after failed assignment", "conversation_id", e.ConversationID, "err", rerr)
	}
	if errors.Is(err, ErrNotAssignable) {
		a.log.Info("conversation left the queue", "conversation_id", e.ConversationID, "reason", err)
		return Assignment{}, false
	}
	a.log.Warn("assignment not recorded; queued again", "conversation_id", e.ConversationID, "agent_id", ag.ID, "err", err)
	if perr := a.queue.Push(ctx, e); perr != nil && !errors.Is(perr, teamqueue.ErrHeld) {
		a.log.Error("queue again after failed assignment", "conversation_id", e.ConversationID, "err", perr)
	}
	return Assignment{}, false
}
