-- Routing: what the router recorded about each conversation, the handoff ledger, SLA
-- warnings and breaches (each recorded once), and agents' corrections of
-- classifications (used to retrain the classifier). Times are Unix microseconds (UTC).

CREATE TABLE routing_state (
    conversation_id     INTEGER PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    message_id          INTEGER NOT NULL DEFAULT 0,
    category_confidence REAL    NOT NULL DEFAULT 0,
    category_rule       TEXT    NOT NULL DEFAULT '',
    urgency             TEXT    NOT NULL DEFAULT '',
    explanation         TEXT    NOT NULL DEFAULT '{}',
    rules               TEXT    NOT NULL DEFAULT '[]',
    skills              TEXT    NOT NULL DEFAULT '[]',
    no_assign           INTEGER NOT NULL DEFAULT 0,
    priority_fixed      INTEGER,
    priority_adjust     INTEGER NOT NULL DEFAULT 0,
    sla_policy          TEXT    NOT NULL DEFAULT '',
    last_agent_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    corrected           INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER NOT NULL
);

CREATE TABLE handoffs (
    id                   INTEGER PRIMARY KEY,
    conversation_id      INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    kind                 TEXT    NOT NULL CHECK (kind IN ('agent', 'team', 'supervisor')),
    from_user_id         INTEGER REFERENCES users (id),
    from_label           TEXT    NOT NULL DEFAULT '',
    to_user_id           INTEGER REFERENCES users (id),
    to_team_id           INTEGER REFERENCES teams (id),
    reason               TEXT    NOT NULL,
    note                 TEXT    NOT NULL,
    status               TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'declined', 'timed_out', 'cancelled')),
    previous_assignee_id INTEGER REFERENCES users (id),
    requested_at         INTEGER NOT NULL,
    expires_at           INTEGER NOT NULL,
    answered_at          INTEGER,
    answered_by          INTEGER REFERENCES users (id),
    answer_note          TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX handoffs_conversation ON handoffs (conversation_id, id);
-- At most one pending handoff per conversation.
CREATE UNIQUE INDEX handoffs_one_pending ON handoffs (conversation_id) WHERE status = 'pending';
CREATE INDEX handoffs_expiry ON handoffs (expires_at) WHERE status = 'pending';
CREATE INDEX handoffs_to_user ON handoffs (to_user_id, id);
CREATE INDEX handoffs_from_user ON handoffs (from_user_id, id);
CREATE INDEX handoffs_requested ON handoffs (requested_at);

CREATE TABLE sla_events (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    target          TEXT    NOT NULL,
    stage           TEXT    NOT NULL CHECK (stage IN ('warning', 'breached')),
    due             INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, target, stage, due)
) WITHOUT ROWID;

CREATE TABLE classification_corrections (
    id              INTEGER PRIMARY KEY,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    user_id         INTEGER REFERENCES users (id),
    category        TEXT    NOT NULL,
    language        TEXT    NOT NULL,
    tension         TEXT    NOT NULL,
    old_category    TEXT    NOT NULL DEFAULT '',
    old_language    TEXT    NOT NULL DEFAULT '',
    old_tension     TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX classification_corrections_message ON classification_corrections (message_id, id);

-- The router's scans: conversations in progress, and those waiting for an agent.
CREATE INDEX conversations_active ON conversations (id) WHERE status IN ('open', 'pending');
