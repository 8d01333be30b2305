package store

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestCheckpointerBoundsTheWAL writes without a pause, so that passive checkpoints can
// never catch up with the end of the WAL; the RESTART past the threshold must keep the
// WAL file near the threshold instead of growing with every write, and everything
// written must be in the database.
func TestCheckpointerBoundsTheWAL(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const restart = 64 // frames
	s, err := Open(ctx, Config{}, dir, slog.New(slog.NewTextHandler(io.Discard, nil)), withCheckpoints(time.Millisecond, restart))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.ckpt == nil {
		t.Fatal("no checkpointer on a file database")
	}
	var autockpt int
	if err := s.wconn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autockpt); err != nil || autockpt != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0 (the checkpointer does it)", autockpt, err)
	}
	const writes = 6000
	for i := range writes {
		err := s.Write(ctx, func(ctx context.Context, _ inbox.Tx) error {
			_, err := s.exec(ctx, `INSERT INTO teams (slug, name) VALUES (?, ?)`, fmt.Sprintf("team-%d", i), fmt.Sprintf("Équipe %d with a longer name to fill pages %0200d", i, i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	info, err := os.Stat(filepath.Join(dir, DefaultPath+"-wal"))
	if err != nil {
		t.Fatal(err)
	}
	// Unbounded, the WAL holds about two frames per write (50 MB here); bounded, it
	// holds the threshold plus what was written while a checkpoint ran (2 MB here on
	// an idle machine, 15 MB once on one running browser tests beside: the margin is
	// for a busy one, and stays well below the unbounded size).
	if limit := int64(20 << 20); info.Size() > limit {
		t.Fatalf("WAL file is %d bytes after %d writes, want at most %d (RESTART at %d frames)", info.Size(), writes, limit, restart)
	}
	var n int
	if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM teams WHERE slug LIKE 'team-%'`).Scan(&n); err != nil || n != writes {
		t.Fatalf("teams = %d, %v; want %d", n, err, writes)
	}
}

// TestCheckpointerLongReader: a reader holding an old snapshot (a long query, a backup)
// keeps a RESTART from finishing. The writer must then wait for it only briefly and
// not try again at once, instead of holding every write for its busy timeout.
func TestCheckpointerLongReader(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Config{}, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)), withCheckpoints(time.Millisecond, 16))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	write := func(i int) time.Duration {
		start := time.Now()
		err := s.Write(ctx, func(ctx context.Context, _ inbox.Tx) error {
			_, err := s.exec(ctx, `INSERT INTO teams (slug, name) VALUES (?, ?)`, fmt.Sprintf("t-%d", i), fmt.Sprintf("%0300d", i))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	for i := range 50 {
		write(i)
	}
	reader, err := s.rdb.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	if _, err := reader.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM teams").Scan(&n); err != nil {
		t.Fatal(err)
	}
	var worst time.Duration
	start := time.Now()
	for i := 50; i < 300; i++ {
		worst = max(worst, write(i))
	}
	total := time.Since(start)
	reader.ExecContext(ctx, "ROLLBACK")
	// Unbounded, each RESTART attempt held a write for the 10 s busy timeout.
	if worst > 2*time.Second || total > 5*time.Second {
		t.Fatalf("with a long reader, the slowest write took %s and 250 writes %s", worst, total)
	}
}
