package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// tx is the inbox.Tx handed to Write functions; it runs on the writer connection inside
// the current batch's transaction.
type tx struct{ s *SQLite }

var _ inbox.Tx = (*tx)(nil)

func (t *tx) q() querier { return writeQ{t.s} }

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.s.exec(ctx, q, args...)
}

func (t *tx) MessageByExternalID(ctx context.Context, channel, externalID string) (inbox.Message, error) {
	m, err := getMessage(ctx, t.q(), `channel = ? AND external_id = ?`, channel, externalID)
	return m, wrap(err, "message %s/%s", channel, "(external id)")
}

func (t *tx) Message(ctx context.Context, id int64) (inbox.Message, error) {
	m, err := getMessage(ctx, t.q(), `id = ?`, id)
	return m, wrap(err, "message %d", id)
}

func (t *tx) ConversationByExternalIDs(ctx context.Context, channel string, ids []string) (inbox.Conversation, error) {
	for _, id := range ids {
		if id == "" {
			continue
		}
		c, err := getConversation(ctx, t.q(),
			`id = (SELECT conversation_id FROM messages WHERE channel = ? AND external_id = ?)`, channel, id)
		if err == nil {
			t.s.cache.putConversation(c)
			return c, nil
		}
		if !isNotFound(err) {
			return c, wrap(err, "conversation by reference")
		}
	}
	return inbox.Conversation{}, notFound("conversation by reference", len(ids))
}

func (t *tx) LatestConversationByThread(ctx context.Context, channel, account, threadKey string) (inbox.Conversation, error) {
	if threadKey != "" {
		if c, ok := t.s.cache.thread(channel, account, threadKey); ok {
			return c, nil
		}
	}
	c, err := getConversation(ctx, t.q(),
		`channel = ? AND account = ? AND thread_key = ? AND thread_key <> '' ORDER BY id DESC LIMIT 1`,
		channel, account, threadKey)
	if err == nil {
		t.s.cache.putConversation(c)
		t.s.cache.putThread(channel, account, threadKey, c.ID)
	}
	return c, wrap(err, "conversation by thread")
}

func (t *tx) Conversation(ctx context.Context, id int64) (inbox.Conversation, error) {
	if c, ok := t.s.cache.conversation(id); ok {
		return c, nil
	}
	c, err := getConversation(ctx, t.q(), `id = ?`, id)
	if err == nil {
		t.s.cache.putConversation(c)
	}
	return c, wrap(err, "conversation %d", id)
}

func (t *tx) ContactByIdentity(ctx context.Context, id inbox.Identity) (inbox.Contact, error) {
	if c, ok := t.s.cache.contact(id.Kind, id.Value); ok {
		return c, nil
	}
	var c inbox.Contact
	err := one(ctx, t.q(), func(r *sql.Rows) error { return scanContact(r, &c) },
		`SELECT `+contactColumns+` FROM contacts WHERE id = (SELECT contact_id FROM contact_identities WHERE kind = ? AND value = ?)`,
		string(id.Kind), id.Value)
	if err == nil {
		t.s.cache.putContact(id.Kind, id.Value, c)
	}
	return c, wrap(err, "contact by %s identity", id.Kind)
}

func (t *tx) CreateContact(ctx context.Context, c *inbox.Contact) error {
	// execKeep: a new row changes no cached one.
	id, err := t.newID(ctx, "contacts")
	if err != nil {
		return err
	}
	res, err := t.s.execKeep(ctx, `INSERT INTO contacts (id, name, language, accessibility, consent, vip, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, c.Name, c.Language, c.Accessibility, c.Consent, c.VIP, micro(c.CreatedAt), micro(c.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: create contact: %w", err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("store: create contact: %w", err)
	}
	t.idTaken("contacts")
	for _, id := range c.Identities {
		if err := t.AddIdentity(ctx, c.ID, id); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) AddIdentity(ctx context.Context, contactID int64, id inbox.Identity) error {
	// execKeep: the identity is new (unique), so no cached identity maps elsewhere.
	_, err := t.s.execKeep(ctx, `INSERT INTO contact_identities (kind, value, contact_id, name) VALUES (?, ?, ?, ?)`,
		string(id.Kind), id.Value, contactID, id.Name)
	if isUnique(err) {
		return fmt.Errorf("store: add %s identity: %w", id.Kind, inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: add %s identity: %w", id.Kind, err)
	}
	return nil
}

func (t *tx) CreateConversation(ctx context.Context, c *inbox.Conversation) error {
	// execKeep: a new row changes no cached one; the thread now points to it.
	id, err := t.newID(ctx, "conversations")
	if err != nil {
		return err
	}
	res, err := t.s.execKeep(ctx, `INSERT INTO conversations (id, channel, account, thread_key, contact_id, subject, status,
		priority, category, language, tension, team_id, assignee_id, tags, snoozed_until, first_response_due,
		next_response_due, resolution_due, first_response_at, waiting_since, last_message_at, resolved_at,
		message_count, created_at, updated_at, sla_paused_at, sla_paused_seconds)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, c.Channel, c.Account, c.ThreadKey, c.ContactID, c.Subject, string(c.Status), c.Priority, c.Category,
		c.Language, c.Tension, nullID(c.TeamID), nullID(c.AssigneeID), jsonList(c.Tags), nullMicro(c.SnoozedUntil),
		nullMicro(c.FirstResponseDue), nullMicro(c.NextResponseDue), nullMicro(c.ResolutionDue),
		nullMicro(c.FirstResponseAt), nullMicro(c.WaitingSince), micro(c.LastMessageAt), nullMicro(c.ResolvedAt),
		c.MessageCount, micro(c.CreatedAt), micro(c.UpdatedAt), nullMicro(c.SLAPausedAt), c.SLAPausedSeconds)
	if err != nil {
		return fmt.Errorf("store: create conversation: %w", err)
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("store: create conversation: %w", err)
	}
	t.idTaken("conversations")
	// The new conversation is its thread's newest; its row is read on first use.
	t.s.cache.dropThread(c.Channel, c.Account, c.ThreadKey)
	return nil
}

