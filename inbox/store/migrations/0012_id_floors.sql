-- Ids are never given twice. Without AUTOINCREMENT, SQLite gives a new row the highest
-- id plus one, so erasing a contact whose rows held the highest ids handed those ids to
-- the next person: the audit log's "contact.erased contact:30" then named a living
-- contact, and old links opened someone else's conversation. Rebuilding the tables with
-- AUTOINCREMENT would cascade deletes through their foreign keys; instead the erasure
-- records, per table, the highest id it held (the floor), and inserts give ids above it.
CREATE TABLE id_floors (
    name  TEXT PRIMARY KEY,
    floor INTEGER NOT NULL
) WITHOUT ROWID;
