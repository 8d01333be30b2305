package router

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Overview is what supervisors watch: the queues, the agents, the SLA targets at risk
// and the handoffs, with the time it takes to accept them.
type Overview struct {
	At       time.Time         `json:"at"`
	Queues   []QueueOverview   `json:"queues"`
	Agents   []AgentOverview   `json:"agents"`
	SLA      SLAOverview       `json:"sla"`
	Handoffs HandoffsOverview  `json:"handoffs"`
	Pending  []HandoffView     `json:"pending_handoffs"`
	Waiting  []teamqueue.Entry `json:"next_waiting"`
}

// QueueOverview is one team's queue ("" slug: the shared front-desk queue).
type QueueOverview struct {
	TeamID   int64  `json:"team_id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Queued   int    `json:"queued"`
	Priority int    `json:"top_priority"`
	// OldestWaitingSeconds is how long the longest-waiting queued contact has waited.
	OldestWaitingSeconds int64 `json:"oldest_waiting_seconds"`
	AgentsOnline         int   `json:"agents_online"`
	AgentsAway           int   `json:"agents_away"`
}

// AgentOverview is one agent's presence and load.
type AgentOverview struct {
	ID     int64           `json:"id"`
	Name   string          `json:"name"`
	Teams  []int64         `json:"team_ids"`
	Status presence.Status `json:"status"`
	Since  *time.Time      `json:"since,omitempty"`
	Load   teamqueue.Load  `json:"load"`
}

// SLAOverview counts the running targets at risk and lists the most urgent.
type SLAOverview struct {
	Warning  int            `json:"warning"`
	Breached int            `json:"breached"`
	Urgent   []SLAAtRisk    `json:"most_urgent"`
	ByTarget map[string]int `json:"breached_by_target"`
}

// SLAAtRisk is a conversation near or past a deadline.
type SLAAtRisk struct {
	ConversationID int64 `json:"conversation_id"`
	TeamID         int64 `json:"team_id,omitempty"`
	AssigneeID     int64 `json:"assignee_id,omitempty"`
	SLATarget
}

// HandoffsOverview summarises the handoffs of the last week.
type HandoffsOverview struct {
	Since  time.Time                `json:"since"`
	ByKind map[string]HandoffCounts `json:"by_kind"`
}

// HandoffCounts are the outcomes of one kind of handoff and how long acceptance took.
type HandoffCounts struct {
	Requested int `json:"requested"`
	Pending   int `json:"pending"`
	Accepted  int `json:"accepted"`
	Declined  int `json:"declined"`
	TimedOut  int `json:"timed_out"`
	// MeanSecondsToAccept and P90SecondsToAccept are over the accepted ones.
	MeanSecondsToAccept int64 `json:"mean_seconds_to_accept"`
	P90SecondsToAccept  int64 `json:"p90_seconds_to_accept"`
}

// overviewWindow is the period the handoff statistics cover.
const overviewWindow = 7 * 24 * time.Hour

// Overview returns the supervisors' overview. Supervisors and admins only.
func (r *Router) Overview(ctx context.Context, u inbox.User) (Overview, error) {
	if u.Disabled {
		return Overview{}, inbox.ErrUnauthorized
	}
	if !u.Role.SeesAll() {
		return Overview{}, inbox.ErrForbidden
	}
	now := r.now()
	ov := Overview{At: now, SLA: SLAOverview{ByTarget: map[string]int{}, Urgent: []SLAAtRisk{}}, Waiting: []teamqueue.Entry{}}
	if err := r.overviewAgentsAndQueues(ctx, &ov, now); err != nil {
		return ov, err
	}
	err := r.eachActive(ctx, func(c inbox.Conversation) error {
		for _, t := range r.slaTargets(c, now) {
			switch t.Stage {
			case "warning":
				ov.SLA.Warning++
			case "breached":
				ov.SLA.Breached++
				ov.SLA.ByTarget[t.Target]++
			default:
				continue
			}
			ov.SLA.Urgent = append(ov.SLA.Urgent, SLAAtRisk{ConversationID: c.ID, TeamID: c.TeamID, AssigneeID: c.AssigneeID, SLATarget: t})
		}
		return nil
	})
	if err != nil {
		return ov, fmt.Errorf("router: overview: %w", err)
	}
	sort.SliceStable(ov.SLA.Urgent, func(i, j int) bool { return ov.SLA.Urgent[i].RemainingSeconds < ov.SLA.Urgent[j].RemainingSeconds })
	ov.SLA.Urgent = ov.SLA.Urgent[:min(50, len(ov.SLA.Urgent))]
	since := now.Add(-overviewWindow)
	hs, err := r.in.Handoffs(ctx, u, inbox.HandoffQuery{Since: since, Limit: 500})
	if err != nil {
		return ov, err
	}
	ov.Handoffs = handoffStats(hs, since)
	ov.Pending = []HandoffView{}
	for _, h := range hs {
		if h.Status == inbox.HandoffPending {
			ov.Pending = append(ov.Pending, view(h))
		}
	}
	return ov, nil
}

func (r *Router) overviewAgentsAndQueues(ctx context.Context, ov *Overview, now time.Time) error {
	users, err := r.dir.Users(ctx)
	if err != nil {
		return err
	}
	teams, err := r.dir.Teams(ctx)
	if err != nil {
		return err
	}
	var ids []int64
	for _, u := range users {
		if !u.Disabled {
			ids = append(ids, u.ID)
		}
	}
	pres, err := r.presence.Get(ctx, ids)
	if err != nil {
		return fmt.Errorf("router: overview: %w", err)
	}
	loads, err := r.queue.Loads(ctx, ids)
	if err != nil {
		return fmt.Errorf("router: overview: %w", err)
	}
	ov.Agents = []AgentOverview{}
	for _, u := range users {
		if u.Disabled {
			continue
		}
		p := pres[u.ID]
		a := AgentOverview{ID: u.ID, Name: u.Name, Teams: u.TeamIDs, Status: p.Status, Load: loads[u.ID]}
		if !p.Since.IsZero() {
			a.Since = &p.Since
		}
		ov.Agents = append(ov.Agents, a)
	}
	all := append([]inbox.Team{{ID: 0, Slug: "", Name: "Shared queue"}}, teams...)
	ov.Queues = []QueueOverview{}
	for _, t := range all {
		q := QueueOverview{TeamID: t.ID, Slug: t.Slug, Name: t.Name}
		entries, err := r.queue.Peek(ctx, t.ID, 100000)
		if err != nil {
			return fmt.Errorf("router: overview: %w", err)
		}
		q.Queued = len(entries)
		for i, e := range entries {
			if i == 0 {
				q.Priority = e.Priority
			}
			if w := int64(now.Sub(e.Since).Seconds()); w > q.OldestWaitingSeconds {
				q.OldestWaitingSeconds = w
			}
		}
		ov.Waiting = append(ov.Waiting, entries[:min(5, len(entries))]...)
		for _, a := range ov.Agents {
			if t.ID != 0 && !slices.Contains(a.Teams, t.ID) {
				continue
			}
			switch a.Status {
			case presence.Online:
				q.AgentsOnline++
			case presence.Away:
				q.AgentsAway++
			}
		}
		ov.Queues = append(ov.Queues, q)
	}
	return nil
}

// handoffStats counts handoffs per kind and outcome with acceptance times.
func handoffStats(hs []inbox.Handoff, since time.Time) HandoffsOverview {
	out := HandoffsOverview{Since: since, ByKind: map[string]HandoffCounts{}}
	times := map[string][]time.Duration{}
	for _, h := range hs {
		k := string(h.Kind)
		c := out.ByKind[k]
		c.Requested++
		switch h.Status {
		case inbox.HandoffPending:
			c.Pending++
		case inbox.HandoffAccepted:
			c.Accepted++
			if d := h.TimeToAccept(); d != nil {
				times[k] = append(times[k], *d)
			}
		case inbox.HandoffDeclined:
			c.Declined++
		case inbox.HandoffTimedOut:
			c.TimedOut++
		}
		out.ByKind[k] = c
	}
	for k, ts := range times {
		slices.Sort(ts)
		var sum time.Duration
		for _, d := range ts {
			sum += d
		}
		c := out.ByKind[k]
		c.MeanSecondsToAccept = int64((sum / time.Duration(len(ts))).Seconds())
		c.P90SecondsToAccept = int64(ts[min(len(ts)-1, len(ts)*9/10)].Seconds())
		out.ByKind[k] = c
	}
	return out
}
