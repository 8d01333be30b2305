package router

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// ErrNothingToTake is returned by TakeNext when no queued conversation suits the agent
// (or they have no room for any).
var ErrNothingToTake = errors.New("router: nothing to take")

// Taken is a conversation an agent took, with the handoff note they should read first,
// if it came through a handoff.
type Taken struct {
	Conversation inbox.ConversationDetail `json:"conversation"`
	Handoff      *inbox.Handoff           `json:"handoff,omitempty"`
}

// slot is u as a queue slot for taking by hand: their teams' queues and the shared one,
// their languages and skills (plus ManualSkill), their capacity.
func (r *Router) slot(u inbox.User) teamqueue.Slot {
	ag := r.dir.profile(u)
	s := ag.Slot()
	s.Skills = append(slices.Clone(s.Skills), ManualSkill)
	return s
}

// maxTakeAttempts bounds TakeNext's retries when conversations it claims turn out to be
// taken already in the store.
const maxTakeAttempts = 5

// TakeNext gives u the best queued conversation of their teams (and the shared queue)
// that suits them and fits their capacity: ErrNothingToTake when there is none.
func (r *Router) TakeNext(ctx context.Context, u inbox.User) (Taken, error) {
	if u.Disabled {
		return Taken{}, inbox.ErrUnauthorized
	}
	s := r.slot(u)
	queues := append([]int64{0}, u.TeamIDs...)
	for range maxTakeAttempts {
		e, err := r.queue.ClaimNext(ctx, queues, s, r.now())
		if errors.Is(err, teamqueue.ErrEmpty) {
			return Taken{}, ErrNothingToTake
		}
		if err != nil {
			return Taken{}, fmt.Errorf("router: take next for %d: %w", u.ID, err)
		}
		_, err = r.in.AssignFromQueue(ctx, e.ConversationID, u.ID, inbox.ViaTakeNext, "taken by the agent")
		if errors.Is(err, inbox.ErrConflict) || errors.Is(err, inbox.ErrNotFound) {
			r.queue.Release(ctx, e.ConversationID)
			continue // someone took it by other means; the next one
		}
		if err != nil {
			r.queue.Release(ctx, e.ConversationID)
			if perr := r.queue.Push(ctx, e); perr != nil && !errors.Is(perr, teamqueue.ErrHeld) {
				r.log.Error("queue again after failed take", "conversation_id", e.ConversationID, "err", perr)
			}
			return Taken{}, fmt.Errorf("router: take next for %d: %w", u.ID, err)
		}
		return r.taken(ctx, u, e.ConversationID)
	}
	return Taken{}, ErrNothingToTake
}

// taken loads what an agent who got conversation id reads first.
func (r *Router) taken(ctx context.Context, u inbox.User, id int64) (Taken, error) {
	d, err := r.in.Conversation(ctx, u, id)
	if err != nil {
		return Taken{}, err
	}
	t := Taken{Conversation: d}
	hs, err := r.in.Handoffs(ctx, u, inbox.HandoffQuery{ConversationID: id, Limit: 1})
	if err != nil {
		return Taken{}, err
	}
	if len(hs) == 1 && (hs[0].Status == inbox.HandoffPending || hs[0].AnsweredBy == u.ID) {
		t.Handoff = &hs[0]
	}
	return t, nil
}

