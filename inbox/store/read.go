package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

func (s *SQLite) q() querier { return readQ{s} }

// Conversation implements inbox.Reader.
func (s *SQLite) Conversation(ctx context.Context, id int64) (inbox.Conversation, error) {
	c, err := getConversation(ctx, s.q(), `id = ?`, id)
	return c, wrap(err, "conversation %d", id)
}

// Conversations implements inbox.Reader.
func (s *SQLite) Conversations(ctx context.Context, q inbox.ConversationQuery) ([]inbox.Conversation, error) {
	where, args := conversationFilter(q)
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	order := `last_message_at DESC, id DESC`
	if q.Sort == inbox.SortPriority {
		order = `priority DESC, coalesce(waiting_since, last_message_at) ASC, id ASC`
		if c := q.After; c != nil {
			add(`(priority < ? OR (priority = ? AND (coalesce(waiting_since, last_message_at) > ?
				OR (coalesce(waiting_since, last_message_at) = ? AND id > ?))))`,
				c.Priority, c.Priority, c.Time, c.Time, c.ID)
		}
	} else if c := q.After; c != nil {
		add(`(last_message_at < ? OR (last_message_at = ? AND id < ?))`, c.Time, c.Time, c.ID)
	}
	// Lists also show the contact's name, the start of the last message and, for the
	// reader, how many inbound messages they have not read.
	columns := conversationColumns + `, 0`
	if q.Reader != 0 {
		columns = conversationColumns + `, (SELECT count(*) FROM messages m WHERE m.conversation_id = conversations.id
			AND m.kind = 'in' AND m.id > coalesce((SELECT last_read_message_id FROM conversation_reads r
			WHERE r.user_id = ? AND r.conversation_id = conversations.id), 0))`
		args = append([]any{q.Reader}, args...)
	}
	columns += `, coalesce((SELECT nullif(name, '') FROM contacts WHERE contacts.id = conversations.contact_id),
			(SELECT value FROM contact_identities WHERE contact_id = conversations.contact_id ORDER BY kind LIMIT 1), ''),
		coalesce((SELECT substr(text, 1, 160) FROM messages m WHERE m.conversation_id = conversations.id
			AND m.kind IN ('in', 'out') ORDER BY m.id DESC LIMIT 1), '')`
	query := `SELECT ` + columns + ` FROM conversations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY ` + order + ` LIMIT ?`
	args = append(args, q.Limit)
	var out []inbox.Conversation
	// Filters vary; one-off statements keep the cache from filling with every shape.
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c inbox.Conversation
		if err := scanConversation(rows, &c, &c.Unread, &c.ContactName, &c.Preview); err != nil {
			return nil, fmt.Errorf("store: list conversations: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list conversations: %w", err)
	}
	return out, nil
}

// conversationFilter returns the WHERE conditions and arguments of q's filters (not its
// cursor).
func conversationFilter(q inbox.ConversationQuery) ([]string, []any) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if len(q.Statuses) > 0 {
		add(`status IN (`+placeholders(len(q.Statuses))+`)`, anys(q.Statuses)...)
	}
	if q.Channel != "" {
		add(`channel = ?`, q.Channel)
	}
	if q.TeamID != 0 {
		add(`team_id = ?`, q.TeamID)
	}
	if q.AssigneeID != 0 {
		add(`assignee_id = ?`, q.AssigneeID)
	}
	if q.Unassigned {
		add(`assignee_id IS NULL`)
	}
	if q.Tag != "" {
		add(`EXISTS (SELECT 1 FROM json_each(conversations.tags) WHERE value = ?)`, q.Tag)
	}
	if q.ContactID != 0 {
		add(`contact_id = ?`, q.ContactID)
	}
	if q.MinPriority > 0 {
		add(`priority >= ?`, q.MinPriority)
	}
	if v := q.Visible; v != nil {
		cond := `(team_id IS NULL OR assignee_id = ?`
		vargs := []any{v.UserID}
		if len(v.TeamIDs) > 0 {
			cond += ` OR team_id IN (` + placeholders(len(v.TeamIDs)) + `)`
			vargs = append(vargs, anys(v.TeamIDs)...)
		}
		add(cond+`)`, vargs...)
	}
	if len(q.TeamIDs) > 0 {
		add(`team_id IN (`+placeholders(len(q.TeamIDs))+`)`, anys(q.TeamIDs)...)
	}
	return where, args
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys[T any](v []T) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = x
	}
	return out
}

