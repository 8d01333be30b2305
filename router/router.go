// Package router is the brain of the inbox: for every inbound message it classifies
// (category, language, tension, urgency), scores the priority, applies the routing rules
// (team, tags, skills, auto-reply, escalation), sets the SLA deadlines, queues the
// conversation in its team's queue and offers it to the right available agent. It also
// runs the periodic jobs (assignment rounds, presence sweep and requeue of offline
// agents' conversations, SLA warnings and breaches, priority ageing, handoff expiry,
// reconciliation of the queues with the store) and serves the routing endpoints (take
// next, handoffs, corrections, dry-run, supervisors' overview, presence heartbeats).
//
// The router is the consumer group Group of the event bus. It reads everything it needs
// from the store through the inbox Service and writes only through it, so:
//   - routing is idempotent: the routing state remembers the last inbound message routed,
//     and a redelivered event changes nothing (the queue operations are idempotent too);
//   - an assignment is written to the store conditionally (still unassigned), so a
//     conversation goes to one agent even when rounds race across instances;
//   - the queues are derived: Reconcile rebuilds them from the store at start and
//     periodically, so a crash or a Redis restart loses nothing for long.
//
// A Router is safe for concurrent use: several consumers may call Handle, the jobs run in
// Run, and the web layer calls the API methods.
package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/assign"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/explain"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/sla"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// Group is the router's consumer group on the event bus.
const Group = "router"

// BatchSize is the most events the router's consumer takes at once. Handle routes a
// conversation once per batch whatever the number of its messages in it, so under a
// burst a larger batch saves whole routings (a read of the conversation, a decision and
// a write): with 500 conversations chatting at once, batches of 500 events route about
// a third fewer times than batches of 100. A quiet bus gives small batches anyway.
const BatchSize = 500

// ManualSkill is the skill that conversations kept out of auto-assignment require (a
// rule with assign: false); agents taking the next conversation by hand have it, rounds
// do not.
const ManualSkill = "manual"

// Inbox is what the router needs of the inbox Service.
type Inbox interface {
	RoutingInput(ctx context.Context, id int64) (inbox.RoutingInput, error)
	Classify(ctx context.Context, id int64, r inbox.Routing) (inbox.Conversation, bool, error)
	AssignFromQueue(ctx context.Context, id, agent int64, via, reason string) (inbox.Conversation, error)
	Unassign(ctx context.Context, id, agent int64, reason string) (inbox.Conversation, bool, error)
	AssignedConversations(ctx context.Context, agent int64) ([]inbox.Conversation, error)
	ActiveConversations(ctx context.Context, afterID int64, limit int) ([]inbox.Conversation, error)
	SetPriority(ctx context.Context, id int64, priority int) (bool, error)
	RecordSLA(ctx context.Context, e inbox.SLAEvent) (bool, error)
	SystemHandoff(ctx context.Context, label string, id int64, req inbox.HandoffRequest) (inbox.Handoff, error)
	ExpireHandoffs(ctx context.Context) ([]inbox.Handoff, error)
	Users(ctx context.Context) ([]inbox.User, error)
	Teams(ctx context.Context) ([]inbox.Team, error)
	EnsureTeam(ctx context.Context, slug, name string) (inbox.Team, error)

	Conversation(ctx context.Context, actor inbox.User, id int64) (inbox.ConversationDetail, error)
	RoutingState(ctx context.Context, actor inbox.User, id int64) (inbox.RoutingState, error)
	RequestHandoff(ctx context.Context, actor inbox.User, id int64, req inbox.HandoffRequest) (inbox.Handoff, error)
	AcceptHandoff(ctx context.Context, actor inbox.User, id int64) (inbox.Handoff, inbox.Conversation, error)
	DeclineHandoff(ctx context.Context, actor inbox.User, id int64, note string) (inbox.Handoff, error)
	Handoffs(ctx context.Context, actor inbox.User, q inbox.HandoffQuery) ([]inbox.Handoff, error)
	CorrectClassification(ctx context.Context, actor inbox.User, id int64, c inbox.Correction) (inbox.Conversation, error)
}

