package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

const routingColumns = `conversation_id, message_id, category_confidence, category_rule, urgency, explanation,
	rules, skills, no_assign, priority_fixed, priority_adjust, sla_policy, coalesce(last_agent_id, 0), corrected, updated_at`

func scanRoutingState(r *sql.Rows, st *inbox.RoutingState) error {
	var expl, rules, skills string
	var fixed sql.NullInt64
	var updated int64
	if err := r.Scan(&st.ConversationID, &st.MessageID, &st.CategoryConfidence, &st.CategoryRule, &st.Urgency, &expl,
		&rules, &skills, &st.NoAssign, &fixed, &st.PriorityAdjust, &st.SLAPolicy, &st.LastAgentID, &st.Corrected, &updated); err != nil {
		return err
	}
	decodeRoutingColumns(st, expl, rules, skills, fixed, updated)
	return nil
}

// decodeRoutingColumns fills st's fields kept in encoded columns (JSON, lists, nullable).
func decodeRoutingColumns(st *inbox.RoutingState, expl, rules, skills string, fixed sql.NullInt64, updated int64) {
	st.Explanation = map[string]json.RawMessage{}
	_ = json.Unmarshal([]byte(expl), &st.Explanation) // a damaged column shows no explanation
	st.Rules, st.Skills = parseList(rules), parseList(skills)
	if fixed.Valid {
		v := int(fixed.Int64)
		st.PriorityFixed = &v
	}
	st.UpdatedAt = fromMicro(updated)
}

func getRoutingState(ctx context.Context, db querier, id int64) (inbox.RoutingState, error) {
	var st inbox.RoutingState
	err := one(ctx, db, func(r *sql.Rows) error { return scanRoutingState(r, &st) },
		`SELECT `+routingColumns+` FROM routing_state WHERE conversation_id = ?`, id)
	return st, wrap(err, "routing state of %d", id)
}

// RoutingState implements inbox.RoutingReader.
func (s *SQLite) RoutingState(ctx context.Context, id int64) (inbox.RoutingState, error) {
	return getRoutingState(ctx, s.q(), id)
}

// RoutingState implements inbox.RoutingTx.
func (t *tx) RoutingState(ctx context.Context, id int64) (inbox.RoutingState, error) {
	return getRoutingState(ctx, t.q(), id)
}

// PutRoutingState implements inbox.RoutingTx.
func (t *tx) PutRoutingState(ctx context.Context, st *inbox.RoutingState) error {
	expl, err := json.Marshal(st.Explanation)
	if err != nil {
		return fmt.Errorf("store: routing state of %d: %w", st.ConversationID, err)
	}
	var fixed sql.NullInt64
	if st.PriorityFixed != nil {
		fixed = sql.NullInt64{Int64: int64(*st.PriorityFixed), Valid: true}
	}
	_, err = t.exec(ctx, `INSERT OR REPLACE INTO routing_state (conversation_id, message_id, category_confidence,
		category_rule, urgency, explanation, rules, skills, no_assign, priority_fixed, priority_adjust, sla_policy,
		last_agent_id, corrected, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ConversationID, st.MessageID, st.CategoryConfidence, st.CategoryRule, st.Urgency, string(expl),
		jsonList(st.Rules), jsonList(st.Skills), st.NoAssign, fixed, st.PriorityAdjust, st.SLAPolicy,
		nullID(st.LastAgentID), st.Corrected, micro(st.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: routing state of %d: %w", st.ConversationID, err)
	}
	return nil
}

func (s *SQLite) conversationList(ctx context.Context, what, where string, args ...any) ([]inbox.Conversation, error) {
	out := []inbox.Conversation{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var c inbox.Conversation
		if err := scanConversation(r, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT `+conversationColumns+` FROM conversations WHERE `+where, args...)
	return out, wrap(err, "%s", what)
}

// ActiveConversations implements inbox.RoutingReader.
func (s *SQLite) ActiveConversations(ctx context.Context, afterID int64, limit int) ([]inbox.Conversation, error) {
	return s.conversationList(ctx, "active conversations",
		`status IN ('open', 'pending') AND id > ? ORDER BY id LIMIT ?`, afterID, limit)
}

// AssignedConversations implements inbox.RoutingReader.
func (s *SQLite) AssignedConversations(ctx context.Context, userID int64) ([]inbox.Conversation, error) {
	return s.conversationList(ctx, "conversations of an agent",
		`assignee_id = ? AND status IN ('open', 'pending') ORDER BY id`, userID)
}

