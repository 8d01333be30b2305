package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// MailboxCheckpoint implements inbox.MailboxCheckpointReader.
func (s *SQLite) MailboxCheckpoint(ctx context.Context, mailbox string) (inbox.MailboxCheckpoint, error) {
	cp := inbox.MailboxCheckpoint{Mailbox: mailbox}
	var at int64
	err := one(ctx, s.q(), func(r *sql.Rows) error { return r.Scan(&cp.UIDValidity, &cp.LastUID, &at) },
		`SELECT uid_validity, last_uid, updated_at FROM email_mailbox_checkpoints WHERE mailbox = ?`, mailbox)
	if err != nil {
		return cp, wrap(err, "mailbox checkpoint %q", mailbox)
	}
	cp.UpdatedAt = fromMicro(at)
	return cp, nil
}

// SaveMailboxCheckpoint implements inbox.MailboxCheckpointWriter.
func (t *tx) SaveMailboxCheckpoint(ctx context.Context, cp inbox.MailboxCheckpoint) error {
	_, err := t.exec(ctx, `INSERT INTO email_mailbox_checkpoints (mailbox, uid_validity, last_uid, updated_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity,
		last_uid = excluded.last_uid, updated_at = excluded.updated_at`,
		cp.Mailbox, cp.UIDValidity, cp.LastUID, micro(cp.UpdatedAt))
	if err != nil {
		return fmt.Errorf("store: save mailbox checkpoint %q: %w", cp.Mailbox, err)
	}
	return nil
}
