-- Website chat: visitors and replies waiting to be forwarded by email.

-- A visitor of one site. id is a one-way hash of the visitor's secret token (the token is
-- never stored); it is also the contact identity and the thread key of its conversations.
CREATE TABLE webchat_visitors (
    site         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    email        TEXT    NOT NULL DEFAULT '',
    language     TEXT    NOT NULL DEFAULT '',
    last_seen_at INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (site, id)
) WITHOUT ROWID;

-- Agent replies written while the visitor was away: forwarded by email at due_at unless
-- the visitor came back to the chat and saw them first.
CREATE TABLE webchat_email_queue (
    message_id INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    site       TEXT    NOT NULL,
    visitor_id TEXT    NOT NULL,
    due_at     INTEGER NOT NULL
);
CREATE INDEX webchat_email_queue_due ON webchat_email_queue (due_at);
CREATE INDEX webchat_email_queue_visitor ON webchat_email_queue (site, visitor_id, message_id);

-- Replay of a conversation's messages after a sequence number (the message id).
CREATE INDEX IF NOT EXISTS messages_conversation_id ON messages (conversation_id, id);
