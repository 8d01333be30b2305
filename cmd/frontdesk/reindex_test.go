package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/search"
)

func TestReindex(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := cli(t, nil, "demo", "--data", data); code != 0 {
		t.Fatalf("demo = %d %q %q", code, out, errs)
	}
	code, out, errs := cli(t, nil, "reindex", "--data", data)
	if code != 0 || !strings.Contains(out, "rebuilt") || !strings.Contains(errs, "reindex [") || !strings.Contains(errs, "/s") {
		t.Fatalf("reindex = %d %q %q, want a rebuilt index and a progress bar with a rate", code, out, errs)
	}
	idx, err := search.Open(filepath.Join(data, search.DefaultPath), search.Options{})
	if err != nil {
		t.Fatalf("open the rebuilt index: %v", err)
	}
	res, err := idx.Search(context.Background(), inbox.User{ID: 1, Role: inbox.RoleAdmin}, search.Request{})
	if err != nil || res.Total == 0 {
		t.Fatalf("Search(everything) on the rebuilt index = %d hits, %v; want the demo messages", res.Total, err)
	}
	// While a hub holds the index, reindex refuses and says what to do.
	code, _, errs = cli(t, nil, "reindex", "--data", data)
	idx.Close()
	if code != 1 || !strings.Contains(errs, "stop frontdesk serve first") {
		t.Fatalf("reindex while the index is open = %d %q, want exit 1 saying to stop the hub", code, errs)
	}
}

func TestBenchSearchSmoke(t *testing.T) {
	code, out, errs := cli(t, nil, "bench", "search", "--messages", "150", "--runs", "1", "--fresh", "1", "--workers", "2")
	if code != 0 || !strings.Contains(out, "documents/s") || !strings.Contains(out, "searchable after") {
		t.Fatalf("bench search = %d\n%s\n%s", code, out, errs)
	}
	if code, _, _ := cli(t, nil, "bench", "nothing"); code != 2 {
		t.Fatalf("bench nothing = %d, want 2 (usage)", code)
	}
}

// TestServeRebuildsStaleIndex: after an upgrade that changes the index mapping, the
// hub rebuilds the search index from the database instead of refusing to start.
func TestServeRebuildsStaleIndex(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := cli(t, nil, "demo", "--data", data); code != 0 {
		t.Fatalf("demo = %d %q %q", code, out, errs)
	}
	if code, out, errs := cli(t, nil, "reindex", "--data", data); code != 0 {
		t.Fatalf("reindex = %d %q %q", code, out, errs)
	}
	path := filepath.Join(data, search.DefaultPath)
	bi, err := bleve.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// What an index of an earlier mapping version carries.
	if err := bi.SetInternal([]byte("frontdesk:mapping_version"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	bi.Close()
	if _, err := search.Open(path, search.Options{}); !errors.Is(err, search.ErrStale) {
		t.Fatalf("Open(older index) = %v, want ErrStale", err)
	}

	var logs bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: &logs, getenv: func(string) string { return "" }}
	a, err := openQuiet(t.Context(), e, common{data: data})
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	idx, err := openSearch(t.Context(), a.cfg, a.store, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("openSearch(older index) = %v, want it rebuilt", err)
	}
	defer idx.Close()
	total, err := a.store.CountMessages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := idx.Count(); err != nil || int64(n) != total {
		t.Fatalf("rebuilt index holds %d documents (%v), want the %d messages", n, err, total)
	}
	if !strings.Contains(logs.String(), "rebuilding it from the database") || !strings.Contains(logs.String(), "search index rebuilt") {
		t.Fatalf("logs say nothing of the rebuild:\n%s", logs.String())
	}
}