func (t *tx) UpdateConversation(ctx context.Context, c *inbox.Conversation) error {
	res, err := t.s.execKeep(ctx, `UPDATE conversations SET subject = ?, status = ?, priority = ?, category = ?,
		language = ?, tension = ?, team_id = ?, assignee_id = ?, tags = ?, snoozed_until = ?, first_response_due = ?,
		next_response_due = ?, resolution_due = ?, first_response_at = ?, waiting_since = ?, last_message_at = ?,
		resolved_at = ?, message_count = ?, updated_at = ?, sla_paused_at = ?, sla_paused_seconds = ? WHERE id = ?`,
		c.Subject, string(c.Status), c.Priority, c.Category, c.Language, c.Tension, nullID(c.TeamID),
		nullID(c.AssigneeID), jsonList(c.Tags), nullMicro(c.SnoozedUntil), nullMicro(c.FirstResponseDue),
		nullMicro(c.NextResponseDue), nullMicro(c.ResolutionDue), nullMicro(c.FirstResponseAt),
		nullMicro(c.WaitingSince), micro(c.LastMessageAt), nullMicro(c.ResolvedAt), c.MessageCount,
		micro(c.UpdatedAt), nullMicro(c.SLAPausedAt), c.SLAPausedSeconds, c.ID)
	if err != nil {
		return fmt.Errorf("store: update conversation %d: %w", c.ID, err)
	}
	t.s.cache.updated(c)
	return mustAffect(res, "conversation", c.ID)
}

func (t *tx) UpdateActivity(ctx context.Context, c *inbox.Conversation) error {
	res, err := t.s.execKeep(ctx, `UPDATE conversations SET waiting_since = ?, first_response_at = ?, last_message_at = ?,
		message_count = ?, updated_at = ? WHERE id = ?`,
		nullMicro(c.WaitingSince), nullMicro(c.FirstResponseAt), micro(c.LastMessageAt), c.MessageCount, micro(c.UpdatedAt), c.ID)
	if err != nil {
		return fmt.Errorf("store: update activity of conversation %d: %w", c.ID, err)
	}
	t.s.cache.activity(c)
	return mustAffect(res, "conversation", c.ID)
}

func (t *tx) CreateMessage(ctx context.Context, m *inbox.Message) error {
	id, err := t.newID(ctx, "messages")
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `INSERT INTO messages (id, conversation_id, kind, channel, external_id, author_user_id,
		contact_id, subject, text, html, delivery_status, delivery_error, auto_submitted, warnings, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, m.ConversationID, string(m.Kind), m.Channel, nullString(m.ExternalID), nullID(m.AuthorUserID),
		nullID(m.ContactID), m.Subject, m.Text, m.HTML, m.DeliveryStatus, m.DeliveryError, m.AutoSubmitted,
		jsonList(m.Warnings), micro(m.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: create message: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create message: %w", err)
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("store: create message: %w", err)
	}
	t.idTaken("messages")
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.MessageID = m.ID
		aid, err := t.newID(ctx, "attachments")
		if err != nil {
			return err
		}
		res, err := t.exec(ctx, `INSERT INTO attachments (id, message_id, filename, content_type, content_id, size, sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, aid, a.MessageID, a.Filename, a.ContentType, a.ContentID, a.Size, a.SHA256)
		if err != nil {
			return fmt.Errorf("store: create attachment: %w", err)
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: create attachment: %w", err)
		}
		t.idTaken("attachments")
	}
	return nil
}

