package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Timeline events and bus topics of routing.
const (
	EventSLAWarning      = "sla_warning"
	EventSLABreached     = "sla_breached"
	EventCorrected       = "classification_corrected"
	TopicHandoffUpdated  = "handoff.updated"
	TopicSLAWarning      = "sla.warning"
	TopicSLABreached     = "sla.breached"
	routerActor          = 0
	maxExplanationBytes  = 4000
	maxRoutingListLength = 50
)

// ErrConflict: the change no longer applies (the conversation was assigned or resolved
// meanwhile, the handoff was answered already). Retrying the same request will not help.
var ErrConflict = errors.New("inbox: conflict")

// Routing is what the router decided for an inbound message: its classification, the
// priority, the team, the SLA due times and the rules that matched.
type Routing struct {
	// MessageID is the inbound message routed; routing the same or an older message
	// again changes nothing.
	MessageID          int64
	Category           string
	CategoryConfidence float64
	CategoryRule       string
	Language, Tension  string
	Urgency            string
	Priority           int
	PriorityFixed      *int
	PriorityAdjust     int
	// Explanation says per field (category, language, tension, urgency, priority,
	// route, sla) what decided it: a JSON object {"code", "args", "text"} (the router's
	// structured reasons, see router/explain) or, in rows written before them, a JSON
	// string. The inbox keeps it as it is, within maxExplanationBytes.
	Explanation map[string]json.RawMessage
	Rules       []string
	// TeamID, when set, puts the conversation in that team's queue (0: the shared one).
	TeamID *int64
	// Tags are added to the conversation's tags.
	Tags      []string
	Skills    []string
	NoAssign  bool
	SLAPolicy string
	// Due times set when not nil.
	FirstResponseDue, NextResponseDue, ResolutionDue *time.Time
	// AutoReply, when set, is sent to the contact as an automatic message (it does not
	// count as the first response).
	AutoReply string
}

