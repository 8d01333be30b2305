package inbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// HandoffRequest asks to hand a conversation over: to a colleague (agent, with
// ToUserID), to a team's queue (team, with ToTeamID) or to a supervisor (supervisor,
// with ToUserID naming one, or none for any). A reason and a note are required: the note
// is what the receiver reads first.
type HandoffRequest struct {
	Kind     HandoffKind `json:"kind"`
	ToUserID int64       `json:"to_user_id,omitempty"`
	ToTeamID int64       `json:"to_team_id,omitempty"`
	Reason   string      `json:"reason"`
	Note     string      `json:"note"`
	// Timeout is how long the receiver has to answer before the handoff times out; the
	// router sets it from its configuration.
	Timeout time.Duration `json:"-"`
}

// Limits of handoff texts.
const (
	MaxHandoffReasonBytes = 200
	MaxHandoffNoteBytes   = 4000
	// DefaultHandoffTimeout applies when a request carries none.
	DefaultHandoffTimeout = 10 * time.Minute
)

// RequestHandoff hands conversation id over on behalf of actor, who must hold it (or see
// it unassigned, or be a supervisor). A team handoff moves the conversation to the
// team's queue at once and is accepted when one of its agents gets it; the others wait
// for the receiver's answer, the conversation staying with actor meanwhile. A second
// pending handoff of the same conversation fails with ErrConflict.
func (s *Service) RequestHandoff(ctx context.Context, actor User, id int64, req HandoffRequest) (Handoff, error) {
	if actor.Disabled || actor.ID == 0 {
		return Handoff{}, ErrUnauthorized
	}
	return s.requestHandoff(ctx, actor, "", id, req)
}

// SystemHandoff hands conversation id over on behalf of the hub itself (the reception
// bot, a routing rule's escalation); label names who, for the ledger.
func (s *Service) SystemHandoff(ctx context.Context, label string, id int64, req HandoffRequest) (Handoff, error) {
	label = cleanLine(label, 50)
	if label == "" {
		return Handoff{}, invalid("from", "a system handoff needs a label")
	}
	return s.requestHandoff(ctx, User{}, label, id, req)
}