func (t *tx) UpdateDelivery(ctx context.Context, messageID int64, status, externalID, errText string) error {
	res, err := t.exec(ctx, `UPDATE messages SET delivery_status = ?, delivery_error = ?,
		external_id = coalesce(?, external_id) WHERE id = ? AND kind = 'out'`,
		status, errText, nullString(externalID), messageID)
	if isUnique(err) {
		return fmt.Errorf("store: update delivery of %d: %w", messageID, inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: update delivery of %d: %w", messageID, err)
	}
	return mustAffect(res, "outbound message", messageID)
}

func (t *tx) AddEvent(ctx context.Context, e *inbox.Event) error {
	data := string(e.Data)
	if data == "" {
		data = "{}"
	}
	id, err := t.newID(ctx, "events")
	if err != nil {
		return err
	}
	res, err := t.exec(ctx, `INSERT INTO events (id, conversation_id, type, actor_user_id, data, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, e.ConversationID, e.Type, nullID(e.ActorUserID), data, micro(e.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: add event: %w", err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	t.idTaken("events")
	return nil
}

func (t *tx) AddOutbox(ctx context.Context, r inbox.OutboxRecord) (uint64, error) {
	res, err := t.exec(ctx, `INSERT INTO outbox (stream, type, payload, created_at) VALUES (?, ?, ?, ?)`,
		r.Stream, r.Type, r.Payload, micro(r.CreatedAt))
	if err != nil {
		return 0, fmt.Errorf("store: add outbox: %w", err)
	}
	id, err := res.LastInsertId()
	return uint64(id), err
}

func (t *tx) TeamBySlug(ctx context.Context, slug string) (inbox.Team, error) {
	tm, err := getTeam(ctx, t.q(), `slug = ?`, slug)
	return tm, wrap(err, "team %s", slug)
}

func (t *tx) CreateTeam(ctx context.Context, tm *inbox.Team) error {
	res, err := t.exec(ctx, `INSERT INTO teams (slug, name) VALUES (?, ?)`, tm.Slug, tm.Name)
	if isUnique(err) {
		return fmt.Errorf("store: create team %s: %w", tm.Slug, inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create team %s: %w", tm.Slug, err)
	}
	tm.ID, err = res.LastInsertId()
	return err
}

func (t *tx) UserByEmail(ctx context.Context, email string) (inbox.User, error) {
	u, err := getUser(ctx, t.q(), `email = ?`, email)
	return u, wrap(err, "user %s", email)
}

func (t *tx) UserByID(ctx context.Context, id int64) (inbox.User, error) {
	u, err := getUser(ctx, t.q(), `id = ?`, id)
	return u, wrap(err, "user %d", id)
}

func (t *tx) CreateUser(ctx context.Context, u *inbox.User) error {
	res, err := t.exec(ctx, `INSERT INTO users (email, name, role, password_hash, languages, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Email, u.Name, string(u.Role), u.PasswordHash, jsonList(u.Languages),
		u.Disabled, micro(u.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: create user: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: create user: %w", err)
	}
	if u.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return t.setTeams(ctx, u)
}

func (t *tx) UpdateUser(ctx context.Context, u *inbox.User) error {
	res, err := t.exec(ctx, `UPDATE users SET name = ?, role = ?, password_hash = ?, languages = ?, disabled = ? WHERE id = ?`,
		u.Name, string(u.Role), u.PasswordHash, jsonList(u.Languages), u.Disabled, u.ID)
	if err != nil {
		return fmt.Errorf("store: update user %d: %w", u.ID, err)
	}
	if err := mustAffect(res, "user", u.ID); err != nil {
		return err
	}
	return t.setTeams(ctx, u)
}

func (t *tx) setTeams(ctx context.Context, u *inbox.User) error {
	if _, err := t.exec(ctx, `DELETE FROM user_teams WHERE user_id = ?`, u.ID); err != nil {
		return fmt.Errorf("store: teams of user %d: %w", u.ID, err)
	}
	for _, id := range u.TeamIDs {
		if _, err := t.exec(ctx, `INSERT OR IGNORE INTO user_teams (user_id, team_id) VALUES (?, ?)`, u.ID, id); err != nil {
			return fmt.Errorf("store: teams of user %d: %w", u.ID, err)
		}
	}
	return nil
}

func (t *tx) CreateToken(ctx context.Context, tk *inbox.APIToken, hash []byte) error {
	res, err := t.exec(ctx, `INSERT INTO api_tokens (user_id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		tk.UserID, tk.Name, tk.Prefix, hash, micro(tk.CreatedAt))
	if err != nil {
		return fmt.Errorf("store: create token: %w", err)
	}
	tk.ID, err = res.LastInsertId()
	return err
}

func (t *tx) RevokeTokens(ctx context.Context, userID int64, prefix string, at time.Time) (int64, error) {
	res, err := t.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL
		AND (? = '' OR prefix = ?)`, micro(at), userID, prefix, prefix)
	if err != nil {
		return 0, fmt.Errorf("store: revoke tokens: %w", err)
	}
	return res.RowsAffected()
}

func mustAffect(res sql.Result, what string, id int64) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: %s %d: %w", what, id, err)
	}
	if n == 0 {
		return notFound(what, id)
	}
	return nil
}

func isNotFound(err error) bool { return errors.Is(err, inbox.ErrNotFound) }
