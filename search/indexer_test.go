package search

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// publish copies the store's outbox to bus, as the relay does.
func (e *env) publish(bus queue.Bus) {
	e.t.Helper()
	recs, err := e.store.OutboxAfter(context.Background(), 0, 100000)
	if err != nil {
		e.t.Fatalf("OutboxAfter() = %v", err)
	}
	msgs := make([]queue.Message, len(recs))
	for i, r := range recs {
		msgs[i] = queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}
	}
	if err := bus.Publish(context.Background(), inbox.Stream, msgs...); err != nil {
		e.t.Fatalf("Publish() = %v", err)
	}
}

// runIndexer runs an indexer until the returned stop is called; stop waits for Run.
func runIndexer(t *testing.T, x *Indexer) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Indexer.Run() = %v", err)
		}
	}
}

// waitFor polls cond until it holds; the indexer works in other goroutines, so the
// test waits on its effect, with a deadline, rather than for a fixed time.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (e *env) count(idx *Index) uint64 {
	n, err := idx.Count()
	if err != nil {
		e.t.Fatalf("Count() = %v", err)
	}
	return n
}

// failingSource fails reads while fail is set, as a store going away mid-batch would.
type failingSource struct {
	Source
	fail  atomic.Bool
	calls atomic.Int64
}

func (f *failingSource) MessagesByID(ctx context.Context, ids []int64) ([]inbox.Message, error) {
	f.calls.Add(1)
	if f.fail.Load() {
		return nil, errors.New("store unreachable")
	}
	return f.Source.MessagesByID(ctx, ids)
}

// TestIndexerCrashMidBatch: an indexer stops in the middle of a batch it could not
// write; its events stay unacknowledged, and the next indexer (after a restart, on the
// same index folder) indexes them. Then, with events lost from the bus (acknowledged
// but never indexed, as after an index restored from backup), the catch-up from the
// store at start brings the index up to date.
func TestIndexerCrashMidBatch(t *testing.T) {
	e := newEnv(t)
	bus := queue.NewMemory(queue.Options{VisibilityTimeout: 50 * time.Millisecond})
	defer bus.Close()
	cfg := Config{BatchSize: 4, BatchWait: 10 * time.Millisecond, CatchUpMargin: time.Nanosecond}
	for range 10 {
		e.ingest(msg{text: "demande de carte grise", lang: "fr"})
	}
	// A checkpoint from before these messages, so the first catch-up finds them... but
	// the first indexer's store fails, so it indexes nothing.
	src := &failingSource{Source: e.store}
	src.fail.Store(true)
	x1 := NewIndexer(e.idx, src, bus, cfg, "one", testLog)
	if err := e.idx.write(nil, nil, &Checkpoint{Time: time.Now()}); err != nil {
		t.Fatalf("write checkpoint: %v", err)
	}
	e.publish(bus)
	stop := runIndexer(t, x1)
	waitFor(t, "a failed batch", func() bool { return src.calls.Load() >= 2 })
	stop() // the crash: the batch in hand was never written nor acknowledged
	if n := e.count(e.idx); n != 0 {
		t.Fatalf("index has %d documents after a failed batch, want 0", n)
	}
	if w, _ := bus.Watermark(t.Context(), inbox.Stream, Group); w > 1 {
		t.Fatalf("watermark %d after a failed batch: events were acknowledged", w)
	}

	// Restart: the index is reopened from disk, the store answers again.
	e.idx.Close()
	e.idx = e.open(filepath.Join(e.dir, "index"))
	x2 := NewIndexer(e.idx, e.store, bus, cfg, "two", testLog)
	stop = runIndexer(t, x2)
	waitFor(t, "10 documents", func() bool { return e.count(e.idx) == 10 })
	stop()
	cp, ok, err := e.idx.Checkpoint()
	if err != nil || !ok || cp.BusID == 0 {
		t.Fatalf("Checkpoint() = %+v, %v, %v; want one with the last bus entry", cp, ok, err)
	}

	// Events the index never saw, gone from the bus: acknowledged by hand.
	for range 5 {
		e.ingest(msg{text: "perte de carte grise", lang: "fr"})
	}
	e.publish(bus)
	ds, err := bus.Read(t.Context(), inbox.Stream, Group, "gone", 100, time.Millisecond)
	if err != nil || len(ds) == 0 {
		t.Fatalf("Read() = %d, %v", len(ds), err)
	}
	for _, d := range ds {
		bus.Ack(t.Context(), inbox.Stream, Group, d.ID)
	}
	x3 := NewIndexer(e.idx, e.store, bus, cfg, "three", testLog)
	stop = runIndexer(t, x3)
	waitFor(t, "15 documents", func() bool { return e.count(e.idx) == 15 })
	stop()
	if got := e.search(e.super, Request{Query: "perte"}).Total; got != 5 {
		t.Fatalf("Search(perte) total = %d after the catch-up, want 5", got)
	}
}

