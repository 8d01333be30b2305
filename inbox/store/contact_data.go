package store

import (
	"context"
	"database/sql"
	"slices"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// ContactIDByIdentity implements inbox.ContactDataReader.
func (s *SQLite) ContactIDByIdentity(ctx context.Context, id inbox.Identity) (int64, error) {
	var cid int64
	err := one(ctx, s.q(), func(r *sql.Rows) error { return r.Scan(&cid) },
		`SELECT contact_id FROM contact_identities WHERE kind = ? AND value = ?`, string(id.Kind), id.Value)
	return cid, wrap(err, "contact by %s identity", id.Kind)
}

// ContactConversationIDs implements inbox.ContactDataReader.
func (s *SQLite) ContactConversationIDs(ctx context.Context, contactID int64) ([]int64, error) {
	out := []int64{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var id int64
		out = append(out, id)
		return r.Scan(&out[len(out)-1])
	}, `SELECT id FROM conversations WHERE contact_id = ? ORDER BY id`, contactID)
	return out, wrap(err, "conversations of contact %d", contactID)
}

// ContactVisitors implements inbox.ContactDataReader.
func (s *SQLite) ContactVisitors(ctx context.Context, contactID int64) ([]inbox.Visitor, error) {
	out := []inbox.Visitor{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var v inbox.Visitor
		var seen, created int64
		if err := r.Scan(&v.Site, &v.ID, &v.Name, &v.Email, &v.Language, &seen, &created); err != nil {
			return err
		}
		v.LastSeenAt, v.CreatedAt = fromMicro(seen), fromMicro(created)
		out = append(out, v)
		return nil
	}, `SELECT site, id, name, email, language, last_seen_at, created_at FROM webchat_visitors
		WHERE id IN (SELECT value FROM contact_identities WHERE contact_id = ? AND kind = ?) ORDER BY created_at`,
		contactID, string(channels.KindVisitor))
	return out, wrap(err, "visitors of contact %d", contactID)
}

// AuditEntries implements inbox.ContactDataReader.
func (s *SQLite) AuditEntries(ctx context.Context, q inbox.AuditQuery) ([]inbox.AuditEntry, error) {
	where, args := `1 = 1`, []any{}
	if q.Action != "" {
		where, args = where+` AND action = ?`, append(args, q.Action)
	}
	if q.Object != "" {
		where, args = where+` AND object = ?`, append(args, q.Object)
	}
	if q.BeforeID > 0 {
		where, args = where+` AND id < ?`, append(args, q.BeforeID)
	}
	out := []inbox.AuditEntry{}
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var e inbox.AuditEntry
		var at int64
		var actor sql.NullInt64
		if err := r.Scan(&e.ID, &at, &actor, &e.Actor, &e.Action, &e.Object, &e.Reason, &e.Detail); err != nil {
			return err
		}
		e.At, e.ActorUserID = fromMicro(at), actor.Int64
		out = append(out, e)
		return nil
	}, `SELECT id, at, actor_user_id, actor, action, object, reason, detail FROM audit_log WHERE `+where+
		` ORDER BY id DESC LIMIT ?`, append(args, q.Limit)...)
	return out, wrap(err, "audit log")
}

func (t *tx) AddAudit(ctx context.Context, e *inbox.AuditEntry) error {
	actor := sql.NullInt64{Int64: e.ActorUserID, Valid: e.ActorUserID != 0}
	res, err := t.exec(ctx, `INSERT INTO audit_log (at, actor_user_id, actor, action, object, reason, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, micro(e.At), actor, e.Actor, e.Action, e.Object, e.Reason, e.Detail)
	if err != nil {
		return wrap(err, "add audit entry")
	}
	e.ID, err = res.LastInsertId()
	return wrap(err, "add audit entry")
}

// EraseContact implements inbox.ContactDataTx. The conversations' dependent rows
// (messages, attachments, events, routing state, handoffs, SLA events, read markers,
// Slack links, queued visitor emails) go by ON DELETE CASCADE.
func (t *tx) EraseContact(ctx context.Context, id int64) (inbox.Erasure, error) {
	e := inbox.Erasure{ContactID: id}
	count := func(dst *int64, q string) error {
		return one(ctx, t.q(), func(r *sql.Rows) error { return r.Scan(dst) }, q, id)
	}
	var exists int64
	if err := count(&exists, `SELECT count(*) FROM contacts WHERE id = ?`); err != nil {
		return e, wrap(err, "erase contact %d", id)
	}
	if exists == 0 {
		return e, wrap(inbox.ErrNotFound, "erase contact %d", id)
	}
	const ofContact = `(SELECT id FROM conversations WHERE contact_id = ?)`
	for _, c := range []struct {
		dst *int64
		q   string
	}{
		{&e.Conversations, `SELECT count(*) FROM conversations WHERE contact_id = ?`},
		{&e.Messages, `SELECT count(*) FROM messages WHERE conversation_id IN ` + ofContact},
		{&e.Attachments, `SELECT count(*) FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE conversation_id IN ` + ofContact + `)`},
	} {
		if err := count(c.dst, c.q); err != nil {
			return e, wrap(err, "erase contact %d", id)
		}
	}
	var sums []string
	err := all(ctx, t.q(), func(r *sql.Rows) error {
		var s string
		if err := r.Scan(&s); err != nil {
			return err
		}
		sums = append(sums, s)
		return nil
	}, `SELECT DISTINCT sha256 FROM attachments WHERE message_id IN (SELECT id FROM messages WHERE conversation_id IN `+ofContact+`)`, id)
	if err != nil {
		return e, wrap(err, "erase contact %d: attachments", id)
	}
	if err := t.keepIDFloors(ctx); err != nil {
		return e, wrap(err, "erase contact %d", id)
	}
	deletes := []struct {
		n *int64
		q string
	}{
		{&e.Visitors, `DELETE FROM webchat_visitors WHERE id IN (SELECT value FROM contact_identities WHERE contact_id = ? AND kind = 'visitor')`},
		{&e.PhoneMessages, `DELETE FROM phone_messages WHERE contact_id = ?`},
		{nil, `DELETE FROM conversations WHERE contact_id = ?`},
		// What the contact wrote in other contacts' conversations stays with them.
		{nil, `UPDATE messages SET contact_id = NULL WHERE contact_id = ?`},
		{nil, `DELETE FROM contacts WHERE id = ?`},
	}
	for _, d := range deletes {
		res, err := t.exec(ctx, d.q, id)
		if err != nil {
			return e, wrap(err, "erase contact %d", id)
		}
		if d.n != nil {
			if *d.n, err = res.RowsAffected(); err != nil {
				return e, wrap(err, "erase contact %d", id)
			}
		}
	}
	if len(sums) > 0 {
		still := map[string]bool{}
		err := all(ctx, t.q(), func(r *sql.Rows) error {
			var s string
			if err := r.Scan(&s); err != nil {
				return err
			}
			still[s] = true
			return nil
		}, `SELECT DISTINCT sha256 FROM attachments WHERE sha256 IN (`+placeholders(len(sums))+`)`, anys(sums)...)
		if err != nil {
			return e, wrap(err, "erase contact %d: attachments", id)
		}
		e.Blobs = slices.DeleteFunc(sums, func(s string) bool { return still[s] })
	}
	return e, nil
}