// RequestHandoff hands a conversation over for u (see inbox.Service.RequestHandoff), with
// the configured timeout. A colleague known to be offline cannot receive one (one never
// seen by presence, such as an API user, can).
func (r *Router) RequestHandoff(ctx context.Context, u inbox.User, id int64, req inbox.HandoffRequest) (inbox.Handoff, error) {
	if req.Kind == inbox.HandoffAgent && req.ToUserID != 0 {
		p, err := r.presence.Get(ctx, []int64{req.ToUserID})
		if err != nil {
			return inbox.Handoff{}, fmt.Errorf("router: presence: %w", err)
		}
		if e := p[req.ToUserID]; e.Status == presence.Offline && !e.Since.IsZero() {
			return inbox.Handoff{}, &inbox.InvalidError{Field: "to_user_id", Message: "this colleague is offline; hand it to their team instead"}
		}
	}
	req.Timeout = r.cfg.Handoff.Timeout
	h, err := r.in.RequestHandoff(ctx, u, id, req)
	if err != nil {
		return h, err
	}
	if h.Kind == inbox.HandoffTeam {
		if _, err := r.queue.Release(ctx, id); err != nil {
			r.log.Error("release after team handoff", "conversation_id", id, "err", err)
		}
		if err := r.resync(ctx, id, true); err != nil {
			r.log.Error("queue after team handoff", "conversation_id", id, "err", err)
		}
	}
	return h, nil
}

// Accepted is an accepted handoff and the conversation, now the receiver's.
type Accepted struct {
	Handoff      inbox.Handoff            `json:"handoff"`
	Conversation inbox.ConversationDetail `json:"conversation"`
}

// AcceptHandoff accepts a handoff for u, who gets the conversation.
func (r *Router) AcceptHandoff(ctx context.Context, u inbox.User, id int64) (Accepted, error) {
	h, c, err := r.in.AcceptHandoff(ctx, u, id)
	if err != nil {
		return Accepted{}, err
	}
	if err := r.sync(ctx, c, inbox.RoutingState{}, 0, false); err != nil {
		r.log.Error("queue after handoff", "conversation_id", c.ID, "err", err)
	}
	d, err := r.in.Conversation(ctx, u, c.ID)
	if err != nil {
		return Accepted{}, err
	}
	return Accepted{Handoff: h, Conversation: d}, nil
}

// DeclineHandoff declines a handoff for u.
func (r *Router) DeclineHandoff(ctx context.Context, u inbox.User, id int64, note string) (inbox.Handoff, error) {
	return r.in.DeclineHandoff(ctx, u, id, note)
}

// HandoffView is a handoff with its time to accept, for the API.
type HandoffView struct {
	inbox.Handoff
	// TimeToAcceptSeconds is set once accepted.
	TimeToAcceptSeconds *int64 `json:"time_to_accept_seconds,omitempty"`
}

// Handoffs lists the handoffs u may see, newest first.
func (r *Router) Handoffs(ctx context.Context, u inbox.User, q inbox.HandoffQuery) ([]HandoffView, error) {
	hs, err := r.in.Handoffs(ctx, u, q)
	if err != nil {
		return nil, err
	}
	out := make([]HandoffView, len(hs))
	for i, h := range hs {
		out[i] = view(h)
	}
	return out, nil
}

func view(h inbox.Handoff) HandoffView {
	v := HandoffView{Handoff: h}
	if d := h.TimeToAccept(); d != nil {
		s := int64(d.Seconds())
		v.TimeToAcceptSeconds = &s
	}
	return v
}

// Correct applies u's correction of a classification, checked against the configured
// labels, then re-scores and re-queues the conversation with it.
func (r *Router) Correct(ctx context.Context, u inbox.User, id int64, c inbox.Correction) (inbox.Conversation, error) {
	for _, f := range []struct {
		field, v string
		ok       []string
	}{{"category", c.Category, r.cfg.Classifier.Categories}, {"language", c.Language, classify.Languages}, {"tension", c.Tension, classify.Tensions}} {
		if f.v != "" && !slices.Contains(f.ok, f.v) {
			return inbox.Conversation{}, &inbox.InvalidError{Field: f.field, Message: fmt.Sprintf("%q is not one of %v", f.v, f.ok)}
		}
	}
	conv, err := r.in.CorrectClassification(ctx, u, id, c)
	if err != nil {
		return conv, err
	}
	in, err := r.in.RoutingInput(ctx, id)
	if err != nil {
		return conv, err
	}
	if s := r.score(in, r.now()); s.Value != conv.Priority {
		if _, err := r.in.SetPriority(ctx, id, s.Value); err != nil {
			return conv, err
		}
		conv.Priority, in.Conversation.Priority = s.Value, s.Value
	}
	if err := r.sync(ctx, in.Conversation, in.State, in.PreviousAgent, false); err != nil {
		r.log.Error("queue after correction", "conversation_id", id, "err", err)
	}
	return conv, nil
}