// Router routes conversations. Build it with New.
type Router struct {
	cfg      Config
	in       Inbox
	clf      atomic.Pointer[classify.Classifier]
	rules    *rules.Set
	sla      *sla.Policies
	queue    teamqueue.Queue
	presence presence.Presence
	assigner *assign.Assigner
	dir      *directory
	now      func() time.Time
	log      *slog.Logger
}

// Option changes a Router at construction.
type Option func(*Router)

// WithClock makes the Router read time from now (tests).
func WithClock(now func() time.Time) Option { return func(r *Router) { r.now = now } }

// New returns a router. cfg is completed with defaults and validated; clf classifies,
// q and p are the team queues and the presence store.
func New(cfg Config, in Inbox, clf *classify.Classifier, q teamqueue.Queue, p presence.Presence, logger *slog.Logger, opts ...Option) (*Router, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	set, err := rules.Compile(cfg.Rules, cfg.ruleOptions())
	if err != nil {
		return nil, fmt.Errorf("router.rules: %w", err)
	}
	pol, err := sla.New(cfg.SLA)
	if err != nil {
		return nil, err
	}
	r := &Router{cfg: cfg, in: in, rules: set, sla: pol, queue: q, presence: p, now: time.Now, log: logger.With("component", "router")}
	for _, o := range opts {
		o(r)
	}
	r.clf.Store(clf)
	r.dir = newDirectory(in, cfg.Assign, r.now)
	r.assigner = assign.New(q, p, r.dir, r.commit, r.now, logger)
	return r, nil
}

// Available is the availability check of a MemoryQueue over a presence store: whether
// the agent is online (teamqueue.NewMemory(router.Available(p))).
func Available(p presence.Presence) func(agent int64, now time.Time) bool {
	return func(agent int64, _ time.Time) bool {
		m, err := p.Get(context.Background(), []int64{agent})
		return err == nil && m[agent].Status == presence.Online
	}
}

// SetClassifier replaces the classifier (a retrained model); safe at any time.
func (r *Router) SetClassifier(c *classify.Classifier) { r.clf.Store(c) }

// Classifier returns the classifier in use.
func (r *Router) Classifier() *classify.Classifier { return r.clf.Load() }

// handleParallelism is how many conversations of a batch are routed at once. Routing
// is mostly waiting for the store: several at a time share its group commits.
const handleParallelism = 16

