package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// SessionByHash implements inbox.SessionReader.
func (s *SQLite) SessionByHash(ctx context.Context, hash []byte, now time.Time) (inbox.Session, inbox.User, error) {
	var sess inbox.Session
	err := one(ctx, s.q(), func(r *sql.Rows) error {
		var created, expires int64
		if err := r.Scan(&sess.UserID, &sess.CSRF, &sess.UserAgent, &created, &expires); err != nil {
			return err
		}
		sess.CreatedAt, sess.ExpiresAt = fromMicro(created), fromMicro(expires)
		return nil
	}, `SELECT user_id, csrf, user_agent, created_at, expires_at FROM sessions WHERE hash = ? AND expires_at > ?`, hash, micro(now))
	if err != nil {
		return sess, inbox.User{}, wrap(err, "session")
	}
	u, err := s.User(ctx, sess.UserID)
	return sess, u, err
}

// UnreadConversations implements inbox.SessionReader.
func (s *SQLite) UnreadConversations(ctx context.Context, q inbox.ConversationQuery, reader int64) (int, error) {
	where, args := conversationFilter(q)
	where = append(where, `EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = conversations.id AND m.kind = 'in'
		AND m.id > coalesce((SELECT last_read_message_id FROM conversation_reads r WHERE r.user_id = ? AND r.conversation_id = conversations.id), 0))`)
	args = append(args, reader)
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM conversations WHERE `+strings.Join(where, ` AND `), args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("store: unread conversations: %w", err)
	}
	return n, nil
}

func (t *tx) CreateSession(ctx context.Context, hash []byte, s inbox.Session) error {
	_, err := t.exec(ctx, `INSERT INTO sessions (hash, user_id, csrf, user_agent, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
		hash, s.UserID, s.CSRF, s.UserAgent, micro(s.CreatedAt), micro(s.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

func (t *tx) DeleteSession(ctx context.Context, hash []byte) error {
	if _, err := t.exec(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

func (t *tx) DeleteSessions(ctx context.Context, userID int64) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("store: delete sessions of %d: %w", userID, err)
	}
	return res.RowsAffected()
}

func (t *tx) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, micro(now))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	return res.RowsAffected()
}

func (t *tx) MarkRead(ctx context.Context, userID, conversationID, messageID int64) error {
	// Only a message of the conversation moves the marker: one from elsewhere, or an id
	// not yet given, would hide the conversation's next messages from the unread count.
	res, err := t.exec(ctx, `INSERT INTO conversation_reads (user_id, conversation_id, last_read_message_id)
		SELECT ?, conversation_id, id FROM messages WHERE id = ? AND conversation_id = ?
		ON CONFLICT (user_id, conversation_id) DO UPDATE SET last_read_message_id = max(last_read_message_id, excluded.last_read_message_id)`,
		userID, messageID, conversationID)
	if err != nil {
		return fmt.Errorf("store: mark read: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("store: mark read: message %d of conversation %d: %w", messageID, conversationID, inbox.ErrNotFound)
	}
	return nil
}
