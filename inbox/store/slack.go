package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// PendingSlackEvents implements inbox.SlackReader.
func (s *SQLite) PendingSlackEvents(ctx context.Context, now time.Time, limit int) ([]inbox.SlackEvent, error) {
	var out []inbox.SlackEvent
	err := all(ctx, s.q(), func(r *sql.Rows) error {
		var e inbox.SlackEvent
		var received, next int64
		if err := r.Scan(&e.EventID, &e.TeamID, &e.Body, &received, &e.Attempts, &next, &e.LastError); err != nil {
			return err
		}
		e.ReceivedAt, e.NextAttemptAt = fromMicro(received), fromMicro(next)
		out = append(out, e)
		return nil
	}, `SELECT event_id, team_id, body, received_at, attempts, next_attempt_at, last_error FROM slack_events
		WHERE done_at IS NULL AND next_attempt_at <= ? ORDER BY received_at, event_id LIMIT ?`, micro(now), limit)
	return out, wrap(err, "pending slack events")
}

const slackThreadColumns = `conversation_id, team_id, channel_id, thread_ts, created_at`

func getSlackThread(ctx context.Context, db querier, where string, args ...any) (inbox.SlackThread, error) {
	var t inbox.SlackThread
	err := one(ctx, db, func(r *sql.Rows) error {
		var created int64
		if err := r.Scan(&t.ConversationID, &t.TeamID, &t.ChannelID, &t.ThreadTS, &created); err != nil {
			return err
		}
		t.CreatedAt = fromMicro(created)
		return nil
	}, `SELECT `+slackThreadColumns+` FROM slack_threads WHERE `+where, args...)
	return t, err
}

// SlackThreadByConversation implements inbox.SlackReader.
func (s *SQLite) SlackThreadByConversation(ctx context.Context, conversationID int64) (inbox.SlackThread, error) {
	t, err := getSlackThread(ctx, s.q(), `conversation_id = ?`, conversationID)
	return t, wrap(err, "slack thread of conversation %d", conversationID)
}

// SlackThreadByTS implements inbox.SlackReader.
func (s *SQLite) SlackThreadByTS(ctx context.Context, teamID, channelID, threadTS string) (inbox.SlackThread, error) {
	t, err := getSlackThread(ctx, s.q(), `team_id = ? AND channel_id = ? AND thread_ts = ?`, teamID, channelID, threadTS)
	return t, wrap(err, "slack thread %s/%s/%s", teamID, channelID, threadTS)
}

// SlackMessageByID implements inbox.SlackReader.
func (s *SQLite) SlackMessageByID(ctx context.Context, messageID int64) (inbox.SlackMessage, error) {
	var m inbox.SlackMessage
	err := one(ctx, s.q(), func(r *sql.Rows) error { return r.Scan(&m.MessageID, &m.TeamID, &m.ChannelID, &m.TS) },
		`SELECT message_id, team_id, channel_id, ts FROM slack_messages WHERE message_id = ?`, messageID)
	return m, wrap(err, "slack message of %d", messageID)
}

func (t *tx) AddSlackEvent(ctx context.Context, e inbox.SlackEvent) error {
	next := e.NextAttemptAt
	if next.IsZero() {
		next = e.ReceivedAt
	}
	_, err := t.exec(ctx, `INSERT INTO slack_events (event_id, team_id, body, received_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)`,
		e.EventID, e.TeamID, e.Body, micro(e.ReceivedAt), micro(next))
	if isUnique(err) {
		return fmt.Errorf("store: add slack event: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: add slack event: %w", err)
	}
	return nil
}

func (t *tx) FinishSlackEvent(ctx context.Context, id string, at time.Time, errText string) error {
	res, err := t.exec(ctx, `UPDATE slack_events SET done_at = ?, last_error = ? WHERE event_id = ? AND done_at IS NULL`,
		micro(at), errText, id)
	if err != nil {
		return fmt.Errorf("store: finish slack event: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	var done sql.NullInt64
	err = one(ctx, t.q(), func(r *sql.Rows) error { return r.Scan(&done) },
		`SELECT done_at FROM slack_events WHERE event_id = ?`, id)
	if err != nil {
		return wrap(err, "finish slack event")
	}
	return fmt.Errorf("store: finish slack event: already done: %w", inbox.ErrDuplicate)
}

func (t *tx) RetrySlackEvent(ctx context.Context, id string, next time.Time, errText string) error {
	res, err := t.exec(ctx, `UPDATE slack_events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
		WHERE event_id = ? AND done_at IS NULL`, micro(next), errText, id)
	if err != nil {
		return fmt.Errorf("store: retry slack event: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("store: retry slack event: %w", err)
	}
	if n == 0 {
		return notFound("pending slack event", "(id)")
	}
	return nil
}

func (t *tx) PurgeSlackEvents(ctx context.Context, before time.Time) (int64, error) {
	res, err := t.exec(ctx, `DELETE FROM slack_events WHERE done_at IS NOT NULL AND done_at < ?`, micro(before))
	if err != nil {
		return 0, fmt.Errorf("store: purge slack events: %w", err)
	}
	return res.RowsAffected()
}

func (t *tx) AddSlackThread(ctx context.Context, th inbox.SlackThread) error {
	_, err := t.exec(ctx, `INSERT INTO slack_threads (`+slackThreadColumns+`) VALUES (?, ?, ?, ?, ?)`,
		th.ConversationID, th.TeamID, th.ChannelID, th.ThreadTS, micro(th.CreatedAt))
	if isUnique(err) {
		return fmt.Errorf("store: add slack thread: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: add slack thread: %w", err)
	}
	return nil
}

func (t *tx) AddSlackMessage(ctx context.Context, m inbox.SlackMessage) error {
	_, err := t.exec(ctx, `INSERT INTO slack_messages (message_id, team_id, channel_id, ts) VALUES (?, ?, ?, ?)`,
		m.MessageID, m.TeamID, m.ChannelID, m.TS)
	if isUnique(err) {
		return fmt.Errorf("store: add slack message: %w", inbox.ErrDuplicate)
	}
	if err != nil {
		return fmt.Errorf("store: add slack message: %w", err)
	}
	return nil
}
