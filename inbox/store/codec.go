package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// querier runs a query through a statement cache: the writer's or the read pool's.
type querier interface {
	query(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

type writeQ struct{ s *SQLite }

func (w writeQ) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := w.s.wstmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st.invalidate { // a write with RETURNING, say
		w.s.cache.reset()
	}
	return st.st.QueryContext(ctx, args...)
}

type readQ struct{ s *SQLite }

func (r readQ) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := r.s.rstmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// one runs q and scans its first row with scan; no row is inbox.ErrNotFound.
func one(ctx context.Context, db querier, scan func(*sql.Rows) error, q string, args ...any) error {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return inbox.ErrNotFound
	}
	if err := scan(rows); err != nil {
		return err
	}
	return rows.Close()
}

// all runs q and scans every row with scan.
func all(ctx context.Context, db querier, scan func(*sql.Rows) error, q string, args ...any) error {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}

func nullMicro(t *time.Time) sql.NullInt64 {
	if t == nil || t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func ptrMicro(v sql.NullInt64) *time.Time {
	if !v.Valid || v.Int64 == 0 {
		return nil
	}
	t := time.UnixMicro(v.Int64).UTC()
	return &t
}

func nullID(id int64) sql.NullInt64 {
	return sql.NullInt64{Int64: id, Valid: id != 0}
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}

func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func parseList(s string) []string {
	out := []string{}
	if s == "" || s == "[]" {
		return out
	}
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

// isUnique reports whether err is a unique-constraint violation.
func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// notFound wraps inbox.ErrNotFound with what was looked for.
func notFound(what string, key any) error {
	return fmt.Errorf("store: %s %v: %w", what, key, inbox.ErrNotFound)
}

// wrap prefixes err unless it is nil; ErrNotFound stays detectable.
func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, inbox.ErrNotFound) {
		return fmt.Errorf("store: "+format+": %w", append(args, inbox.ErrNotFound)...)
	}
	return fmt.Errorf("store: "+format+": %w", append(args, err)...)
}

const conversationColumns = `id, channel, account, thread_key, contact_id, subject, status, priority,
	category, language, tension, coalesce(team_id, 0), coalesce(assignee_id, 0), tags, snoozed_until,
	first_response_due, next_response_due, resolution_due, first_response_at, waiting_since,
	last_message_at, resolved_at, message_count, created_at, updated_at, sla_paused_at, sla_paused_seconds`

// scanConversation scans the conversation columns, then extra destinations.
func scanConversation(rows *sql.Rows, c *inbox.Conversation, extra ...any) error {
	var tags string
	var snoozed, frd, nrd, rd, fra, ws, resolved, paused sql.NullInt64
	var last, created, updated int64
	dest := []any{&c.ID, &c.Channel, &c.Account, &c.ThreadKey, &c.ContactID, &c.Subject, &c.Status,
		&c.Priority, &c.Category, &c.Language, &c.Tension, &c.TeamID, &c.AssigneeID, &tags, &snoozed,
		&frd, &nrd, &rd, &fra, &ws, &last, &resolved, &c.MessageCount, &created, &updated, &paused, &c.SLAPausedSeconds}
	err := rows.Scan(append(dest, extra...)...)
	if err != nil {
		return err
	}
	c.Tags = parseList(tags)
	c.SnoozedUntil, c.FirstResponseDue, c.NextResponseDue = ptrMicro(snoozed), ptrMicro(frd), ptrMicro(nrd)
	c.ResolutionDue, c.FirstResponseAt, c.WaitingSince = ptrMicro(rd), ptrMicro(fra), ptrMicro(ws)
	c.ResolvedAt, c.SLAPausedAt = ptrMicro(resolved), ptrMicro(paused)
	c.LastMessageAt, c.CreatedAt, c.UpdatedAt = fromMicro(last), fromMicro(created), fromMicro(updated)
	return nil
}

func getConversation(ctx context.Context, db querier, where string, args ...any) (inbox.Conversation, error) {
	var c inbox.Conversation
	err := one(ctx, db, func(r *sql.Rows) error { return scanConversation(r, &c) },
		`SELECT `+conversationColumns+` FROM conversations WHERE `+where, args...)
	return c, err
}

