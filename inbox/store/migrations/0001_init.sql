-- Frontdesk schema, version 1. Times are Unix microseconds (UTC); 0 or NULL means unset.

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('agent', 'supervisor', 'admin')),
    password_hash TEXT    NOT NULL DEFAULT '',
    languages     TEXT    NOT NULL DEFAULT '[]',
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE user_teams (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, team_id)
) WITHOUT ROWID;

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    hash         BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE contacts (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL DEFAULT '',
    language      TEXT    NOT NULL DEFAULT '',
    accessibility TEXT    NOT NULL DEFAULT '',
    consent       TEXT    NOT NULL DEFAULT '',
    vip           INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- One row per way a contact reaches us; (kind, value) is unique across contacts.
CREATE TABLE contact_identities (
    kind       TEXT    NOT NULL,
    value      TEXT    NOT NULL,
    contact_id INTEGER NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (kind, value)
) WITHOUT ROWID;
CREATE INDEX contact_identities_contact ON contact_identities (contact_id);

CREATE TABLE conversations (
    id                 INTEGER PRIMARY KEY,
    channel            TEXT    NOT NULL,
    account            TEXT    NOT NULL DEFAULT '',
    thread_key         TEXT    NOT NULL DEFAULT '',
    contact_id         INTEGER NOT NULL REFERENCES contacts (id),
    subject            TEXT    NOT NULL DEFAULT '',
    status             TEXT    NOT NULL CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    priority           INTEGER NOT NULL DEFAULT 0 CHECK (priority BETWEEN 0 AND 100),
    category           TEXT    NOT NULL DEFAULT '',
    language           TEXT    NOT NULL DEFAULT '',
    tension            TEXT    NOT NULL DEFAULT '',
    team_id            INTEGER REFERENCES teams (id),
    assignee_id        INTEGER REFERENCES users (id),
    tags               TEXT    NOT NULL DEFAULT '[]',
    snoozed_until      INTEGER,
    first_response_due INTEGER,
    next_response_due  INTEGER,
    resolution_due     INTEGER,
    first_response_at  INTEGER,
    waiting_since      INTEGER,
    last_message_at    INTEGER NOT NULL,
    resolved_at        INTEGER,
    message_count      INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
);
CREATE INDEX conversations_thread ON conversations (channel, account, thread_key, id) WHERE thread_key <> '';
CREATE INDEX conversations_recent ON conversations (last_message_at DESC, id DESC);
CREATE INDEX conversations_priority ON conversations (priority DESC, coalesce(waiting_since, last_message_at), id);
CREATE INDEX conversations_contact ON conversations (contact_id);
CREATE INDEX conversations_team ON conversations (team_id);
CREATE INDEX conversations_assignee ON conversations (assignee_id);

CREATE TABLE messages (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind            TEXT    NOT NULL CHECK (kind IN ('in', 'out', 'note', 'system')),
    channel         TEXT    NOT NULL,
    external_id     TEXT,
    author_user_id  INTEGER REFERENCES users (id),
    contact_id      INTEGER REFERENCES contacts (id),
    subject         TEXT    NOT NULL DEFAULT '',
    text            TEXT    NOT NULL DEFAULT '',
    html            TEXT    NOT NULL DEFAULT '',
    delivery_status TEXT    NOT NULL DEFAULT '',
    delivery_error  TEXT    NOT NULL DEFAULT '',
    auto_submitted  INTEGER NOT NULL DEFAULT 0,
    warnings        TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);
-- Ingest is idempotent on (channel, external id): this index makes a second copy impossible.
CREATE UNIQUE INDEX messages_external ON messages (channel, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX messages_conversation ON messages (conversation_id, created_at, id);

CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    filename     TEXT    NOT NULL DEFAULT '',
    content_type TEXT    NOT NULL DEFAULT '',
    content_id   TEXT    NOT NULL DEFAULT '',
    size         INTEGER NOT NULL,
    sha256       TEXT    NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- The timeline of each conversation.
CREATE TABLE events (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    type            TEXT    NOT NULL,
    actor_user_id   INTEGER,
    data            TEXT    NOT NULL DEFAULT '{}',
    created_at      INTEGER NOT NULL
);
CREATE INDEX events_conversation ON events (conversation_id, id);

-- Events written with the change they describe, published on the bus by the relay and
-- deleted once every consumer group acknowledged them. AUTOINCREMENT: ids are never
-- reused, even after deletion, because the bus skips ids it has already seen.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    stream     TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);
