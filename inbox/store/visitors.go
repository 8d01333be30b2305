package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Visitor implements inbox.VisitorReader.
func (s *SQLite) Visitor(ctx context.Context, site, id string) (inbox.Visitor, error) {
	var v inbox.Visitor
	err := one(ctx, s.q(), func(r *sql.Rows) error {
		var seen, created int64
		if err := r.Scan(&v.Site, &v.ID, &v.Name, &v.Email, &v.Language, &seen, &created); err != nil {
			return err
		}
		v.LastSeenAt, v.CreatedAt = fromMicro(seen), fromMicro(created)
		return nil
	}, `SELECT site, id, name, email, language, last_seen_at, created_at FROM webchat_visitors
		WHERE site = ? AND id = ?`, site, id)
	return v, wrap(err, "visitor")
}

// LatestThreadConversation implements inbox.VisitorReader.
func (s *SQLite) LatestThreadConversation(ctx context.Context, channel, account, threadKey string) (inbox.Conversation, error) {
	c, err := getConversation(ctx, s.q(),
		`channel = ? AND account = ? AND thread_key = ? AND thread_key <> '' ORDER BY id DESC LIMIT 1`,
		channel, account, threadKey)
	return c, wrap(err, "conversation by thread")
}

// ContactMessagesAfter implements inbox.VisitorReader.
func (s *SQLite) ContactMessagesAfter(ctx context.Context, conversationID, after int64, limit int) ([]inbox.Message, error) {
	out, index, err := s.messages(ctx, `SELECT `+messageColumns+` FROM messages WHERE conversation_id = ? AND id > ? AND kind IN ('in', 'out')
		ORDER BY id LIMIT ?`, conversationID, after, limit)
	if err != nil || len(out) == 0 {
		return out, wrap(err, "messages of %d after %d", conversationID, after)
	}
	err = s.attach(ctx, out, index, `SELECT `+attachmentColumns+` FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE m.conversation_id = ? AND m.id > ? AND m.id <= ? ORDER BY a.id`, conversationID, after, out[len(out)-1].ID)
	return out, wrap(err, "attachments of %d", conversationID)
}

// Attachment implements inbox.VisitorReader.
func (s *SQLite) Attachment(ctx context.Context, id int64) (inbox.Attachment, int64, inbox.MessageKind, error) {
	var a inbox.Attachment
	var conv int64
	var kind inbox.MessageKind
	err := one(ctx, s.q(), func(r *sql.Rows) error {
		return r.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.ContentID, &a.Size, &a.SHA256, &conv, &kind)
	}, `SELECT `+attachmentColumns+`, m.conversation_id, m.kind FROM attachments a
		JOIN messages m ON m.id = a.message_id WHERE a.id = ?`, id)
	return a, conv, kind, wrap(err, "attachment %d", id)
}

// DueVisitorEmails implements inbox.VisitorReader.
func (s *SQLite) DueVisitorEmails(ctx context.Context, now time.Time, limit int) ([]inbox.VisitorEmail, error) {
	var out []inbox.VisitorEmail
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var e inbox.VisitorEmail
		var due int64
		if err := r.Scan(&e.MessageID, &e.Site, &e.VisitorID, &due); err != nil {
			return err
		}
		e.DueAt = fromMicro(due)
		out = append(out, e)
		return nil
	}, `SELECT message_id, site, visitor_id, due_at FROM webchat_email_queue WHERE due_at <= ?
		ORDER BY due_at, message_id LIMIT ?`, micro(now), limit)
	return out, wrap(err, "due visitor emails")
}

func (t *tx) SaveVisitor(ctx context.Context, v *inbox.Visitor) error {
	_, err := t.exec(ctx, `INSERT INTO webchat_visitors (site, id, name, email, language, last_seen_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (site, id) DO UPDATE SET
			name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE name END,
			email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE email END,
			language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE language END,
			last_seen_at = max(last_seen_at, excluded.last_seen_at)`,
		v.Site, v.ID, v.Name, v.Email, v.Language, micro(v.LastSeenAt), micro(v.CreatedAt))
	return wrap(err, "save visitor")
}

func (t *tx) QueueVisitorEmail(ctx context.Context, e inbox.VisitorEmail) error {
	_, err := t.exec(ctx, `INSERT INTO webchat_email_queue (message_id, site, visitor_id, due_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING`, e.MessageID, e.Site, e.VisitorID, micro(e.DueAt))
	return wrap(err, "queue visitor email %d", e.MessageID)
}

func (t *tx) DeleteVisitorEmails(ctx context.Context, site, visitorID string, upTo int64) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM webchat_email_queue WHERE site = ? AND visitor_id = ? AND message_id <= ?`,
		site, visitorID, upTo)
	if err != nil {
		return 0, wrap(err, "delete visitor emails")
	}
	n, err := res.RowsAffected()
	return n, wrap(err, "delete visitor emails")
}
