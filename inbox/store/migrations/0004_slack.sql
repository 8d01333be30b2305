-- Slack (issue 5). Times are Unix microseconds (UTC).

-- Events API deliveries, stored before Slack is acknowledged and processed afterwards.
-- The primary key is Slack's event_id: a retry of a stored event is a no-op, a retry of
-- one whose first delivery failed before this insert is stored and processed.
CREATE TABLE slack_events (
    event_id        TEXT    PRIMARY KEY,
    team_id         TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    received_at     INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    done_at         INTEGER,
    last_error      TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX slack_events_pending ON slack_events (next_attempt_at) WHERE done_at IS NULL;

-- One Slack thread per mirrored conversation (agent-surface and notify modes).
CREATE TABLE slack_threads (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    team_id         TEXT    NOT NULL,
    channel_id      TEXT    NOT NULL,
    thread_ts       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    UNIQUE (team_id, channel_id, thread_ts)
);

-- Which inbox message is which Slack message in a mirror thread: messages posted by the
-- hub, and thread messages turned into notes or replies. Either key is unique, which is
-- what makes both directions idempotent and keeps the mirror from echoing.
CREATE TABLE slack_messages (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    team_id    TEXT    NOT NULL,
    channel_id TEXT    NOT NULL,
    ts         TEXT    NOT NULL,
    UNIQUE (team_id, channel_id, ts)
);
