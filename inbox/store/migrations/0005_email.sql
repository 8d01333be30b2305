-- Email channel: how far each IMAP mailbox has been imported.
CREATE TABLE email_mailbox_checkpoints (
    mailbox      TEXT    PRIMARY KEY,
    uid_validity INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) WITHOUT ROWID;