// TestIndexerFollowsUpdates: changes of a conversation reach every one of its
// messages (a team change changes who may find them), and an erased contact's
// documents go.
func TestIndexerFollowsUpdates(t *testing.T) {
	e := newEnv(t)
	alpha := e.team("alpha")
	agent := e.user("a@desk.fr", inbox.RoleAgent, alpha)
	bus := queue.NewMemory(queue.Options{})
	defer bus.Close()
	x := NewIndexer(e.idx, e.store, bus, Config{BatchWait: 5 * time.Millisecond}, "test", testLog)
	stop := runIndexer(t, x)
	defer stop()

	r := e.ingest(msg{text: "mariage en juin", lang: "fr"})
	e.reply(e.super, r.ConversationID, "Merci, nous revenons vers vous.", false)
	other := e.ingest(msg{from: "autre@example.fr", text: "mariage en juillet", lang: "fr"})
	e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(e.team("bravo"))})
	e.publish(bus)
	waitFor(t, "team change indexed", func() bool {
		return e.search(agent, Request{Query: "mariage"}).Total == 1 && e.count(e.idx) == 3
	})
	e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(alpha)})
	e.publish(bus)
	waitFor(t, "second team change indexed", func() bool {
		return e.search(agent, Request{}).Total == 3
	})

	// GDPR: the erase path publishes contact.erased.
	payload, _ := json.Marshal(inbox.ContactErased{ContactID: r.ContactID, At: time.Now()})
	if err := bus.Publish(t.Context(), inbox.Stream, queue.Message{ID: 1 << 40, Type: inbox.TopicContactErased, Payload: payload}); err != nil {
		t.Fatalf("Publish(contact.erased) = %v", err)
	}
	waitFor(t, "contact erased", func() bool { return e.count(e.idx) == 1 })
	if got := ids(e.search(e.super, Request{})); !slices.Equal(got, []int64{other.MessageID}) {
		t.Fatalf("after erasing contact %d the index holds %v, want only %d", r.ContactID, got, other.MessageID)
	}
}

// TestRebuildEqualsIncremental: an index rebuilt from scratch holds exactly what the
// incremental indexer built, field for field.
func TestRebuildEqualsIncremental(t *testing.T) {
	e := newEnv(t)
	alpha := e.team("alpha")
	bus := queue.NewMemory(queue.Options{})
	defer bus.Close()
	x := NewIndexer(e.idx, e.store, bus, Config{BatchSize: 7, BatchWait: 5 * time.Millisecond}, "test", testLog)
	stop := runIndexer(t, x)
	var convs []int64
	for i := range 30 {
		lang := []string{"fr", "en", "de"}[i%3]
		r := e.ingest(msg{text: []string{"Réclamation numéro", "Invoice number", "Rechnung Nummer"}[i%3] + " " + itoa(int64(i)), lang: lang, thread: itoa(int64(i % 12)), channel: "sms", from: "+3361234" + itoa(int64(1000+i%12))})
		convs = append(convs, r.ConversationID)
		if i%4 == 0 {
			e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(alpha), Tags: &[]string{"t" + itoa(int64(i))}, Priority: ptr(i)})
		}
		if i%5 == 0 {
			e.reply(e.super, r.ConversationID, "note "+itoa(int64(i)), true)
		}
	}
	e.publish(bus)
	n, _ := e.store.CountMessages(t.Context())
	waitFor(t, "every message indexed", func() bool { return e.count(e.idx) == uint64(n) })
	stop()

	path := filepath.Join(e.dir, "rebuilt")
	var seen []int
	got, err := Rebuild(t.Context(), path, e.store, Options{Directory: e.store, DefaultCountry: "33"}, Config{BatchSize: 10}, func(done int) { seen = append(seen, done) })
	if err != nil || got != int(n) {
		t.Fatalf("Rebuild() = %d, %v; want %d documents", got, err, n)
	}
	if len(seen) < 2 || seen[len(seen)-1] != int(n) {
		t.Fatalf("Rebuild() progress = %v, want steps ending at %d", seen, n)
	}
	re := e.open(path)
	dump := func(idx *Index) []string {
		res, err := idx.Search(t.Context(), e.super, Request{Sort: SortOldest, Limit: MaxLimit, FullText: true, Facets: true})
		if err != nil {
			t.Fatalf("Search() = %v", err)
		}
		var out []string
		for _, h := range res.Hits {
			h.Score = 0
			b, _ := json.Marshal(h)
			out = append(out, string(b))
		}
		b, _ := json.Marshal(res.Facets)
		return append(out, string(b))
	}
	a, b := dump(e.idx), dump(re)
	if !slices.Equal(a, b) {
		t.Fatalf("rebuilt index differs from the incremental one:\nincremental %v\nrebuilt     %v", a, b)
	}
	for _, q := range []string{"réclamations", "invoices", "rechnung", "06 12 34 10", "tag:t4"} {
		x, y := ids(e.search(e.super, Request{Query: q})), ids(mustSearch(t, re, e.super, q))
		if !slices.Equal(x, y) {
			t.Fatalf("Search(%q): incremental %v, rebuilt %v", q, x, y)
		}
	}
	// A running hub holds the live index: a rebuild is refused rather than racing it.
	if _, err := Rebuild(t.Context(), filepath.Join(e.dir, "index"), e.store, Options{}, Config{}, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("Rebuild(index in use) = %v, want ErrLocked", err)
	}
}

func mustSearch(t *testing.T, idx *Index, u inbox.User, q string) Result {
	t.Helper()
	res, err := idx.Search(t.Context(), u, Request{Query: q})
	if err != nil {
		t.Fatalf("Search(%q) = %v", q, err)
	}
	return res
}