// Handle is the queue.Handler of the router's consumer. The deliveries of one
// conversation are handled in order; different conversations concurrently. Within a
// batch, work that a later delivery of the same conversation redoes is skipped (see
// plan), so a burst costs one routing per conversation, not one per event.
func (r *Router) Handle(ctx context.Context, batch []queue.Delivery) []error {
	groups := map[int64][]int{}
	var order []int64
	acts := make([]action, len(batch))
	for i, d := range batch {
		acts[i] = r.action(d)
		id := acts[i].conv
		if acts[i].kind == actNone {
			id = -1 // nothing to do: handled (and acknowledged) alone
		}
		if _, ok := groups[id]; !ok {
			order = append(order, id)
		}
		groups[id] = append(groups[id], i)
	}
	errs := make([]error, len(batch))
	sem := make(chan struct{}, handleParallelism)
	var wg sync.WaitGroup
	for _, id := range order {
		if id == -1 {
			continue
		}
		idxs := groups[id]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			for _, i := range plan(acts, idxs) {
				if err := r.run(ctx, acts[i]); err != nil {
					// Every delivery of the conversation comes again: the skipped
					// ones relied on this one.
					for _, j := range idxs {
						errs[j] = err
					}
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return errs
		}
	}
	return nil
}

// Kinds of action a delivery calls for.
const (
	actNone   = iota
	actRoute  // route the conversation's newest inbound message, then sync and offer
	actResync // bring the queues in line with the conversation
)

// action is what the router does for one delivery.
type action struct {
	kind  int
	conv  int64
	offer bool // resync: offer the conversation to an agent
}

// action says what d calls for.
func (r *Router) action(d queue.Delivery) action {
	switch d.Type {
	case inbox.TopicConversationCreated, inbox.TopicMessageCreated, inbox.TopicConversationUpdated:
	default:
		return action{}
	}
	ev, err := inbox.DecodeBusEvent(d.Payload)
	if err != nil {
		r.log.Error("undecodable event dropped", "event_id", d.ID, "err", err)
		return action{}
	}
	switch {
	case d.Type == inbox.TopicMessageCreated && ev.Kind != inbox.KindIn:
		return action{}
	case d.Type == inbox.TopicConversationUpdated:
		moved := slices.ContainsFunc(ev.Changed, func(f string) bool { return f == "team" || f == "assignee" || f == "status" })
		if !moved && ev.ActorUserID == 0 {
			return action{} // the router's own classification or priority change: already in the queues
		}
		if ev.ActorUserID == 0 && slices.Contains(ev.Changed, "classification") &&
			!slices.ContainsFunc(ev.Changed, func(f string) bool { return f == "assignee" || f == "status" }) {
			// The router's own Classify (only it announces "classification" without
			// an actor): Route synced the queues with the new team right after.
			return action{}
		}
		return action{kind: actResync, conv: ev.ConversationID, offer: moved}
	}
	return action{kind: actRoute, conv: ev.ConversationID}
}

// plan returns the deliveries among idxs (one conversation's, in order) whose action
// must run, in order. Route reads the conversation afresh and always routes its newest
// inbound message, so only the last route counts, and a resync before it is redone by
// it; of the resyncs after the last route only the last runs, offering if any did.
func plan(acts []action, idxs []int) []int {
	lastRoute := -1
	for k, i := range idxs {
		if acts[i].kind == actRoute {
			lastRoute = k
		}
	}
	var out []int
	if lastRoute >= 0 {
		out = append(out, idxs[lastRoute])
	}
	lastResync, offer := -1, false
	for _, i := range idxs[lastRoute+1:] {
		if acts[i].kind == actResync {
			lastResync, offer = i, offer || acts[i].offer
		}
	}
	if lastResync >= 0 {
		acts[lastResync].offer = offer
		out = append(out, lastResync)
	}
	return out
}

// run carries out a.
func (r *Router) run(ctx context.Context, a action) error {
	switch a.kind {
	case actRoute:
		return r.Route(ctx, a.conv)
	case actResync:
		return r.resync(ctx, a.conv, a.offer)
	}
	return nil
}

// Route routes the newest inbound message of conversation id, if not routed yet, then
// brings the queues in line with the conversation and offers it to an agent.
func (r *Router) Route(ctx context.Context, id int64) error {
	in, err := r.in.RoutingInput(ctx, id)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil // erased since
	}
	if err != nil {
		return fmt.Errorf("router: route %d: %w", id, err)
	}
	st, previous := in.State, in.PreviousAgent
	c := in.Conversation
	if in.Message.ID != 0 && in.State.MessageID < in.Message.ID {
		routed, err := r.decide(ctx, in)
		if err != nil {
			return err
		}
		conv, applied, err := r.in.Classify(ctx, id, routed.routing)
		if err != nil {
			return fmt.Errorf("router: classify %d: %w", id, err)
		}
		c = conv
		if applied {
			st.Skills, st.NoAssign = routed.routing.Skills, routed.routing.NoAssign
			if routed.escalate != "" {
				r.escalate(ctx, id, routed)
			}
		}
	}
	if c.Status == inbox.StatusOpen && c.AssigneeID != 0 {
		if back, err := r.releaseIfOffline(ctx, c); err != nil {
			return err
		} else if back {
			previous, c.AssigneeID = c.AssigneeID, 0
		}
	}
	return r.sync(ctx, c, st, previous, true)
}

// releaseIfOffline returns c to the queue when its agent is known to be offline.
func (r *Router) releaseIfOffline(ctx context.Context, c inbox.Conversation) (bool, error) {
	p, err := r.presence.Get(ctx, []int64{c.AssigneeID})
	if err != nil {
		return false, fmt.Errorf("router: presence: %w", err)
	}
	if e := p[c.AssigneeID]; e.Status != presence.Offline || e.Since.IsZero() {
		return false, nil // online, away, or never seen (an API user): leave it
	}
	_, done, err := r.in.Unassign(ctx, c.ID, c.AssigneeID, "new message while the agent is offline")
	if err != nil {
		return false, fmt.Errorf("router: unassign %d: %w", c.ID, err)
	}
	return done, nil
}

