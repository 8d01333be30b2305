package router

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/sla"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// scanPage is how many conversations a job reads from the store at a time.
const scanPage = 500

// staleHold is how old a hold must be before Reconcile drops it for not matching the
// store: younger ones may be claims whose assignment is being written.
const staleHold = 30 * time.Second

// Run runs the periodic jobs until ctx ends: it reconciles the queues with the store
// first (after a restart the memory queues are empty), then runs assignment rounds,
// presence sweeps, SLA checks, ageing, handoff expiry and reconciliation, each at its
// interval. A failing job is logged and tried again at its next turn.
func (r *Router) Run(ctx context.Context) error {
	if err := r.Reconcile(ctx); err != nil && ctx.Err() == nil {
		r.log.Error("reconcile at start", "err", err)
	}
	jobs := []struct {
		name  string
		every time.Duration
		fn    func(context.Context) error
	}{
		{"assign", r.cfg.Assign.Interval, r.AssignRound},
		{"presence", r.cfg.Jobs.Presence, r.SweepPresence},
		{"sla", r.cfg.Jobs.SLA, r.CheckSLA},
		{"ageing", r.cfg.Jobs.Ageing, r.Age},
		{"handoffs", r.cfg.Jobs.SLA, r.ExpireHandoffs},
		{"reconcile", r.cfg.Jobs.Reconcile, r.Reconcile},
	}
	next := make([]time.Time, len(jobs))
	start := time.Now()
	for i, j := range jobs {
		next[i] = start.Add(j.every)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		soonest := next[0]
		for _, t := range next[1:] {
			if t.Before(soonest) {
				soonest = t
			}
		}
		timer.Reset(time.Until(soonest))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		now := time.Now()
		for i, j := range jobs {
			if now.Before(next[i]) {
				continue
			}
			next[i] = now.Add(j.every)
			if err := j.fn(ctx); err != nil && ctx.Err() == nil {
				r.log.Error("job failed", "job", j.name, "err", err)
			}
		}
	}
}

// AssignRound runs an assignment round over every queue (agents coming online, slots
// freed by resolved conversations).
func (r *Router) AssignRound(ctx context.Context) error {
	if r.cfg.Assign.Disabled {
		return nil
	}
	got, err := r.assigner.Round(ctx, nil)
	if len(got) > 0 {
		r.log.Debug("assignment round", "assigned", len(got))
	}
	return err
}

// SweepPresence records expired heartbeats as offline and returns the open
// conversations of every offline agent (within the presence retention) to their
// queues. It is idempotent: an agent whose conversations went back already has none.
func (r *Router) SweepPresence(ctx context.Context) error {
	gone, err := r.presence.Expire(ctx)
	if err != nil {
		return fmt.Errorf("router: presence sweep: %w", err)
	}
	if len(gone) > 0 {
		r.log.Info("agents went offline", "count", len(gone))
	}
	list, err := r.presence.List(ctx)
	if err != nil {
		return fmt.Errorf("router: presence sweep: %w", err)
	}
	var errs []error
	for _, e := range list {
		if e.Status == presence.Offline {
			errs = append(errs, r.requeueAgent(ctx, e.UserID))
		}
	}
	return errors.Join(errs...)
}

// requeueAgent returns agent's open conversations to their queues.
func (r *Router) requeueAgent(ctx context.Context, agent int64) error {
	convs, err := r.in.AssignedConversations(ctx, agent)
	if err != nil {
		return fmt.Errorf("router: requeue agent %d: %w", agent, err)
	}
	for _, c := range convs {
		if c.Status != inbox.StatusOpen {
			continue // pending: waiting on the contact; a reply from them routes it again
		}
		c, done, err := r.in.Unassign(ctx, c.ID, agent, "agent went offline")
		if err != nil {
			return fmt.Errorf("router: requeue %d: %w", c.ID, err)
		}
		if !done {
			continue
		}
		if _, err := r.queue.Release(ctx, c.ID); err != nil {
			return fmt.Errorf("router: requeue %d: %w", c.ID, err)
		}
		if err := r.resync(ctx, c.ID, true); err != nil {
			return err
		}
		r.log.Info("conversation back in the queue", "conversation_id", c.ID, "agent_id", agent, "reason", "agent offline")
	}
	return nil
}

// eachActive calls fn for every open or pending conversation.
func (r *Router) eachActive(ctx context.Context, fn func(inbox.Conversation) error) error {
	var after int64
	for {
		page, err := r.in.ActiveConversations(ctx, after, scanPage)
		if err != nil {
			return err
		}
		for _, c := range page {
			if err := fn(c); err != nil {
				return err
			}
			after = c.ID
		}
		if len(page) < scanPage {
			return ctx.Err()
		}
	}
}