func (s *Service) requestHandoff(ctx context.Context, from User, label string, id int64, req HandoffRequest) (Handoff, error) {
	if err := s.checkHandoff(ctx, from, &req); err != nil {
		return Handoff{}, err
	}
	var out Handoff
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return fmt.Errorf("inbox: handoff of %d: %w", id, err)
		}
		if from.ID != 0 {
			if !CanSee(from, c) {
				return fmt.Errorf("inbox: handoff of %d: %w", id, ErrNotFound)
			}
			if !from.Role.SeesAll() && c.AssigneeID != 0 && c.AssigneeID != from.ID {
				return fmt.Errorf("inbox: handoff of %d: held by another agent: %w", id, ErrForbidden)
			}
		}
		if req.Kind == HandoffAgent && req.ToUserID == c.AssigneeID {
			return invalid("to_user_id", "the conversation is already with user %d", req.ToUserID)
		}
		now := s.clock()
		h := Handoff{
			ConversationID: id, Kind: req.Kind, FromUserID: from.ID, FromLabel: label,
			ToUserID: req.ToUserID, ToTeamID: req.ToTeamID, Reason: req.Reason, Note: req.Note,
			Status: HandoffPending, PreviousAssigneeID: c.AssigneeID, RequestedAt: now, ExpiresAt: now.Add(req.Timeout),
		}
		if err := tx.CreateHandoff(ctx, &h); errors.Is(err, ErrDuplicate) {
			return fmt.Errorf("inbox: handoff of %d: another handoff is pending: %w", id, ErrConflict)
		} else if err != nil {
			return fmt.Errorf("inbox: handoff of %d: %w", id, err)
		}
		data := map[string]any{"handoff_id": h.ID, "kind": h.Kind, "status": h.Status, "reason": h.Reason, "note": h.Note}
		if h.ToUserID != 0 {
			data["to_user_id"] = h.ToUserID
		}
		if h.ToTeamID != 0 {
			data["to_team_id"] = h.ToTeamID
		}
		if label != "" {
			data["from"] = label
		}
		if err := addEvent(ctx, tx, id, EventHandedOff, from.ID, data, now); err != nil {
			return err
		}
		changed := []string{"handoff"}
		if h.Kind == HandoffTeam {
			if c.TeamID != h.ToTeamID {
				if err := addEvent(ctx, tx, id, EventTeamChanged, from.ID, map[string]any{"from": c.TeamID, "to": h.ToTeamID, "reason": "handoff"}, now); err != nil {
					return err
				}
				c.TeamID = h.ToTeamID
				changed = append(changed, "team")
			}
			if c.AssigneeID != 0 {
				if err := addEvent(ctx, tx, id, EventAssigned, from.ID, map[string]any{"from": c.AssigneeID, "to": 0, "reason": "handoff to a team"}, now); err != nil {
					return err
				}
				if err := rememberAgent(ctx, tx, id, c.AssigneeID, now); err != nil {
					return err
				}
				c.AssigneeID = 0
				changed = append(changed, "assignee")
			}
			c.UpdatedAt = now
			if err := tx.UpdateConversation(ctx, &c); err != nil {
				return fmt.Errorf("inbox: handoff of %d: %w", id, err)
			}
			if err := publish(ctx, tx, TopicConversationUpdated, &c, nil, from.ID, changed[1:], now); err != nil {
				return err
			}
		}
		out = h
		return publish(ctx, tx, TopicHandoffUpdated, &c, nil, from.ID, []string{"handoff"}, now)
	})
	return out, err
}

// checkHandoff validates req and completes its defaults.
func (s *Service) checkHandoff(ctx context.Context, from User, req *HandoffRequest) error {
	req.Reason = cleanLine(req.Reason, MaxHandoffReasonBytes+1)
	if req.Reason == "" {
		return invalid("reason", "a handoff needs a reason")
	}
	if len(req.Reason) > MaxHandoffReasonBytes {
		return invalid("reason", "longer than %d bytes", MaxHandoffReasonBytes)
	}
	req.Note = strings.TrimSpace(strings.ToValidUTF8(req.Note, "\uFFFD"))
	if req.Note == "" {
		return invalid("note", "a handoff needs a note for the receiver")
	}
	if len(req.Note) > MaxHandoffNoteBytes || utf8.RuneCountInString(req.Note) == 0 {
		return invalid("note", "longer than %d bytes", MaxHandoffNoteBytes)
	}
	if req.Timeout <= 0 {
		req.Timeout = DefaultHandoffTimeout
	}
	user := func(field string, id int64) (User, error) {
		u, err := s.store.User(ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && u.Disabled) {
			return u, invalid(field, "no active user %d", id)
		}
		if err != nil {
			return u, fmt.Errorf("inbox: check handoff: %w", err)
		}
		return u, nil
	}
	switch req.Kind {
	case HandoffAgent:
		if req.ToUserID == 0 || req.ToTeamID != 0 {
			return invalid("to_user_id", "a handoff to a colleague names them in to_user_id, and no team")
		}
		if req.ToUserID == from.ID {
			return invalid("to_user_id", "you cannot hand a conversation off to yourself")
		}
		if _, err := user("to_user_id", req.ToUserID); err != nil {
			return err
		}
	case HandoffTeam:
		if req.ToTeamID == 0 || req.ToUserID != 0 {
			return invalid("to_team_id", "a handoff to a team names it in to_team_id, and no user")
		}
		teams, err := s.store.Teams(ctx)
		if err != nil {
			return fmt.Errorf("inbox: check handoff: %w", err)
		}
		if !slices.ContainsFunc(teams, func(t Team) bool { return t.ID == req.ToTeamID }) {
			return invalid("to_team_id", "no team %d", req.ToTeamID)
		}
	case HandoffSupervisor:
		if req.ToTeamID != 0 {
			return invalid("to_team_id", "an escalation goes to a supervisor, not a team")
		}
		if req.ToUserID != 0 {
			u, err := user("to_user_id", req.ToUserID)
			if err != nil {
				return err
			}
			if !u.Role.SeesAll() {
				return invalid("to_user_id", "user %d is not a supervisor", req.ToUserID)
			}
			if u.ID == from.ID {
				return invalid("to_user_id", "you cannot escalate to yourself")
			}
		}
	default:
		return invalid("kind", "must be agent, team or supervisor, not %q", req.Kind)
	}
	return nil
}