// Messages implements inbox.Reader.
func (s *SQLite) Messages(ctx context.Context, conversationID int64) ([]inbox.Message, error) {
	out, index, err := s.messages(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? ORDER BY created_at, id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("store: messages of %d: %w", conversationID, err)
	}
	err = s.attach(ctx, out, index, `SELECT `+attachmentColumns+` FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE m.conversation_id = ? ORDER BY a.id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("store: attachments of %d: %w", conversationID, err)
	}
	return out, nil
}

// messages runs a query of messageColumns and returns the messages with the index of
// each id in the slice, for attach.
func (s *SQLite) messages(ctx context.Context, query string, args ...any) ([]inbox.Message, map[int64]int, error) {
	out := []inbox.Message{}
	index := map[int64]int{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var m inbox.Message
		if err := scanMessage(r, &m); err != nil {
			return err
		}
		index[m.ID] = len(out)
		out = append(out, m)
		return nil
	}, query, args...)
	return out, index, err
}

// attach runs a query of attachmentColumns and appends each attachment to its message
// in msgs (found through index); attachments of other messages are ignored.
func (s *SQLite) attach(ctx context.Context, msgs []inbox.Message, index map[int64]int, query string, args ...any) error {
	return all(ctx, s.q(), func(r *sql.Rows) error {
		var a inbox.Attachment
		if err := scanAttachment(r, &a); err != nil {
			return err
		}
		if i, ok := index[a.MessageID]; ok {
			msgs[i].Attachments = append(msgs[i].Attachments, a)
		}
		return nil
	}, query, args...)
}

// Message implements inbox.Reader.
func (s *SQLite) Message(ctx context.Context, id int64) (inbox.Message, error) {
	m, err := getMessage(ctx, s.q(), `id = ?`, id)
	if err != nil {
		return m, wrap(err, "message %d", id)
	}
	err = all(ctx, s.q(), func(r *sql.Rows) error {
		var a inbox.Attachment
		if err := scanAttachment(r, &a); err != nil {
			return err
		}
		m.Attachments = append(m.Attachments, a)
		return nil
	}, `SELECT `+attachmentColumns+` FROM attachments a WHERE a.message_id = ? ORDER BY a.id`, id)
	return m, wrap(err, "attachments of message %d", id)
}

// Events implements inbox.Reader.
func (s *SQLite) Events(ctx context.Context, conversationID int64) ([]inbox.Event, error) {
	out := []inbox.Event{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var e inbox.Event
		var data string
		var created int64
		if err := r.Scan(&e.ID, &e.ConversationID, &e.Type, &e.ActorUserID, &data, &created); err != nil {
			return err
		}
		e.Data = []byte(data)
		e.CreatedAt = fromMicro(created)
		out = append(out, e)
		return nil
	}, `SELECT id, conversation_id, type, coalesce(actor_user_id, 0), data, created_at FROM events
		WHERE conversation_id = ? ORDER BY id`, conversationID)
	return out, wrap(err, "events of %d", conversationID)
}

// Contact implements inbox.Reader.
func (s *SQLite) Contact(ctx context.Context, id int64) (inbox.Contact, error) {
	c, err := getContact(ctx, s.q(), id)
	return c, wrap(err, "contact %d", id)
}

// User implements inbox.Reader.
func (s *SQLite) User(ctx context.Context, id int64) (inbox.User, error) {
	u, err := getUser(ctx, s.q(), `id = ?`, id)
	return u, wrap(err, "user %d", id)
}

// UserByEmail implements inbox.Reader.
func (s *SQLite) UserByEmail(ctx context.Context, email string) (inbox.User, error) {
	u, err := getUser(ctx, s.q(), `email = ?`, email)
	return u, wrap(err, "user by email")
}

// Users implements inbox.Reader.
func (s *SQLite) Users(ctx context.Context) ([]inbox.User, error) {
	out := []inbox.User{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var u inbox.User
		if err := scanUser(r, &u); err != nil {
			return err
		}
		out = append(out, u)
		return nil
	}, `SELECT `+userColumns+` FROM users ORDER BY email`)
	if err != nil {
		return nil, wrap(err, "users")
	}
	for i := range out {
		if err := loadTeams(ctx, s.q(), &out[i]); err != nil {
			return nil, wrap(err, "teams of user %d", out[i].ID)
		}
	}
	return out, nil
}

// Teams implements inbox.Reader.
func (s *SQLite) Teams(ctx context.Context) ([]inbox.Team, error) {
	out := []inbox.Team{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var t inbox.Team
		if err := r.Scan(&t.ID, &t.Slug, &t.Name); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}, `SELECT id, slug, name FROM teams ORDER BY slug`)
	return out, wrap(err, "teams")
}

const tokenColumns = `id, user_id, name, prefix, hash, created_at, revoked_at`

func scanToken(r *sql.Rows, t *inbox.APIToken) error {
	var created int64
	var revoked sql.NullInt64
	if err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, &created, &revoked); err != nil {
		return err
	}
	t.CreatedAt = fromMicro(created)
	t.RevokedAt = ptrMicro(revoked)
	return nil
}

// UserByTokenHash implements inbox.Reader.
func (s *SQLite) UserByTokenHash(ctx context.Context, hash []byte) (inbox.User, inbox.APIToken, error) {
	var t inbox.APIToken
	err := one(ctx, s.q(), func(r *sql.Rows) error { return scanToken(r, &t) },
		`SELECT `+tokenColumns+` FROM api_tokens WHERE hash = ? AND revoked_at IS NULL`, hash)
	if err != nil {
		return inbox.User{}, t, wrap(err, "token")
	}
	u, err := s.User(ctx, t.UserID)
	return u, t, err
}

// Tokens implements inbox.Reader.
func (s *SQLite) Tokens(ctx context.Context, userID int64) ([]inbox.APIToken, error) {
	out := []inbox.APIToken{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var t inbox.APIToken
		if err := scanToken(r, &t); err != nil {
			return err
		}
		out = append(out, t)
		return nil
	}, `SELECT `+tokenColumns+` FROM api_tokens WHERE user_id = ? ORDER BY id`, userID)
	return out, wrap(err, "tokens of user %d", userID)
}

// OutboxAfter implements inbox.Reader.
func (s *SQLite) OutboxAfter(ctx context.Context, after uint64, limit int) ([]inbox.OutboxRecord, error) {
	var out []inbox.OutboxRecord
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var rec inbox.OutboxRecord
		var id, created int64
		if err := r.Scan(&id, &rec.Stream, &rec.Type, &rec.Payload, &created); err != nil {
			return err
		}
		rec.ID = uint64(id)
		rec.CreatedAt = fromMicro(created)
		out = append(out, rec)
		return nil
	}, `SELECT id, stream, type, payload, created_at FROM outbox WHERE id > ? ORDER BY id LIMIT ?`, int64(after), limit)
	return out, wrap(err, "outbox after %d", after)
}

// SnoozedUntil implements inbox.SnoozeStore.
func (s *SQLite) SnoozedUntil(ctx context.Context, t time.Time, limit int) ([]int64, error) {
	var ids []int64
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	}, `SELECT id FROM conversations WHERE status = 'snoozed' AND snoozed_until <= ? ORDER BY snoozed_until LIMIT ?`, micro(t), limit)
	return ids, wrap(err, "snoozed conversations")
}
