package store

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestIDFloors: after an erasure of the rows with the highest ids, new rows take ids
// above them, also when the erasure was committed by another process (the CLI, on the
// same database) and when the insert that passed the floor was rolled back.
func TestIDFloors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub, err := Open(ctx, Config{}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	cli, err := Open(ctx, Config{}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	create := func(s *SQLite, fail bool) int64 {
		t.Helper()
		var id int64
		err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
			c := inbox.Contact{Name: "C", CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateContact(ctx, &c); err != nil {
				return err
			}
			id = c.ID
			if fail {
				return errors.New("rolled back")
			}
			return nil
		})
		if err != nil && !fail {
			t.Fatal(err)
		}
		return id
	}
	erase := func(s *SQLite, id int64) {
		t.Helper()
		err := s.Write(ctx, func(ctx context.Context, itx inbox.Tx) error {
			tx := itx.(*tx)
			if err := tx.keepIDFloors(ctx); err != nil {
				return err
			}
			_, err := tx.exec(ctx, `DELETE FROM contacts WHERE id = ?`, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	create(hub, false)
	top := create(hub, false)
	erase(cli, top) // another process: the hub learns of it from the data version
	if got := create(hub, false); got <= top {
		t.Fatalf("after another process's erasure of %d, new id %d", top, got)
	}
	top = create(hub, false)
	erase(hub, top)
	if got := create(hub, true); got <= top { // passes the floor, then rolls back
		t.Fatalf("after the erasure of %d, new id %d", top, got)
	}
	if got := create(hub, false); got <= top {
		t.Fatalf("after a rolled back insert past the floor %d, new id %d", top, got)
	}
}