// Classify records r on conversation id: category, language, tension and priority on
// the conversation (unless an agent corrected the classification before: then theirs
// stay), the team, tags and SLA due times, a "classified" timeline event with the
// explanation, and the routing state. It reports false, changing nothing, when r's
// message was routed already (a redelivered event).
func (s *Service) Classify(ctx context.Context, id int64, r Routing) (Conversation, bool, error) {
	var out Conversation
	applied := false
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: classify %d: %w", id, err)
		}
		out = c
		st, err := tx.RoutingState(ctx, id)
		if errors.Is(err, ErrNotFound) {
			st = RoutingState{ConversationID: id}
		} else if err != nil {
			return fmt.Errorf("inbox: classify %d: %w", id, err)
		}
		if r.MessageID != 0 && st.MessageID >= r.MessageID {
			return nil
		}
		now := s.clock()
		if st.Corrected {
			r.Category, r.Language, r.Tension = c.Category, c.Language, c.Tension
		}
		// Only what really changed is announced: a message that leaves everything as it
		// was publishes no conversation.updated, so workers (the search indexer above
		// all) have nothing to redo.
		var changed []string
		category, language, tension := cleanLine(r.Category, 32), cleanLine(r.Language, 16), cleanLine(r.Tension, 16)
		if category != c.Category || language != c.Language || tension != c.Tension {
			changed = append(changed, "classification")
		}
		priority := max(0, min(100, r.Priority))
		if c.Priority != priority {
			changed = append(changed, "priority")
		}
		c.Category, c.Language, c.Tension, c.Priority = category, language, tension, priority
		if r.TeamID != nil && *r.TeamID != c.TeamID {
			if err := addEvent(ctx, tx, id, EventTeamChanged, routerActor, map[string]any{"from": c.TeamID, "to": *r.TeamID, "reason": "routing"}, now); err != nil {
				return err
			}
			c.TeamID = *r.TeamID
			changed = append(changed, "team")
		}
		if len(r.Tags) > 0 {
			tags, err := normalizeTags(append(slices.Clone(c.Tags), r.Tags...))
			if err != nil {
				return err
			}
			if !slices.Equal(tags, c.Tags) {
				c.Tags = tags
				changed = append(changed, "tags")
			}
		}
		for _, d := range []struct {
			dst **time.Time
			src *time.Time
		}{{&c.FirstResponseDue, r.FirstResponseDue}, {&c.NextResponseDue, r.NextResponseDue}, {&c.ResolutionDue, r.ResolutionDue}} {
			if d.src != nil {
				t := d.src.UTC().Truncate(time.Microsecond)
				*d.dst = &t
			}
		}
		c.UpdatedAt = now
		expl := map[string]json.RawMessage{}
		for k, v := range r.Explanation {
			if v = cleanExplanation(v); v != nil {
				expl[cleanLine(k, 32)] = v
			}
		}
		if st.Corrected {
			// The agent's category stands, and so does its explanation.
			expl["category"] = json.RawMessage(correctedReason)
		}
		event := map[string]any{
			"message_id": r.MessageID, "category": c.Category, "category_confidence": r.CategoryConfidence,
			"language": c.Language, "tension": c.Tension, "urgency": r.Urgency, "priority": c.Priority,
			"rules": r.Rules, "team_id": c.TeamID, "sla_policy": r.SLAPolicy, "explanation": expl,
		}
		if r.CategoryRule != "" {
			event["category_rule"] = r.CategoryRule
		}
		if st.Corrected {
			event["kept_correction"] = true
		}
		if err := addEvent(ctx, tx, id, EventClassified, routerActor, event, now); err != nil {
			return err
		}
		var reply *Message
		if text := strings.TrimSpace(strings.ToValidUTF8(r.AutoReply, "\uFFFD")); text != "" {
			reply = &Message{ConversationID: id, Kind: KindOut, Channel: c.Channel, Text: capText(text, s.cfg.MaxTextBytes),
				DeliveryStatus: DeliveryQueued, AutoSubmitted: true, CreatedAt: now}
			if err := tx.CreateMessage(ctx, reply); err != nil {
				return fmt.Errorf("inbox: classify %d: auto-reply: %w", id, err)
			}
			c.MessageCount++
		}
		if err := tx.UpdateClassification(ctx, &c); err != nil {
			return fmt.Errorf("inbox: classify %d: %w", id, err)
		}
		if reply != nil {
			if err := publish(ctx, tx, TopicMessageCreated, &c, reply, routerActor, nil, now); err != nil {
				return err
			}
		}
		st.MessageID = max(st.MessageID, r.MessageID)
		st.CategoryConfidence, st.CategoryRule, st.Urgency = r.CategoryConfidence, cleanLine(r.CategoryRule, 100), cleanLine(r.Urgency, 16)
		st.Explanation, st.Rules, st.Skills = expl, capList(r.Rules), capList(r.Skills)
		st.NoAssign, st.PriorityFixed, st.PriorityAdjust, st.SLAPolicy = r.NoAssign, r.PriorityFixed, r.PriorityAdjust, cleanLine(r.SLAPolicy, 100)
		st.UpdatedAt = now
		if err := tx.PutRoutingState(ctx, &st); err != nil {
			return err
		}
		out, applied = c, true
		if len(changed) == 0 {
			return nil
		}
		return publish(ctx, tx, TopicConversationUpdated, &c, nil, routerActor, changed, now)
	})
	return out, applied, err
}

// cleanExplanation returns an explanation fit to store: a JSON object of at most
// maxExplanationBytes as it is, a string as a clean line; an object too long becomes
// its "text" as a clean line; anything else is dropped (nil).
func cleanExplanation(v json.RawMessage) json.RawMessage {
	var text string
	switch {
	case !json.Valid(v):
		return nil
	case len(v) > 0 && v[0] == '{':
		if len(v) <= maxExplanationBytes {
			return slices.Clone(v)
		}
		var o struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(v, &o) != nil || o.Text == "" {
			return nil
		}
		text = o.Text
	case json.Unmarshal(v, &text) != nil:
		return nil
	}
	out, _ := json.Marshal(cleanLine(text, maxExplanationBytes))
	return out
}

// capText cuts text to max bytes on a rune boundary.
func capText(text string, max int) string {
	if len(text) <= max {
		return text
	}
	for max > 0 && !utf8.RuneStart(text[max]) {
		max--
	}
	return text[:max]
}