// resync brings the queues in line with conversation id after a change made elsewhere.
func (r *Router) resync(ctx context.Context, id int64, offer bool) error {
	in, err := r.in.RoutingInput(ctx, id)
	if errors.Is(err, inbox.ErrNotFound) {
		if _, err := r.queue.Remove(ctx, id); err != nil {
			return fmt.Errorf("router: remove %d: %w", id, err)
		}
		_, err := r.queue.Release(ctx, id)
		return err
	}
	if err != nil {
		return fmt.Errorf("router: resync %d: %w", id, err)
	}
	return r.sync(ctx, in.Conversation, in.State, in.PreviousAgent, offer)
}

// entry is c as a queue entry.
func (r *Router) entry(c inbox.Conversation, st inbox.RoutingState, previous int64) teamqueue.Entry {
	since := c.LastMessageAt
	if c.WaitingSince != nil {
		since = *c.WaitingSince
	}
	skills := slices.Clone(st.Skills)
	if st.NoAssign {
		skills = append(skills, ManualSkill)
	}
	return teamqueue.Entry{ConversationID: c.ID, Team: c.TeamID, Priority: c.Priority, Since: since,
		Channel: c.Channel, Language: c.Language, Skills: skills, Previous: previous}
}

// sync makes the queues agree with c: held by its agent, queued in its team's queue
// when open and unassigned, out of the queues otherwise. With offer, a queued
// conversation is offered to an agent at once.
func (r *Router) sync(ctx context.Context, c inbox.Conversation, st inbox.RoutingState, previous int64, offer bool) error {
	active := c.Status == inbox.StatusOpen || c.Status == inbox.StatusPending
	switch {
	case active && c.AssigneeID != 0:
		if err := r.queue.Hold(ctx, c.ID, c.AssigneeID, c.Channel, r.now()); err != nil {
			return fmt.Errorf("router: hold %d: %w", c.ID, err)
		}
		return nil
	case c.Status == inbox.StatusOpen:
		e := r.entry(c, st, previous)
		var err error
		if offer && !r.cfg.Assign.Disabled && !st.NoAssign {
			_, err = r.assigner.Offer(ctx, e)
		} else {
			err = r.queue.Push(ctx, e)
		}
		if errors.Is(err, teamqueue.ErrHeld) {
			return nil // an assignment is on its way; its event will sync again
		}
		if err != nil {
			return fmt.Errorf("router: queue %d: %w", c.ID, err)
		}
		return nil
	}
	if _, err := r.queue.Remove(ctx, c.ID); err != nil {
		return fmt.Errorf("router: dequeue %d: %w", c.ID, err)
	}
	if _, err := r.queue.Release(ctx, c.ID); err != nil {
		return fmt.Errorf("router: release %d: %w", c.ID, err)
	}
	return nil
}

// commit is the assigner's Committer: the assignment is written to the store only if
// the conversation is still waiting.
func (r *Router) commit(ctx context.Context, e teamqueue.Entry, agent int64, reason string) error {
	_, err := r.in.AssignFromQueue(ctx, e.ConversationID, agent, inbox.ViaAuto, reason)
	if errors.Is(err, inbox.ErrConflict) || errors.Is(err, inbox.ErrNotFound) {
		return fmt.Errorf("%w: %v", assign.ErrNotAssignable, err)
	}
	return err
}

// decision is what the router decided for a message, before it is written.
type decision struct {
	routing  inbox.Routing
	result   classify.Result
	rules    rules.Decision
	score    priority.Score
	policy   sla.Policy
	escalate string // the rule that escalates, if any
}