// Heartbeat records u's presence (online or away), from their browser tab's websocket
// or from the JSON API. An agent coming online gets a round of assignment at the next
// tick of the assignment job.
func (r *Router) Heartbeat(ctx context.Context, u inbox.User, st presence.Status) (presence.Entry, error) {
	if u.Disabled {
		return presence.Entry{}, inbox.ErrUnauthorized
	}
	changed, err := r.presence.Heartbeat(ctx, u.ID, st)
	if err != nil {
		if errors.Is(err, presence.ErrStatus) {
			return presence.Entry{}, &inbox.InvalidError{Field: "status", Message: "must be online or away"}
		}
		return presence.Entry{}, err
	}
	if changed {
		r.assigner.Invalidate()
	}
	p, err := r.presence.Get(ctx, []int64{u.ID})
	if err != nil {
		return presence.Entry{}, err
	}
	return p[u.ID], nil
}

// Leave makes u offline now (logout, last tab closed); their open conversations return
// to the queue at the next presence sweep.
func (r *Router) Leave(ctx context.Context, u inbox.User) error {
	changed, err := r.presence.Leave(ctx, u.ID)
	if changed {
		r.assigner.Invalidate()
	}
	return err
}

// SLATarget is an SLA target with the opening time left; Stage is ok, warning,
// breached, or paused while the conversation waits for its contact.
type SLATarget struct {
	Target string    `json:"target"`
	Due    time.Time `json:"due"`
	Stage  string    `json:"stage"`
	// RemainingSeconds is the opening time left (negative once breached).
	RemainingSeconds int64 `json:"remaining_seconds"`
}

// ConversationRouting is what the inbox shows about a conversation's routing: the
// classification and its explanation, the current priority with its factors, the SLA
// targets with the time left, and the handoffs (pending first).
type ConversationRouting struct {
	State    inbox.RoutingState `json:"state"`
	Priority any                `json:"priority"`
	SLA      []SLATarget        `json:"sla"`
	Handoffs []HandoffView      `json:"handoffs"`
}

// Routing returns the routing view of conversation id for u.
func (r *Router) Routing(ctx context.Context, u inbox.User, id int64) (ConversationRouting, error) {
	st, err := r.in.RoutingState(ctx, u, id)
	if err != nil {
		return ConversationRouting{}, err
	}
	in, err := r.in.RoutingInput(ctx, id)
	if err != nil {
		return ConversationRouting{}, err
	}
	now := r.now()
	out := ConversationRouting{State: st, Priority: r.score(in, now), SLA: r.slaTargets(in.Conversation, now), Handoffs: []HandoffView{}}
	hs, err := r.Handoffs(ctx, u, inbox.HandoffQuery{ConversationID: id, Limit: 50})
	if err != nil {
		return out, err
	}
	slices.SortStableFunc(hs, func(a, b HandoffView) int {
		ap, bp := a.Status == inbox.HandoffPending, b.Status == inbox.HandoffPending
		switch {
		case ap && !bp:
			return -1
		case bp && !ap:
			return 1
		}
		return 0
	})
	out.Handoffs = hs
	return out, nil
}

// slaTargets lists c's targets at now; while c's clock is stopped, they are "paused"
// with the opening time they had left when it stopped (and the deadline as it was:
// it moves when the conversation opens again).
func (r *Router) slaTargets(c inbox.Conversation, now time.Time) []SLATarget {
	out := []SLATarget{}
	for _, t := range r.targets(c) {
		out = append(out, SLATarget{Target: t.name, Due: t.due, Stage: string(r.stage(c, t, now)),
			RemainingSeconds: int64(r.remaining(c, t, now).Seconds())})
	}
	return out
}
