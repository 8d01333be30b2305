-- Audit log of operations on personal data (exports and erasures of a contact's data).
-- Entries hold ids, counts and the reason given, never the personal data itself.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    object        TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    detail        TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_object ON audit_log (object, id);