const messageColumns = `id, conversation_id, kind, channel, coalesce(external_id, ''), coalesce(author_user_id, 0),
	coalesce(contact_id, 0), subject, text, html, delivery_status, delivery_error, auto_submitted, warnings, created_at`

func scanMessage(rows *sql.Rows, m *inbox.Message) error {
	var warnings string
	var created int64
	err := rows.Scan(&m.ID, &m.ConversationID, &m.Kind, &m.Channel, &m.ExternalID, &m.AuthorUserID,
		&m.ContactID, &m.Subject, &m.Text, &m.HTML, &m.DeliveryStatus, &m.DeliveryError, &m.AutoSubmitted,
		&warnings, &created)
	if err != nil {
		return err
	}
	if warnings != "[]" {
		m.Warnings = parseList(warnings)
	}
	m.CreatedAt = fromMicro(created)
	return nil
}

func getMessage(ctx context.Context, db querier, where string, args ...any) (inbox.Message, error) {
	var m inbox.Message
	err := one(ctx, db, func(r *sql.Rows) error { return scanMessage(r, &m) },
		`SELECT `+messageColumns+` FROM messages WHERE `+where, args...)
	return m, err
}

const attachmentColumns = `a.id, a.message_id, a.filename, a.content_type, a.content_id, a.size, a.sha256`

func scanAttachment(rows *sql.Rows, a *inbox.Attachment) error {
	return rows.Scan(&a.ID, &a.MessageID, &a.Filename, &a.ContentType, &a.ContentID, &a.Size, &a.SHA256)
}

const contactColumns = `id, name, language, accessibility, consent, vip, created_at, updated_at`

func scanContact(r *sql.Rows, c *inbox.Contact) error {
	var created, updated int64
	if err := r.Scan(&c.ID, &c.Name, &c.Language, &c.Accessibility, &c.Consent, &c.VIP, &created, &updated); err != nil {
		return err
	}
	c.CreatedAt, c.UpdatedAt = fromMicro(created), fromMicro(updated)
	return nil
}

func getContact(ctx context.Context, db querier, id int64) (inbox.Contact, error) {
	var c inbox.Contact
	err := one(ctx, db, func(r *sql.Rows) error { return scanContact(r, &c) },
		`SELECT `+contactColumns+` FROM contacts WHERE id = ?`, id)
	if err != nil {
		return c, err
	}
	c.Identities = []inbox.Identity{}
	err = all(ctx, db, func(r *sql.Rows) error {
		var i inbox.Identity
		if err := r.Scan(&i.Kind, &i.Value, &i.Name); err != nil {
			return err
		}
		c.Identities = append(c.Identities, i)
		return nil
	}, `SELECT kind, value, name FROM contact_identities WHERE contact_id = ? ORDER BY kind, value`, id)
	return c, err
}

const userColumns = `id, email, name, role, password_hash, languages, disabled, created_at`

func scanUser(r *sql.Rows, u *inbox.User) error {
	var langs string
	var created int64
	if err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &langs, &u.Disabled, &created); err != nil {
		return err
	}
	u.Languages = parseList(langs)
	u.CreatedAt = fromMicro(created)
	return nil
}

func getUser(ctx context.Context, db querier, where string, args ...any) (inbox.User, error) {
	var u inbox.User
	if err := one(ctx, db, func(r *sql.Rows) error { return scanUser(r, &u) },
		`SELECT `+userColumns+` FROM users WHERE `+where, args...); err != nil {
		return u, err
	}
	return u, loadTeams(ctx, db, &u)
}

func loadTeams(ctx context.Context, db querier, u *inbox.User) error {
	u.TeamIDs = []int64{}
	return all(ctx, db, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		u.TeamIDs = append(u.TeamIDs, id)
		return nil
	}, `SELECT team_id FROM user_teams WHERE user_id = ? ORDER BY team_id`, u.ID)
}

func getTeam(ctx context.Context, db querier, where string, args ...any) (inbox.Team, error) {
	var t inbox.Team
	err := one(ctx, db, func(r *sql.Rows) error { return r.Scan(&t.ID, &t.Slug, &t.Name) },
		`SELECT id, slug, name FROM teams WHERE `+where, args...)
	return t, err
}
