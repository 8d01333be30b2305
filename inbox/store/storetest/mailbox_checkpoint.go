package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// testMailboxCheckpoints: a checkpoint is absent until saved, then replaced whole.
func testMailboxCheckpoints(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	if _, err := s.MailboxCheckpoint(ctx, "accueil"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("MailboxCheckpoint(never saved) = %v, want ErrNotFound", err)
	}
	steps := []inbox.MailboxCheckpoint{
		{Mailbox: "accueil", UIDValidity: 7, LastUID: 42, UpdatedAt: t0},
		{Mailbox: "accueil", UIDValidity: 7, LastUID: 4294967295, UpdatedAt: t0.Add(time.Second)},
		{Mailbox: "accueil", UIDValidity: 9, LastUID: 3, UpdatedAt: t0.Add(2 * time.Second)},
	}
	for _, cp := range steps {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.SaveMailboxCheckpoint(ctx, cp) })
		got, err := s.MailboxCheckpoint(ctx, "accueil")
		if err != nil || got != cp {
			t.Fatalf("MailboxCheckpoint() after saving %+v = %+v, %v", cp, got, err)
		}
	}
	other := inbox.MailboxCheckpoint{Mailbox: "urbanisme", UIDValidity: 1, LastUID: 1, UpdatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.SaveMailboxCheckpoint(ctx, other) })
	if got, _ := s.MailboxCheckpoint(ctx, "accueil"); got.UIDValidity != 9 {
		t.Fatalf("saving another mailbox changed accueil: %+v", got)
	}
}