// decide classifies the newest message of in and applies the rules, priority and SLA.
func (r *Router) decide(ctx context.Context, in inbox.RoutingInput) (decision, error) {
	c, m := in.Conversation, in.Message
	first := in.State.MessageID == 0
	now := r.now()
	res := r.clf.Load().Classify(classify.Input{Subject: firstNonEmpty(m.Subject, c.Subject), Text: m.Text, Channel: c.Channel,
		Mailbox: c.Account, Sender: sender(in.Contact), LanguageHint: in.Contact.Language})
	if in.State.Corrected {
		res.Category, res.Language, res.Tension = c.Category, c.Language, c.Tension
	}
	d := decision{result: res}
	d.rules = r.rules.Evaluate(r.ruleMessage(in, res, now))
	var team *int64
	if first && c.TeamID == 0 {
		slug := firstNonEmpty(d.rules.Team, r.cfg.DefaultTeam)
		if slug != "" {
			id, err := r.dir.TeamID(ctx, slug)
			if err != nil {
				return d, err
			}
			team = &id
		}
	}
	d.score = r.cfg.Priority.Score(priority.Input{Category: res.Category, Tension: res.Tension, Urgency: res.Urgency,
		Channel: c.Channel, VIP: in.Contact.VIP, Accessibility: in.Contact.Accessibility != "", WaitingSince: waiting(c),
		Now: now, SLA: r.slaState(c, now), Fixed: d.rules.Priority, Adjust: d.rules.PriorityAdd})
	d.policy = r.sla.Match(res.Category, c.Channel, d.score.Value)
	rt := inbox.Routing{MessageID: m.ID, Category: res.Category, CategoryConfidence: res.CategoryConfidence,
		CategoryRule: res.CategoryRule, Language: res.Language, Tension: res.Tension, Urgency: res.Urgency,
		Priority: d.score.Value, PriorityFixed: d.rules.Priority, PriorityAdjust: d.rules.PriorityAdd, Rules: d.rules.Rules,
		TeamID: team, Tags: d.rules.Tags, Skills: d.rules.Skills, NoAssign: d.rules.NoAssign, SLAPolicy: d.policy.Name}
	if first {
		rt.FirstResponseDue = r.sla.Due(c.CreatedAt, d.policy.Targets.FirstResponse)
		rt.ResolutionDue = r.sla.Due(c.CreatedAt, d.policy.Targets.Resolution)
		if t, ok := r.cfg.Templates[d.rules.AutoReply]; ok && !m.AutoSubmitted {
			rt.AutoReply = t.Text(res.Language)
		}
	} else if c.FirstResponseAt != nil && c.WaitingSince != nil {
		rt.NextResponseDue = r.sla.Due(*c.WaitingSince, d.policy.Targets.NextResponse)
	}
	route := explain.New("route.none")
	switch {
	case !d.rules.Reason.IsZero():
		route = d.rules.Reason
	case team != nil && len(d.rules.Rules) == 0 && r.cfg.DefaultTeam != "":
		route = explain.New("route.default", "team", r.cfg.DefaultTeam)
	}
	rt.Explanation = explanations(map[string]explain.Reason{
		"category": res.Explanation.Category, "language": res.Explanation.Language, "tension": res.Explanation.Tension,
		"urgency": res.Explanation.Urgency, "priority": d.score.Reason(), "route": route,
		"sla": explain.New("sla.policy", "policy", d.policy.Name),
	})
	if d.rules.Escalate && len(d.rules.Rules) > 0 && (first || res.Tension == classify.Aggressive && c.Tension != classify.Aggressive) {
		d.escalate = d.rules.Rules[0]
	}
	d.routing = rt
	return d, nil
}

// explanations is the stored form of reasons: each one's JSON.
func explanations(reasons map[string]explain.Reason) map[string]json.RawMessage {
	out := make(map[string]json.RawMessage, len(reasons))
	for k, v := range reasons {
		if b, err := json.Marshal(v); err == nil {
			out[k] = b
		}
	}
	return out
}

// escalationNote is the note of an escalation, in lang: the rule, then why the
// conversation is what it is (category, tension, priority).
func escalationNote(d decision, lang string) string {
	parts := []string{explain.Text(explain.New("handoff.escalated", "rule", d.escalate), lang)}
	for _, why := range []explain.Reason{d.result.Explanation.Category, d.result.Explanation.Tension, d.score.Reason()} {
		parts = append(parts, sentence(explain.Text(why, lang)))
	}
	return strings.Join(parts, " ")
}

// sentence makes s a sentence: a capital first letter and a full stop.
func sentence(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:] + "."
}

