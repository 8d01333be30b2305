package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/store/storetest"
)

func openTemp(t *testing.T) *SQLite {
	t.Helper()
	s, err := Open(context.Background(), Config{}, t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	return s
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inbox.Store { return openTemp(t) })
}

// The contract holds just the same with the writer cache and the batch wait off.
func TestSQLiteContractNoWriterCache(t *testing.T) {
	storetest.Run(t, func(t *testing.T) inbox.Store {
		s, err := Open(context.Background(), Config{WriterCache: -1, BatchWait: -1}, t.TempDir(),
			slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatalf("Open() = %v", err)
		}
		return s
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := Open(context.Background(), Config{Path: "x.db"}, dir, log)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	s.Close()
	s, err = Open(context.Background(), Config{Path: filepath.Join(dir, "x.db")}, "/elsewhere", log)
	if err != nil {
		t.Fatalf("Open(again, absolute path) = %v", err)
	}
	defer s.Close()
	applied, err := s.Migrate(context.Background())
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate() on a migrated database = %v, %v; want nothing to apply", applied, err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	s := openTemp(t)
	s.Close()
	err := s.Write(context.Background(), func(context.Context, inbox.Tx) error { return nil })
	if err != ErrClosed {
		t.Fatalf("Write() after Close = %v, want ErrClosed", err)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		cfg  Config
		good bool
	}{
		{Config{}.WithDefaults(), true},
		{Config{Synchronous: "off"}.WithDefaults(), false},
		{Config{MaxBatch: -1}.WithDefaults(), false},
		{Config{Synchronous: "full", MaxBatch: 1, ReadConnections: 1}, true},
		{Config{WriterCache: -1, BatchWait: -1}.WithDefaults(), true},
		{Config{WriterCache: -2}.WithDefaults(), false},
		{Config{BatchWait: 2 * time.Second}.WithDefaults(), false},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); (err == nil) != tt.good {
			t.Errorf("Validate(%+v) = %v, want ok=%v", tt.cfg, err, tt.good)
		}
	}
}
