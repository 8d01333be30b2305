package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// checkIDs refuses bulk reads over inbox.MaxBulkIDs ids.
func checkIDs(ids []int64) error {
	if len(ids) > inbox.MaxBulkIDs {
		return fmt.Errorf("store: %d ids in one read, at most %d", len(ids), inbox.MaxBulkIDs)
	}
	return nil
}

// ConversationsChanged implements inbox.BulkReader.
func (s *SQLite) ConversationsChanged(ctx context.Context, since time.Time, after *inbox.Cursor, limit int) ([]inbox.Conversation, error) {
	if limit < 1 || limit > 10000 {
		return nil, fmt.Errorf("store: conversations changed: limit %d, want 1 to 10000", limit)
	}
	where, args := `updated_at >= ?`, []any{micro(since)}
	if after != nil {
		where += ` AND (updated_at > ? OR (updated_at = ? AND id > ?))`
		args = append(args, after.Time, after.Time, after.ID)
	}
	args = append(args, limit)
	out := []inbox.Conversation{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var c inbox.Conversation
		if err := scanConversation(r, &c); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}, `SELECT `+conversationColumns+` FROM conversations WHERE `+where+` ORDER BY updated_at, id LIMIT ?`, args...)
	return out, wrap(err, "conversations changed since %d", micro(since))
}

// ConversationsByID implements inbox.BulkReader.
func (s *SQLite) ConversationsByID(ctx context.Context, ids []int64) ([]inbox.Conversation, error) {
	out := []inbox.Conversation{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	// One-off statements: the number of placeholders varies.
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations WHERE id IN (`+placeholders(len(ids))+`)`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: conversations by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c inbox.Conversation
		if err := scanConversation(rows, &c); err != nil {
			return nil, fmt.Errorf("store: conversations by id: %w", err)
		}
		out = append(out, c)
	}
	return out, wrap(rows.Err(), "conversations by id")
}

// MessagesByID implements inbox.BulkReader.
func (s *SQLite) MessagesByID(ctx context.Context, ids []int64) ([]inbox.Message, error) {
	if len(ids) == 0 {
		return []inbox.Message{}, nil
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	return s.messagesWhere(ctx, `id IN (`+placeholders(len(ids))+`) ORDER BY id`, anys(ids))
}

// MessagesOf implements inbox.BulkReader.
func (s *SQLite) MessagesOf(ctx context.Context, conversationIDs []int64) ([]inbox.Message, error) {
	if len(conversationIDs) == 0 {
		return []inbox.Message{}, nil
	}
	if err := checkIDs(conversationIDs); err != nil {
		return nil, err
	}
	return s.messagesWhere(ctx, `conversation_id IN (`+placeholders(len(conversationIDs))+`) ORDER BY conversation_id, id`, anys(conversationIDs))
}

func (s *SQLite) messagesWhere(ctx context.Context, where string, args []any) ([]inbox.Message, error) {
	out := []inbox.Message{}
	rows, err := s.rdb.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var m inbox.Message
		if err := scanMessage(rows, &m); err != nil {
			return nil, fmt.Errorf("store: messages: %w", err)
		}
		out = append(out, m)
	}
	return out, wrap(rows.Err(), "messages")
}

// ContactsByID implements inbox.BulkReader.
func (s *SQLite) ContactsByID(ctx context.Context, ids []int64) ([]inbox.Contact, error) {
	out := []inbox.Contact{}
	if len(ids) == 0 {
		return out, nil
	}
	if err := checkIDs(ids); err != nil {
		return nil, err
	}
	index := map[int64]int{}
	in := placeholders(len(ids))
	rows, err := s.rdb.QueryContext(ctx, `SELECT id, name, language, accessibility, consent, vip, created_at, updated_at
		FROM contacts WHERE id IN (`+in+`)`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: contacts by id: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c inbox.Contact
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Name, &c.Language, &c.Accessibility, &c.Consent, &c.VIP, &created, &updated); err != nil {
			return nil, fmt.Errorf("store: contacts by id: %w", err)
		}
		c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
		c.Identities = []inbox.Identity{}
		index[c.ID] = len(out)
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: contacts by id: %w", err)
	}
	rows.Close()
	irows, err := s.rdb.QueryContext(ctx, `SELECT contact_id, kind, value, name FROM contact_identities
		WHERE contact_id IN (`+in+`) ORDER BY contact_id, kind, value`, anys(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: identities by contact: %w", err)
	}
	defer irows.Close()
	for irows.Next() {
		var cid int64
		var i inbox.Identity
		if err := irows.Scan(&cid, &i.Kind, &i.Value, &i.Name); err != nil {
			return nil, fmt.Errorf("store: identities by contact: %w", err)
		}
		if k, ok := index[cid]; ok {
			out[k].Identities = append(out[k].Identities, i)
		}
	}
	return out, wrap(irows.Err(), "identities by contact")
}

// CountMessages implements inbox.BulkReader.
func (s *SQLite) CountMessages(ctx context.Context) (int64, error) {
	var n int64
	err := one(ctx, s.q(), func(r *sql.Rows) error { return r.Scan(&n) }, `SELECT count(*) FROM messages`)
	return n, wrap(err, "count messages")
}