func capList(l []string) []string {
	out := make([]string, 0, min(len(l), maxRoutingListLength))
	for _, v := range l[:min(len(l), maxRoutingListLength)] {
		out = append(out, cleanLine(v, 100))
	}
	return out
}

// RoutingInput is what the router reads to route a conversation.
type RoutingInput struct {
	Conversation Conversation
	Contact      Contact
	// Message is the inbound message that arrived last (the highest id), whatever
	// its date: the one the router has yet to route when State.MessageID is lower.
	Message Message
	// State is the routing state; its ConversationID is 0 before the first routing.
	State RoutingState
	// PreviousAgent is the agent to go back to: the conversation's last one, else the
	// agent of the contact's latest other conversation; 0 if none.
	PreviousAgent int64
}

// RoutingInput loads what the router needs to route conversation id (no permission
// check: the router acts for the hub).
func (s *Service) RoutingInput(ctx context.Context, id int64) (RoutingInput, error) {
	in, err := s.store.RoutingInput(ctx, id)
	if err != nil {
		return in, fmt.Errorf("inbox: routing input %d: %w", id, err)
	}
	return in, nil
}

// Assignment ways, recorded in the timeline.
const (
	ViaAuto     = "auto"
	ViaTakeNext = "take_next"
	ViaHandoff  = "handoff"
)

// AssignFromQueue gives conversation id to agent, provided it is still open or pending
// and unassigned (else ErrConflict; assigning it again to the same agent is a no-op).
// A pending team handoff of the conversation is accepted by the agent.
func (s *Service) AssignFromQueue(ctx context.Context, id, agent int64, via, reason string) (Conversation, error) {
	u, err := s.store.User(ctx, agent)
	if err != nil || u.Disabled {
		return Conversation{}, fmt.Errorf("inbox: assign %d to %d: no active user: %w", id, agent, ErrConflict)
	}
	var out Conversation
	err = s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: assign %d: %w", id, err)
		}
		out = c
		if c.AssigneeID == agent {
			return nil
		}
		if c.AssigneeID != 0 {
			return fmt.Errorf("inbox: assign %d: already assigned to %d: %w", id, c.AssigneeID, ErrConflict)
		}
		if c.Status != StatusOpen && c.Status != StatusPending {
			return fmt.Errorf("inbox: assign %d: status %s: %w", id, c.Status, ErrConflict)
		}
		now := s.clock()
		c.AssigneeID, c.UpdatedAt = agent, now
		if err := addEvent(ctx, tx, id, EventAssigned, routerActor, map[string]any{"from": 0, "to": agent, "via": via, "reason": cleanLine(reason, 300)}, now); err != nil {
			return err
		}
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: assign %d: %w", id, err)
		}
		if err := rememberAgent(ctx, tx, id, agent, now); err != nil {
			return err
		}
		if h, err := tx.PendingHandoff(ctx, id); err == nil && h.Kind == HandoffTeam {
			if err := answerHandoff(ctx, tx, &c, &h, HandoffAccepted, agent, "", now); err != nil {
				return err
			}
		} else if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("inbox: assign %d: %w", id, err)
		}
		out = c
		return publish(ctx, tx, TopicConversationUpdated, &c, nil, routerActor, []string{"assignee"}, now)
	})
	return out, err
}

// rememberAgent records agent as the conversation's last agent.
func rememberAgent(ctx context.Context, tx Tx, id, agent int64, now time.Time) error {
	st, err := tx.RoutingState(ctx, id)
	if errors.Is(err, ErrNotFound) {
		st = RoutingState{ConversationID: id, Explanation: map[string]json.RawMessage{}}
	} else if err != nil {
		return fmt.Errorf("inbox: routing state of %d: %w", id, err)
	}
	st.LastAgentID, st.UpdatedAt = agent, now
	return tx.PutRoutingState(ctx, &st)
}