// CheckSLA records a warning for every running SLA target past WarnAt of its time and a
// breach for every one past its deadline; each is recorded once, as a timeline event
// and a bus event supervisors are notified of. Conversations waiting for their contact
// (pending, snoozed) are skipped: their clock is stopped.
func (r *Router) CheckSLA(ctx context.Context) error {
	now := r.now()
	return r.eachActive(ctx, func(c inbox.Conversation) error {
		for _, t := range r.targets(c) {
			var st string
			switch r.stage(c, t, now) {
			case sla.Warning:
				st = inbox.SLAWarning
			case sla.Breached:
				st = inbox.SLABreached
			default:
				continue // fine, or stopped
			}
			added, err := r.in.RecordSLA(ctx, inbox.SLAEvent{ConversationID: c.ID, Target: t.name, Stage: st, Due: t.due, At: now})
			if err != nil {
				return fmt.Errorf("router: record SLA of %d: %w", c.ID, err)
			}
			if added {
				r.log.Info("SLA "+st, "conversation_id", c.ID, "target", t.name)
			}
		}
		return nil
	})
}

// Age recomputes the priority of open conversations as they wait and near their
// deadlines, and re-queues the waiting ones at their new priority.
func (r *Router) Age(ctx context.Context) error {
	now := r.now()
	return r.eachActive(ctx, func(c inbox.Conversation) error {
		if c.Status != inbox.StatusOpen {
			return nil
		}
		in, err := r.in.RoutingInput(ctx, c.ID)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("router: ageing %d: %w", c.ID, err)
		}
		if in.State.MessageID == 0 {
			return nil // not routed yet: routing will score it
		}
		score := r.score(in, now)
		if score.Value == c.Priority {
			return nil
		}
		if _, err := r.in.SetPriority(ctx, c.ID, score.Value); err != nil {
			return fmt.Errorf("router: ageing %d: %w", c.ID, err)
		}
		if c.AssigneeID == 0 {
			in.Conversation.Priority = score.Value
			if err := r.queue.Push(ctx, r.entry(in.Conversation, in.State, in.PreviousAgent)); err != nil && !errors.Is(err, teamqueue.ErrHeld) {
				return fmt.Errorf("router: ageing %d: %w", c.ID, err)
			}
		}
		return nil
	})
}

// score is the current priority of a routed conversation.
func (r *Router) score(in inbox.RoutingInput, now time.Time) priority.Score {
	c, st := in.Conversation, in.State
	return r.cfg.Priority.Score(priority.Input{Category: c.Category, Tension: c.Tension, Urgency: st.Urgency, Channel: c.Channel,
		VIP: in.Contact.VIP, Accessibility: in.Contact.Accessibility != "", WaitingSince: waiting(c), Now: now,
		SLA: r.slaState(c, now), Fixed: st.PriorityFixed, Adjust: st.PriorityAdjust})
}

// ExpireHandoffs times out the handoffs nobody answered; their conversations stay with
// who asked (or in the team queue).
func (r *Router) ExpireHandoffs(ctx context.Context) error {
	hs, err := r.in.ExpireHandoffs(ctx)
	for _, h := range hs {
		r.log.Info("handoff timed out", "handoff_id", h.ID, "conversation_id", h.ConversationID, "kind", string(h.Kind))
	}
	if err != nil {
		return fmt.Errorf("router: expire handoffs: %w", err)
	}
	return nil
}

// Reconcile makes the queues agree with the store: every open conversation without an
// agent is queued, every assigned one held by its agent, and entries and holds the
// store no longer backs are dropped.
func (r *Router) Reconcile(ctx context.Context) error {
	active := map[int64]inbox.Conversation{}
	err := r.eachActive(ctx, func(c inbox.Conversation) error {
		active[c.ID] = c
		if c.Status == inbox.StatusOpen && c.AssigneeID == 0 {
			return r.resync(ctx, c.ID, false)
		}
		return r.sync(ctx, c, inbox.RoutingState{}, 0, false)
	})
	if err != nil {
		return fmt.Errorf("router: reconcile: %w", err)
	}
	holds, err := r.queue.Holds(ctx)
	if err != nil {
		return fmt.Errorf("router: reconcile: %w", err)
	}
	now := r.now()
	for _, h := range holds {
		c, ok := active[h.ConversationID]
		if (ok && c.AssigneeID == h.Agent) || now.Sub(h.Since) < staleHold {
			continue
		}
		if _, err := r.queue.Release(ctx, h.ConversationID); err != nil {
			return fmt.Errorf("router: reconcile: %w", err)
		}
		if ok {
			if err := r.sync(ctx, c, inbox.RoutingState{}, 0, false); err != nil {
				return err
			}
		}
	}
	teams, err := r.dir.Teams(ctx)
	if err != nil {
		return err
	}
	ids := []int64{0}
	for _, t := range teams {
		ids = append(ids, t.ID)
	}
	for _, team := range ids {
		entries, err := r.queue.Peek(ctx, team, 100000)
		if err != nil {
			return fmt.Errorf("router: reconcile: %w", err)
		}
		for _, e := range entries {
			if c, ok := active[e.ConversationID]; ok && c.Status == inbox.StatusOpen && c.AssigneeID == 0 && c.TeamID == team {
				continue
			}
			if _, err := r.queue.Remove(ctx, e.ConversationID); err != nil {
				return fmt.Errorf("router: reconcile: %w", err)
			}
		}
	}
	return nil
}
