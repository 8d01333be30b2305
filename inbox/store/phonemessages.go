package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Phone messages: the inbox.PhoneMessageReader and inbox.PhoneMessageTx parts of the
// store, and inbox.MessageEditTx.

const phoneMessageColumns = `id, author_user_id, coalesce(recipient_user_id, 0), coalesce(recipient_team_id, 0),
	caller_name, organisation, phone, email, coalesce(contact_id, 0), coalesce(conversation_id, 0), subject, text,
	urgency, callback_requested, callback_before, acknowledged_at, coalesce(acknowledged_by, 0), callback_done_at,
	coalesce(callback_done_by, 0), callback_note, overdue_at, coalesce(idempotency_key, ''), created_at, updated_at`

func scanPhoneMessage(r *sql.Rows, p *inbox.PhoneMessage) error {
	var before, acked, done, overdue sql.NullInt64
	var created, updated int64
	err := r.Scan(&p.ID, &p.AuthorID, &p.RecipientUserID, &p.RecipientTeamID, &p.CallerName, &p.Organisation,
		&p.Phone, &p.Email, &p.ContactID, &p.ConversationID, &p.Subject, &p.Text, &p.Urgency, &p.CallbackRequested,
		&before, &acked, &p.AcknowledgedBy, &done, &p.CallbackDoneBy, &p.CallbackNote, &overdue, &p.IdempotencyKey,
		&created, &updated)
	if err != nil {
		return err
	}
	p.CallbackBefore, p.AcknowledgedAt, p.CallbackDoneAt, p.OverdueAt = ptrMicro(before), ptrMicro(acked), ptrMicro(done), ptrMicro(overdue)
	p.CreatedAt, p.UpdatedAt = fromMicro(created), fromMicro(updated)
	return nil
}

func getPhoneMessage(ctx context.Context, db querier, where string, args ...any) (inbox.PhoneMessage, error) {
	var p inbox.PhoneMessage
	err := one(ctx, db, func(r *sql.Rows) error { return scanPhoneMessage(r, &p) },
		`SELECT `+phoneMessageColumns+` FROM phone_messages WHERE `+where, args...)
	return p, err
}

// PhoneMessage implements inbox.PhoneMessageReader.
func (s *SQLite) PhoneMessage(ctx context.Context, id int64) (inbox.PhoneMessage, error) {
	p, err := getPhoneMessage(ctx, s.q(), `id = ?`, id)
	return p, wrap(err, "phone message %d", id)
}

// phoneMessageStatusCond is the SQL condition of each derived status.
var phoneMessageStatusCond = map[inbox.PhoneMessageStatus]string{
	inbox.PhoneMessageNew:          `(acknowledged_at IS NULL AND callback_done_at IS NULL)`,
	inbox.PhoneMessageAcknowledged: `(acknowledged_at IS NOT NULL AND callback_done_at IS NULL AND callback_requested = 1)`,
	inbox.PhoneMessageDone:         `(callback_done_at IS NOT NULL OR (callback_requested = 0 AND acknowledged_at IS NOT NULL))`,
}

// PhoneMessages implements inbox.PhoneMessageReader.
func (s *SQLite) PhoneMessages(ctx context.Context, q inbox.PhoneMessageQuery) ([]inbox.PhoneMessage, error) {
	out := []inbox.PhoneMessage{}
	if q.RecipientTeamIDs != nil && len(q.RecipientTeamIDs) == 0 {
		return out, nil
	}
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if q.RecipientUserID != 0 {
		add(`recipient_user_id = ?`, q.RecipientUserID)
	}
	if len(q.RecipientTeamIDs) > 0 {
		add(`recipient_team_id IN (`+placeholders(len(q.RecipientTeamIDs))+`)`, anys(q.RecipientTeamIDs)...)
	}
	if q.AuthorID != 0 {
		add(`author_user_id = ?`, q.AuthorID)
	}
	if q.ContactID != 0 {
		add(`contact_id = ?`, q.ContactID)
	}
	if q.ConversationID != 0 {
		add(`conversation_id = ?`, q.ConversationID)
	}
	if v := q.Visible; v != nil {
		cond := `(author_user_id = ? OR recipient_user_id = ?`
		vargs := []any{v.UserID, v.UserID}
		if len(v.TeamIDs) > 0 {
			cond += ` OR recipient_team_id IN (` + placeholders(len(v.TeamIDs)) + `)`
			vargs = append(vargs, anys(v.TeamIDs)...)
		}
		add(cond+`)`, vargs...)
	}
	if q.DueBy != nil {
		add(`callback_requested = 1 AND callback_done_at IS NULL AND callback_before IS NOT NULL AND callback_before <= ?`, micro(*q.DueBy))
	}
	if len(q.Statuses) > 0 {
		var ors []string
		for _, st := range q.Statuses {
			c, ok := phoneMessageStatusCond[st]
			if !ok {
				return nil, fmt.Errorf("store: phone messages: unknown status %q", st)
			}
			ors = append(ors, c)
		}
		add(`(` + strings.Join(ors, ` OR `) + `)`)
	}
	if q.BeforeID > 0 {
		add(`id < ?`, q.BeforeID)
	}
	query := `SELECT ` + phoneMessageColumns + ` FROM phone_messages`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = inbox.MaxPageSize
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	// Filters vary; one-off statements keep the cache from filling with every shape.
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list phone messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p inbox.PhoneMessage
		if err := scanPhoneMessage(rows, &p); err != nil {
			return nil, fmt.Errorf("store: list phone messages: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list phone messages: %w", err)
	}
	return out, nil
}