// mayAnswer reports whether u may accept or decline h.
func mayAnswer(u User, h Handoff) bool {
	switch h.Kind {
	case HandoffAgent:
		return u.ID == h.ToUserID || u.Role.SeesAll()
	case HandoffTeam:
		return u.InTeam(h.ToTeamID) || u.Role.SeesAll()
	case HandoffSupervisor:
		return u.Role.SeesAll() && (h.ToUserID == 0 || h.ToUserID == u.ID)
	}
	return false
}

// AcceptHandoff accepts handoff id for actor, who gets the conversation. Only the
// receiver may (a member of the team for a team handoff, a supervisor for an
// escalation); an answered handoff fails with ErrConflict.
func (s *Service) AcceptHandoff(ctx context.Context, actor User, id int64) (Handoff, Conversation, error) {
	if actor.Disabled || actor.ID == 0 {
		return Handoff{}, Conversation{}, ErrUnauthorized
	}
	var out Handoff
	var conv Conversation
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		h, c, err := s.pendingFor(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		now := s.clock()
		if h.Kind == HandoffTeam && c.AssigneeID != 0 && c.AssigneeID != actor.ID {
			return fmt.Errorf("inbox: accept handoff %d: an agent took the conversation already: %w", id, ErrConflict)
		}
		if c.AssigneeID != actor.ID {
			if err := addEvent(ctx, tx, c.ID, EventAssigned, actor.ID, map[string]any{"from": c.AssigneeID, "to": actor.ID, "via": ViaHandoff}, now); err != nil {
				return err
			}
			c.AssigneeID, c.UpdatedAt = actor.ID, now
			if err := tx.UpdateConversation(ctx, &c); err != nil {
				return fmt.Errorf("inbox: accept handoff %d: %w", id, err)
			}
			if err := rememberAgent(ctx, tx, c.ID, actor.ID, now); err != nil {
				return err
			}
			if err := publish(ctx, tx, TopicConversationUpdated, &c, nil, actor.ID, []string{"assignee"}, now); err != nil {
				return err
			}
		}
		if err := answerHandoff(ctx, tx, &c, &h, HandoffAccepted, actor.ID, "", now); err != nil {
			return err
		}
		out, conv = h, c
		return nil
	})
	return out, conv, err
}

// DeclineHandoff declines handoff id for actor, with a note for the requester. The
// conversation stays where it was. A team handoff cannot be declined: an agent of the
// team takes it or hands it on.
func (s *Service) DeclineHandoff(ctx context.Context, actor User, id int64, note string) (Handoff, error) {
	if actor.Disabled || actor.ID == 0 {
		return Handoff{}, ErrUnauthorized
	}
	note = strings.TrimSpace(strings.ToValidUTF8(note, "\uFFFD"))
	if len(note) > MaxHandoffNoteBytes {
		return Handoff{}, invalid("note", "longer than %d bytes", MaxHandoffNoteBytes)
	}
	var out Handoff
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		h, c, err := s.pendingFor(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if h.Kind == HandoffTeam {
			return invalid("kind", "a handoff to a team cannot be declined: take the conversation or hand it on")
		}
		if err := answerHandoff(ctx, tx, &c, &h, HandoffDeclined, actor.ID, note, s.clock()); err != nil {
			return err
		}
		out = h
		return nil
	})
	return out, err
}