// LastAgentOfContact implements inbox.RoutingReader.
func (s *SQLite) LastAgentOfContact(ctx context.Context, contactID, except int64) (int64, error) {
	var id int64
	err := one(ctx, s.q(), func(r *sql.Rows) error { return r.Scan(&id) },
		`SELECT coalesce(c.assignee_id, rs.last_agent_id, 0) FROM conversations c
		LEFT JOIN routing_state rs ON rs.conversation_id = c.id
		WHERE c.contact_id = ? AND c.id <> ? AND coalesce(c.assignee_id, rs.last_agent_id) IS NOT NULL
		ORDER BY c.last_message_at DESC, c.id DESC LIMIT 1`, contactID, except)
	if isNotFound(err) {
		return 0, nil
	}
	return id, wrap(err, "last agent of contact %d", contactID)
}

// LatestInbound implements inbox.RoutingReader.
func (s *SQLite) LatestInbound(ctx context.Context, convID int64) (inbox.Message, error) {
	m, err := getMessage(ctx, s.q(), `conversation_id = ? AND kind = 'in' ORDER BY id DESC LIMIT 1`, convID)
	return m, wrap(err, "latest inbound message of %d", convID)
}

// AddSLAEvent implements inbox.RoutingTx.
func (t *tx) AddSLAEvent(ctx context.Context, e inbox.SLAEvent) (bool, error) {
	res, err := t.exec(ctx, `INSERT OR IGNORE INTO sla_events (conversation_id, target, stage, due, created_at)
		VALUES (?, ?, ?, ?, ?)`, e.ConversationID, e.Target, e.Stage, micro(e.Due), micro(e.At))
	if err != nil {
		return false, fmt.Errorf("store: sla event of %d: %w", e.ConversationID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

const handoffColumns = `id, conversation_id, kind, coalesce(from_user_id, 0), from_label, coalesce(to_user_id, 0),
	coalesce(to_team_id, 0), reason, note, status, coalesce(previous_assignee_id, 0), requested_at, expires_at,
	answered_at, coalesce(answered_by, 0), answer_note`

func scanHandoff(r *sql.Rows, h *inbox.Handoff) error {
	var req, exp int64
	var ans sql.NullInt64
	if err := r.Scan(&h.ID, &h.ConversationID, &h.Kind, &h.FromUserID, &h.FromLabel, &h.ToUserID, &h.ToTeamID,
		&h.Reason, &h.Note, &h.Status, &h.PreviousAssigneeID, &req, &exp, &ans, &h.AnsweredBy, &h.AnswerNote); err != nil {
		return err
	}
	h.RequestedAt, h.ExpiresAt, h.AnsweredAt = fromMicro(req), fromMicro(exp), ptrMicro(ans)
	return nil
}

func getHandoffs(ctx context.Context, db querier, where string, args ...any) ([]inbox.Handoff, error) {
	out := []inbox.Handoff{}
	err := all(ctx, db, func(r *sql.Rows) error {
		var h inbox.Handoff
		if err := scanHandoff(r, &h); err != nil {
			return err
		}
		out = append(out, h)
		return nil
	}, `SELECT `+handoffColumns+` FROM handoffs WHERE `+where, args...)
	return out, err
}

func getHandoff(ctx context.Context, db querier, where string, args ...any) (inbox.Handoff, error) {
	var h inbox.Handoff
	err := one(ctx, db, func(r *sql.Rows) error { return scanHandoff(r, &h) },
		`SELECT `+handoffColumns+` FROM handoffs WHERE `+where, args...)
	return h, err
}

// Handoff implements inbox.RoutingReader.
func (s *SQLite) Handoff(ctx context.Context, id int64) (inbox.Handoff, error) {
	h, err := getHandoff(ctx, s.q(), `id = ?`, id)
	return h, wrap(err, "handoff %d", id)
}

// Handoff implements inbox.RoutingTx.
func (t *tx) Handoff(ctx context.Context, id int64) (inbox.Handoff, error) {
	h, err := getHandoff(ctx, t.q(), `id = ?`, id)
	return h, wrap(err, "handoff %d", id)
}

// PendingHandoff implements inbox.RoutingTx.
func (t *tx) PendingHandoff(ctx context.Context, convID int64) (inbox.Handoff, error) {
	h, err := getHandoff(ctx, t.q(), `conversation_id = ? AND status = 'pending'`, convID)
	return h, wrap(err, "pending handoff of %d", convID)
}

// ExpiredHandoffs implements inbox.RoutingTx.
func (t *tx) ExpiredHandoffs(ctx context.Context, now time.Time, limit int) ([]inbox.Handoff, error) {
	hs, err := getHandoffs(ctx, t.q(), `status = 'pending' AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`, micro(now), limit)
	return hs, wrap(err, "expired handoffs")
}

// Handoffs implements inbox.RoutingReader.
func (s *SQLite) Handoffs(ctx context.Context, q inbox.HandoffQuery) ([]inbox.Handoff, error) {
	var where []string
	var args []any
	if q.ConversationID != 0 {
		where, args = append(where, `conversation_id = ?`), append(args, q.ConversationID)
	}
	if q.Status != "" {
		where, args = append(where, `status = ?`), append(args, string(q.Status))
	}
	if !q.Since.IsZero() {
		where, args = append(where, `requested_at >= ?`), append(args, micro(q.Since))
	}
	if q.Involving != 0 {
		cond := `(from_user_id = ? OR to_user_id = ? OR answered_by = ?`
		args = append(args, q.Involving, q.Involving, q.Involving)
		if len(q.Teams) > 0 {
			cond += ` OR (kind = 'team' AND to_team_id IN (` + placeholders(len(q.Teams)) + `))`
			args = append(args, anys(q.Teams)...)
		}
		if q.Supervisors {
			cond += ` OR (kind = 'supervisor' AND to_user_id IS NULL)`
		}
		where = append(where, cond+`)`)
	}
	if len(where) == 0 {
		where = []string{`1 = 1`}
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + handoffColumns + ` FROM handoffs WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	out := []inbox.Handoff{}
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: handoffs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h inbox.Handoff
		if err := scanHandoff(rows, &h); err != nil {
			return nil, fmt.Errorf("store: handoffs: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: handoffs: %w", err)
	}
	return out, nil
}

// CreateHandoff implements inbox.RoutingTx.
func (t *tx) CreateHandoff(ctx context.Context, h *inbox.Handoff) error {
	id, err := t.newID(ctx, "handoffs")
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `INSERT INTO handoffs (id, conversation_id, kind, from_user_id, from_label, to_user_id, to_team_id,
		reason, note, status, previous_assignee_id, requested_at, expires_at, answered_at, answered_by, answer_note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, h.ConversationID, string(h.Kind), nullID(h.FromUserID), h.FromLabel, nullID(h.ToUserID), nullID(h.ToTeamID),
		h.Reason, h.Note, string(h.Status), nullID(h.PreviousAssigneeID), micro(h.RequestedAt), micro(h.ExpiresAt),
		nullMicro(h.AnsweredAt), nullID(h.AnsweredBy), h.AnswerNote)
	if isUnique(err) {
		return fmt.Errorf("store: create handoff of %d: %w", h.ConversationID, inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create handoff of %d: %w", h.ConversationID, err)
	}
	if h.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	t.idTaken("handoffs")
	return nil
}

// UpdateHandoff implements inbox.RoutingTx.
func (t *tx) UpdateHandoff(ctx context.Context, h *inbox.Handoff) error {
	res, err := t.exec(ctx, `UPDATE handoffs SET status = ?, answered_at = ?, answered_by = ?, answer_note = ? WHERE id = ?`,
		string(h.Status), nullMicro(h.AnsweredAt), nullID(h.AnsweredBy), h.AnswerNote, h.ID)
	if err != nil {
		return fmt.Errorf("store: update handoff %d: %w", h.ID, err)
	}
	return mustAffect(res, "handoff", h.ID)
}

// AddCorrection implements inbox.RoutingTx.
func (t *tx) AddCorrection(ctx context.Context, c *inbox.CorrectionRecord) error {
	res, err := t.exec(ctx, `INSERT INTO classification_corrections (conversation_id, message_id, user_id, category,
		language, tension, old_category, old_language, old_tension, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ConversationID, nullID(c.MessageID), nullID(c.UserID), c.Category, c.Language, c.Tension,
		c.OldCategory, c.OldLanguage, c.OldTension, micro(c.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: add correction of %d: %w", c.ConversationID, err)
	}
	c.ID, err = res.LastInsertId()
	return err
}

// CorrectionSamples implements inbox.RoutingReader.
func (s *SQLite) CorrectionSamples(ctx context.Context) ([]inbox.CorrectionSample, error) {
	out := []inbox.CorrectionSample{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var c inbox.CorrectionSample
		if err := r.Scan(&c.MessageID, &c.Subject, &c.Text, &c.Channel, &c.Category, &c.Language, &c.Tension); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT m.id, m.subject, m.text, m.channel, cc.category, cc.language, cc.tension
		FROM classification_corrections cc JOIN messages m ON m.id = cc.message_id
		WHERE cc.id = (SELECT max(id) FROM classification_corrections WHERE message_id = cc.message_id)
		ORDER BY cc.id`)
	return out, wrap(err, "correction samples")
}