// escalate hands the conversation to the supervisors, as a rule asked. The note is
// written in the desk's language (router.handoff.note_language).
func (r *Router) escalate(ctx context.Context, id int64, d decision) {
	note := escalationNote(d, r.cfg.Handoff.NoteLanguage)
	reason := explain.Text(explain.New("route.rule", "rule", d.escalate), r.cfg.Handoff.NoteLanguage)
	_, err := r.in.SystemHandoff(ctx, "router", id, inbox.HandoffRequest{Kind: inbox.HandoffSupervisor,
		Reason: reason, Note: note, Timeout: r.cfg.Handoff.Timeout})
	if err != nil && !errors.Is(err, inbox.ErrConflict) {
		r.log.Error("escalation failed", "conversation_id", id, "err", err)
	}
}

// ruleMessage is what the rules see of in.
func (r *Router) ruleMessage(in inbox.RoutingInput, res classify.Result, now time.Time) rules.Message {
	c, m := in.Conversation, in.Message
	return rules.Message{Subject: firstNonEmpty(m.Subject, c.Subject), Text: m.Text, Channel: c.Channel, Mailbox: c.Account,
		Sender: sender(in.Contact), Category: res.Category, Language: res.Language, Tension: res.Tension, Urgency: res.Urgency,
		VIP: in.Contact.VIP, Accessibility: in.Contact.Accessibility != "", ContactLanguage: in.Contact.Language,
		OfficeOpen: r.sla.Calendar().Open(now)}
}

// slaState says how close c is to its nearest deadline, for the priority (never close
// while its clock is stopped).
func (r *Router) slaState(c inbox.Conversation, now time.Time) priority.SLA {
	worst := priority.SLAOK
	for _, t := range r.targets(c) {
		switch r.stage(c, t, now) {
		case sla.Breached:
			return priority.SLABreached
		case sla.Warning:
			worst = priority.SLAWarning
		}
	}
	return worst
}

// stage is where target t of c stands at now: Paused while c waits for its contact
// (its clock is stopped).
func (r *Router) stage(c inbox.Conversation, t target, now time.Time) sla.Stage {
	if inbox.SLAPaused(c.Status) {
		return sla.Paused
	}
	return r.sla.Stage(t.start, t.due, now)
}

// remaining is the opening time target t of c has left at now, or had when its clock
// stopped.
func (r *Router) remaining(c inbox.Conversation, t target, now time.Time) time.Duration {
	if inbox.SLAPaused(c.Status) && c.SLAPausedAt != nil {
		now = *c.SLAPausedAt
	}
	return r.sla.Remaining(now, t.due)
}

// target is a running SLA target of a conversation.
type target struct {
	name       string
	start, due time.Time
}

// targets lists c's SLA targets: first response until answered, next response while
// the contact waits after an answer, resolution until resolved. While c waits for its
// contact (inbox.SLAPaused) they are listed but do not run.
func (r *Router) targets(c inbox.Conversation) []target {
	var out []target
	if c.Status != inbox.StatusOpen && c.Status != inbox.StatusPending {
		return nil
	}
	// Counted from the creation, less the opening time the clock was stopped.
	created := c.CreatedAt
	if c.SLAPausedSeconds > 0 {
		created = r.sla.Calendar().Add(created, time.Duration(c.SLAPausedSeconds)*time.Second)
	}
	if c.FirstResponseDue != nil && c.FirstResponseAt == nil {
		out = append(out, target{inbox.SLAFirstResponse, created, *c.FirstResponseDue})
	}
	if c.NextResponseDue != nil && c.FirstResponseAt != nil && c.WaitingSince != nil && c.NextResponseDue.After(*c.WaitingSince) {
		out = append(out, target{inbox.SLANextResponse, *c.WaitingSince, *c.NextResponseDue})
	}
	if c.ResolutionDue != nil {
		out = append(out, target{inbox.SLAResolution, created, *c.ResolutionDue})
	}
	return out
}

func waiting(c inbox.Conversation) time.Time {
	if c.WaitingSince != nil {
		return *c.WaitingSince
	}
	return time.Time{}
}

// sender returns the contact's email address, for sender-domain rules.
func sender(c inbox.Contact) string {
	for _, id := range c.Identities {
		if id.Kind == channels.KindEmail {
			return id.Value
		}
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