// pendingFor loads handoff id and its conversation for actor to answer.
func (s *Service) pendingFor(ctx context.Context, tx Tx, actor User, id int64) (Handoff, Conversation, error) {
	h, err := tx.Handoff(ctx, id)
	if err != nil {
		return h, Conversation{}, fmt.Errorf("inbox: handoff %d: %w", id, err)
	}
	if !mayAnswer(actor, h) && h.FromUserID != actor.ID {
		return h, Conversation{}, fmt.Errorf("inbox: handoff %d: %w", id, ErrNotFound)
	}
	if !mayAnswer(actor, h) {
		return h, Conversation{}, fmt.Errorf("inbox: handoff %d: only its receiver may answer it: %w", id, ErrForbidden)
	}
	if h.Status != HandoffPending {
		return h, Conversation{}, fmt.Errorf("inbox: handoff %d is %s already: %w", id, h.Status, ErrConflict)
	}
	c, err := tx.Conversation(ctx, h.ConversationID)
	if err != nil {
		return h, c, fmt.Errorf("inbox: handoff %d: %w", id, err)
	}
	return h, c, nil
}

// answerHandoff records the answer to h with its timeline and bus events.
func answerHandoff(ctx context.Context, tx Tx, c *Conversation, h *Handoff, st HandoffStatus, by int64, note string, now time.Time) error {
	h.Status, h.AnsweredAt, h.AnsweredBy, h.AnswerNote = st, &now, by, note
	if err := tx.UpdateHandoff(ctx, h); err != nil {
		return err
	}
	data := map[string]any{"handoff_id": h.ID, "kind": h.Kind, "status": st}
	if d := h.TimeToAccept(); d != nil {
		data["time_to_accept_seconds"] = int64(d.Seconds())
	}
	if note != "" {
		data["note"] = note
	}
	if err := addEvent(ctx, tx, c.ID, EventHandedOff, by, data, now); err != nil {
		return err
	}
	return publish(ctx, tx, TopicHandoffUpdated, c, nil, by, []string{"handoff"}, now)
}

// ExpireHandoffs marks pending handoffs past their expiry as timed out; the
// conversations stay where they are. It returns the handoffs it expired.
func (s *Service) ExpireHandoffs(ctx context.Context) ([]Handoff, error) {
	var out []Handoff
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		out = nil
		now := s.clock()
		hs, err := tx.ExpiredHandoffs(ctx, now, 200)
		if err != nil {
			return err
		}
		for _, h := range hs {
			c, err := tx.Conversation(ctx, h.ConversationID)
			if err != nil {
				return fmt.Errorf("inbox: expire handoff %d: %w", h.ID, err)
			}
			if err := answerHandoff(ctx, tx, &c, &h, HandoffTimedOut, 0, "", now); err != nil {
				return err
			}
			out = append(out, h)
		}
		return nil
	})
	return out, err
}

// Handoffs returns the handoffs actor may see matching q, newest first: supervisors see
// all; agents those from or to them, to their teams, or of conversations they see.
func (s *Service) Handoffs(ctx context.Context, actor User, q HandoffQuery) ([]Handoff, error) {
	if actor.Disabled {
		return nil, ErrUnauthorized
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 100
	}
	if !actor.Role.SeesAll() {
		if q.ConversationID != 0 {
			if _, err := s.visibleConversation(ctx, actor, q.ConversationID); err != nil {
				return nil, err
			}
		} else {
			q.Involving, q.Teams, q.Supervisors = actor.ID, actor.TeamIDs, false
		}
	}
	hs, err := s.store.Handoffs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("inbox: handoffs: %w", err)
	}
	return hs, nil
}
