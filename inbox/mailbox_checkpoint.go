package inbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MailboxCheckpoint is how far the email channel has imported one IMAP mailbox: the
// highest UID durably ingested under a UIDVALIDITY. A different UIDVALIDITY on the
// server means the UIDs were renumbered and the mailbox must be resynchronised.
type MailboxCheckpoint struct {
	// Mailbox is the configured mailbox name.
	Mailbox     string    `json:"mailbox"`
	UIDValidity uint32    `json:"uid_validity"`
	LastUID     uint32    `json:"last_uid"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MailboxCheckpointReader reads IMAP checkpoints (part of Reader).
type MailboxCheckpointReader interface {
	// MailboxCheckpoint returns the checkpoint of mailbox, ErrNotFound if none.
	MailboxCheckpoint(ctx context.Context, mailbox string) (MailboxCheckpoint, error)
}

// MailboxCheckpointWriter writes IMAP checkpoints (part of Tx).
type MailboxCheckpointWriter interface {
	// SaveMailboxCheckpoint inserts or replaces the checkpoint of cp.Mailbox.
	SaveMailboxCheckpoint(ctx context.Context, cp MailboxCheckpoint) error
}

// MailboxCheckpoint returns the import checkpoint of an IMAP mailbox; a mailbox never
// imported has a zero checkpoint and no error.
func (s *Service) MailboxCheckpoint(ctx context.Context, mailbox string) (MailboxCheckpoint, error) {
	cp, err := s.store.MailboxCheckpoint(ctx, mailbox)
	if errors.Is(err, ErrNotFound) {
		return MailboxCheckpoint{Mailbox: mailbox}, nil
	}
	if err != nil {
		return cp, fmt.Errorf("inbox: mailbox checkpoint %q: %w", mailbox, err)
	}
	return cp, nil
}

// SaveMailboxCheckpoint records how far an IMAP mailbox has been imported.
func (s *Service) SaveMailboxCheckpoint(ctx context.Context, cp MailboxCheckpoint) error {
	if strings.TrimSpace(cp.Mailbox) == "" {
		return invalid("mailbox", "is empty")
	}
	cp.UpdatedAt = s.clock()
	err := s.store.Write(ctx, func(ctx context.Context, tx Tx) error {
		return tx.SaveMailboxCheckpoint(ctx, cp)
	})
	if err != nil {
		return fmt.Errorf("inbox: save mailbox checkpoint %q: %w", cp.Mailbox, err)
	}
	return nil
}