// PhoneMessageNotifications implements inbox.PhoneMessageReader.
func (s *SQLite) PhoneMessageNotifications(ctx context.Context, id int64) ([]inbox.PhoneMessageNotification, error) {
	out := []inbox.PhoneMessageNotification{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var n inbox.PhoneMessageNotification
		var at int64
		if err := r.Scan(&n.PhoneMessageID, &n.UserID, &n.Channel, &n.Kind, &n.Status, &n.Error, &at); err != nil {
			return err
		}
		n.At = fromMicro(at)
		out = append(out, n)
		return nil
	}, `SELECT phone_message_id, user_id, channel, kind, status, error, at FROM phone_message_notifications
		WHERE phone_message_id = ? ORDER BY at, user_id, channel, kind`, id)
	return out, wrap(err, "notifications of phone message %d", id)
}

func (t *tx) PhoneMessage(ctx context.Context, id int64) (inbox.PhoneMessage, error) {
	p, err := getPhoneMessage(ctx, t.q(), `id = ?`, id)
	return p, wrap(err, "phone message %d", id)
}

func (t *tx) PhoneMessageByKey(ctx context.Context, authorID int64, key string) (inbox.PhoneMessage, error) {
	p, err := getPhoneMessage(ctx, t.q(), `author_user_id = ? AND idempotency_key = ?`, authorID, key)
	return p, wrap(err, "phone message by key")
}

func (t *tx) CreatePhoneMessage(ctx context.Context, p *inbox.PhoneMessage) error {
	id, err := t.newID(ctx, "phone_messages")
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `INSERT INTO phone_messages (id, author_user_id, recipient_user_id, recipient_team_id,
		caller_name, organisation, phone, email, contact_id, conversation_id, subject, text, urgency,
		callback_requested, callback_before, acknowledged_at, acknowledged_by, callback_done_at, callback_done_by,
		callback_note, overdue_at, idempotency_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, p.AuthorID, nullID(p.RecipientUserID), nullID(p.RecipientTeamID), p.CallerName, p.Organisation, p.Phone,
		p.Email, nullID(p.ContactID), nullID(p.ConversationID), p.Subject, p.Text, string(p.Urgency),
		p.CallbackRequested, nullMicro(p.CallbackBefore), nullMicro(p.AcknowledgedAt), nullID(p.AcknowledgedBy),
		nullMicro(p.CallbackDoneAt), nullID(p.CallbackDoneBy), p.CallbackNote, nullMicro(p.OverdueAt),
		nullString(p.IdempotencyKey), micro(p.CreatedAt), micro(p.UpdatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: create phone message: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create phone message: %w", err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	t.idTaken("phone_messages")
	return nil
}

func (t *tx) UpdatePhoneMessage(ctx context.Context, p *inbox.PhoneMessage) error {
	res, err := t.exec(ctx, `UPDATE phone_messages SET acknowledged_at = ?, acknowledged_by = ?, callback_done_at = ?,
		callback_done_by = ?, callback_note = ?, overdue_at = ?, updated_at = ? WHERE id = ?`,
		nullMicro(p.AcknowledgedAt), nullID(p.AcknowledgedBy), nullMicro(p.CallbackDoneAt), nullID(p.CallbackDoneBy),
		p.CallbackNote, nullMicro(p.OverdueAt), micro(p.UpdatedAt), p.ID)
	if err != nil {
		return fmt.Errorf("store: update phone message %d: %w", p.ID, err)
	}
	return mustAffect(res, "phone message", p.ID)
}

func (t *tx) DuePhoneMessages(ctx context.Context, now time.Time, limit int) ([]inbox.PhoneMessage, error) {
	var out []inbox.PhoneMessage
	err := all(ctx, t.q(), func(r *sql.Rows) error {
		var p inbox.PhoneMessage
		if err := scanPhoneMessage(r, &p); err != nil {
			return err
		}
		out = append(out, p)
		return nil
	}, `SELECT `+phoneMessageColumns+` FROM phone_messages WHERE callback_requested = 1 AND callback_done_at IS NULL
		AND callback_before IS NOT NULL AND callback_before <= ? AND overdue_at IS NULL
		ORDER BY callback_before, id LIMIT ?`, micro(now), limit)
	return out, wrap(err, "due phone messages")
}

func (t *tx) PutPhoneMessageNotification(ctx context.Context, n inbox.PhoneMessageNotification) error {
	_, err := t.exec(ctx, `INSERT INTO phone_message_notifications (phone_message_id, user_id, channel, kind, status, error, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (phone_message_id, user_id, channel, kind) DO UPDATE SET status = excluded.status,
		error = excluded.error, at = excluded.at`,
		n.PhoneMessageID, n.UserID, n.Channel, n.Kind, n.Status, n.Error, micro(n.At))
	if err != nil {
		return fmt.Errorf("store: put notification of phone message %d: %w", n.PhoneMessageID, err)
	}
	return nil
}

func (t *tx) UpdateMessageText(ctx context.Context, id int64, text string) error {
	res, err := t.exec(ctx, `UPDATE messages SET text = ? WHERE id = ?`, text, id)
	if err != nil {
		return fmt.Errorf("store: update text of message %d: %w", id, err)
	}
	return mustAffect(res, "message", id)
}
