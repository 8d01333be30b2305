-- Agent web sessions and per-user read markers (the agent web app).

-- A browser session: the cookie holds a random secret; only its SHA-256 is stored.
CREATE TABLE sessions (
    hash         BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf         TEXT    NOT NULL,
    user_agent   TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- How far each user has read each conversation: unread counts are the inbound messages
-- after last_read_message_id.
CREATE TABLE conversation_reads (
    user_id              INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    conversation_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    last_read_message_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, conversation_id)
) WITHOUT ROWID;
CREATE INDEX conversation_reads_conversation ON conversation_reads (conversation_id);

-- Snoozed conversations are woken when their time comes.
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE status = 'snoozed';
