-- Search: the searches users keep to run again. The search index itself lives outside
-- the database (data_dir/index) and is rebuilt from it.

CREATE TABLE saved_searches (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    params     TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);

-- The search indexer catches up by listing conversations changed since its checkpoint.
CREATE INDEX conversations_updated ON conversations (updated_at, id);
