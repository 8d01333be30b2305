package search

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// batchLog records the documents each indexer batch wrote.
type batchLog struct {
	mu   sync.Mutex
	docs []int
}

func (b *batchLog) Indexed(_, documents int, _ time.Duration, _ error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.docs = append(b.docs, documents)
}

func (b *batchLog) written() (batches, docs int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, n := range b.docs {
		docs += n
	}
	return len(b.docs), docs
}

// quiet waits until the indexer has acknowledged every event and logged its last
// batch (it logs a batch just after acknowledging it).
func quiet(t *testing.T, bus queue.Bus, log *batchLog) {
	t.Helper()
	waitFor(t, "the indexer idle", func() bool {
		st, err := bus.Stats(context.Background(), inbox.Stream, Group)
		return err == nil && st.Lag == 0 && st.Pending == 0
	})
	for last := -1; ; {
		n, _ := log.written()
		if n == last {
			return
		}
		last = n
		time.Sleep(20 * time.Millisecond)
	}
}

// publishAfter copies the store's outbox entries after id to bus and returns the last
// id copied.
func (e *env) publishAfter(bus queue.Bus, id uint64) uint64 {
	e.t.Helper()
	recs, err := e.store.OutboxAfter(context.Background(), id, 100000)
	if err != nil {
		e.t.Fatalf("OutboxAfter() = %v", err)
	}
	msgs := make([]queue.Message, len(recs))
	for i, r := range recs {
		msgs[i] = queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}
		id = r.ID
	}
	if err := bus.Publish(context.Background(), inbox.Stream, msgs...); err != nil {
		e.t.Fatalf("Publish() = %v", err)
	}
	return id
}

// TestIndexerSkipsUpdatesAlreadyIndexed: an update event whose change the documents
// already carry (the indexer read the conversation after the change) rewrites
// nothing; one they do not carry rewrites them, and a search by team sees it.
func TestIndexerSkipsUpdatesAlreadyIndexed(t *testing.T) {
	e := newEnv(t)
	alpha, bravo := e.team("alpha"), e.team("bravo")
	inAlpha := e.user("a@desk.fr", inbox.RoleAgent, alpha)
	inBravo := e.user("b@desk.fr", inbox.RoleAgent, bravo)
	bus := queue.NewMemory(queue.Options{})
	defer bus.Close()
	var log batchLog
	x := NewIndexer(e.idx, e.store, bus, Config{BatchWait: 5 * time.Millisecond}, "test", testLog, WithIndexerObserver(&log))
	stop := runIndexer(t, x)
	defer stop()

	r := e.ingest(msg{text: "demande de passeport", lang: "fr"})
	last := e.publishAfter(bus, 0) // the new conversation and its message
	e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(bravo)})
	waitFor(t, "first message indexed", func() bool { _, n := log.written(); return n >= 1 })
	// The indexer may have read the conversation before or after the team change; the
	// update event must leave the index right either way.
	quiet(t, bus, &log)
	batches, before := log.written()
	last = e.publishAfter(bus, last)
	waitFor(t, "team change handled", func() bool { b, _ := log.written(); return b > batches })
	waitFor(t, "bravo sees it", func() bool { return e.search(inBravo, Request{Query: "passeport"}).Total == 1 })
	if got := e.search(inAlpha, Request{Query: "passeport"}).Total; got != 0 {
		t.Fatalf("agent of alpha finds %d, want 0", got)
	}

	// A change made after the documents were written rewrites them all.
	e.patch(r.ConversationID, inbox.Patch{Tags: &[]string{"vip"}})
	e.reply(e.super, r.ConversationID, "Bonjour, voici les pièces à fournir.", false)
	last = e.publishAfter(bus, last)
	waitFor(t, "reply and tag indexed", func() bool {
		return e.search(e.super, Request{Filters: Filters{Tags: []string{"vip"}}}).Total == 2
	})
	quiet(t, bus, &log)
	_, before = log.written()
	e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(alpha)})
	e.publishAfter(bus, last)
	waitFor(t, "move to alpha indexed", func() bool {
		return e.search(inAlpha, Request{Query: "passeport"}).Total == 1 && e.search(inBravo, Request{}).Total == 0
	})
	// The batch is logged after it is acknowledged, a moment after its documents are
	// searchable.
	waitFor(t, "the move's batch logged", func() bool { _, after := log.written(); return after-before >= 2 })
	if _, after := log.written(); after-before != 2 {
		t.Fatalf("the move to alpha rewrote %d documents, want the conversation's 2", after-before)
	}

	// The same update again, as a redelivery would bring it: the documents already
	// carry it, nothing is rewritten.
	recs, err := e.store.OutboxAfter(context.Background(), 0, 100000)
	if err != nil {
		t.Fatal(err)
	}
	var again queue.Message
	for _, rec := range recs {
		if rec.Type == inbox.TopicConversationUpdated {
			again = queue.Message{ID: 1 << 40, Type: rec.Type, Payload: rec.Payload}
		}
	}
	quiet(t, bus, &log)
	batches, before = log.written()
	if err := bus.Publish(t.Context(), inbox.Stream, again); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "repeated update handled", func() bool { b, _ := log.written(); return b > batches })
	if _, after := log.written(); after != before {
		t.Fatalf("an update the documents already carry rewrote %d documents", after-before)
	}
}