// Unassign returns conversation id to its team's queue if agent still holds it, and
// reports whether it did (the agent went offline, for example).
func (s *Service) Unassign(ctx context.Context, id, agent int64, reason string) (Conversation, bool, error) {
	var out Conversation
	done := false
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: unassign %d: %w", id, err)
		}
		out = c
		if c.AssigneeID != agent || agent == 0 {
			return nil
		}
		now := s.clock()
		c.AssigneeID, c.UpdatedAt = 0, now
		if err := addEvent(ctx, tx, id, EventAssigned, routerActor, map[string]any{"from": agent, "to": 0, "reason": cleanLine(reason, 300)}, now); err != nil {
			return err
		}
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: unassign %d: %w", id, err)
		}
		if err := rememberAgent(ctx, tx, id, agent, now); err != nil {
			return err
		}
		out, done = c, true
		return publish(ctx, tx, TopicConversationUpdated, &c, nil, routerActor, []string{"assignee"}, now)
	})
	return out, done, err
}

// AssignedConversations returns the open or pending conversations of agent.
func (s *Service) AssignedConversations(ctx context.Context, agent int64) ([]Conversation, error) {
	l, err := s.store.AssignedConversations(ctx, agent)
	if err != nil {
		return nil, fmt.Errorf("inbox: conversations of %d: %w", agent, err)
	}
	return l, nil
}

// ActiveConversations returns up to limit open or pending conversations after afterID,
// by id: for the router's scans (queues, SLA, ageing).
func (s *Service) ActiveConversations(ctx context.Context, afterID int64, limit int) ([]Conversation, error) {
	l, err := s.store.ActiveConversations(ctx, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("inbox: active conversations: %w", err)
	}
	return l, nil
}

// RoutingState returns the routing state of conversation id, if actor may see it.
func (s *Service) RoutingState(ctx context.Context, actor User, id int64) (RoutingState, error) {
	if _, err := s.visibleConversation(ctx, actor, id); err != nil {
		return RoutingState{}, err
	}
	st, err := s.store.RoutingState(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return RoutingState{ConversationID: id, Explanation: map[string]json.RawMessage{}, Rules: []string{}, Skills: []string{}}, nil
	}
	if err != nil {
		return st, fmt.Errorf("inbox: routing state of %d: %w", id, err)
	}
	return st, nil
}

// SetPriority sets the priority of conversation id as time passes (ageing, SLA
// proximity), without a timeline entry: the classified event explains the factors. It
// reports whether the priority changed.
func (s *Service) SetPriority(ctx context.Context, id int64, priority int) (bool, error) {
	priority = max(0, min(100, priority))
	changed := false
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: set priority of %d: %w", id, err)
		}
		if c.Priority == priority {
			return nil
		}
		now := s.clock()
		c.Priority, c.UpdatedAt = priority, now
		if err := tx.UpdateConversation(ctx, &c); err != nil {
			return fmt.Errorf("inbox: set priority of %d: %w", id, err)
		}
		changed = true
		return publish(ctx, tx, TopicConversationUpdated, &c, nil, routerActor, []string{"priority"}, now)
	})
	return changed, err
}

// RecordSLA records an SLA warning or breach once, with a timeline event and a bus
// event for supervisors' notifications; it reports false when it was recorded before.
func (s *Service) RecordSLA(ctx context.Context, e SLAEvent) (bool, error) {
	typ, topic := EventSLAWarning, TopicSLAWarning
	switch e.Stage {
	case SLAWarning:
	case SLABreached:
		typ, topic = EventSLABreached, TopicSLABreached
	default:
		return false, invalid("stage", "unknown SLA stage %q", e.Stage)
	}
	added := false
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, e.ConversationID)
		if err != nil {
			return fmt.Errorf("inbox: record SLA of %d: %w", e.ConversationID, err)
		}
		if e.At.IsZero() {
			e.At = s.clock()
		}
		e.Due = e.Due.UTC().Truncate(time.Microsecond)
		if added, err = tx.AddSLAEvent(ctx, e); err != nil || !added {
			return err
		}
		if err := addEvent(ctx, tx, c.ID, typ, routerActor, map[string]any{"target": e.Target, "due": e.Due}, e.At); err != nil {
			return err
		}
		return publish(ctx, tx, topic, &c, nil, routerActor, []string{e.Target}, e.At)
	})
	return added, err
}
