-- Phone messages taken for absent colleagues (prise de messages), and the notifications
-- sent about them. Times are Unix microseconds (UTC); NULL means unset.

CREATE TABLE phone_messages (
    id                 INTEGER PRIMARY KEY,
    author_user_id     INTEGER NOT NULL REFERENCES users (id),
    recipient_user_id  INTEGER REFERENCES users (id),
    recipient_team_id  INTEGER REFERENCES teams (id),
    caller_name        TEXT    NOT NULL DEFAULT '',
    organisation       TEXT    NOT NULL DEFAULT '',
    phone              TEXT    NOT NULL DEFAULT '',
    email              TEXT    NOT NULL DEFAULT '',
    contact_id         INTEGER REFERENCES contacts (id) ON DELETE SET NULL,
    conversation_id    INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    subject            TEXT    NOT NULL,
    text               TEXT    NOT NULL DEFAULT '',
    urgency            TEXT    NOT NULL CHECK (urgency IN ('low', 'normal', 'urgent')),
    callback_requested INTEGER NOT NULL DEFAULT 0,
    callback_before    INTEGER,
    acknowledged_at    INTEGER,
    acknowledged_by    INTEGER REFERENCES users (id),
    callback_done_at   INTEGER,
    callback_done_by   INTEGER REFERENCES users (id),
    callback_note      TEXT    NOT NULL DEFAULT '',
    overdue_at         INTEGER,
    idempotency_key    TEXT,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    -- A message is for one user or for one team, never both.
    CHECK ((recipient_user_id IS NULL) <> (recipient_team_id IS NULL))
);
CREATE INDEX phone_messages_recipient_user ON phone_messages (recipient_user_id, id) WHERE recipient_user_id IS NOT NULL;
CREATE INDEX phone_messages_recipient_team ON phone_messages (recipient_team_id, id) WHERE recipient_team_id IS NOT NULL;
CREATE INDEX phone_messages_author ON phone_messages (author_user_id, id);
CREATE INDEX phone_messages_contact ON phone_messages (contact_id) WHERE contact_id IS NOT NULL;
CREATE INDEX phone_messages_conversation ON phone_messages (conversation_id) WHERE conversation_id IS NOT NULL;
-- Callbacks still to do, by due time: the overdue sweep and the overdue list.
CREATE INDEX phone_messages_due ON phone_messages (callback_before)
    WHERE callback_requested = 1 AND callback_done_at IS NULL AND callback_before IS NOT NULL;
-- Creation is idempotent per author and key.
CREATE UNIQUE INDEX phone_messages_key ON phone_messages (author_user_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- One row per (message, user, channel, kind): the notifier skips what it already sent
-- when an event is delivered again.
CREATE TABLE phone_message_notifications (
    phone_message_id INTEGER NOT NULL REFERENCES phone_messages (id) ON DELETE CASCADE,
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    channel          TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('sent', 'failed')),
    error            TEXT    NOT NULL DEFAULT '',
    at               INTEGER NOT NULL,
    PRIMARY KEY (phone_message_id, user_id, channel, kind)
) WITHOUT ROWID;
