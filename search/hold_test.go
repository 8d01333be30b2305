package search

import (
	"context"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// startHeld runs an indexer with hold and waits for its catch-up from the store (of
// nothing) to end, so that what the test ingests comes by the bus.
func (e *env) startHeld(bus queue.Bus, hold time.Duration, opts ...IndexerOption) (stop func()) {
	e.t.Helper()
	if _, ok, _ := e.idx.Checkpoint(); ok {
		e.t.Fatal("the index has a checkpoint already")
	}
	x := NewIndexer(e.idx, e.store, bus, Config{BatchWait: 5 * time.Millisecond, HoldUnclassified: hold}, "test", testLog, opts...)
	stop = runIndexer(e.t, x)
	waitFor(e.t, "the catch-up", func() bool { _, ok, _ := e.idx.Checkpoint(); return ok })
	return stop
}

// classify records the router's classification of r's message, as the router does.
func (e *env) classify(r inbox.IngestResult, category string) {
	e.t.Helper()
	if _, _, err := e.inbox.Classify(context.Background(), r.ConversationID, inbox.Routing{MessageID: r.MessageID,
		Category: category, Language: "fr", Tension: "calm", Priority: 40}); err != nil {
		e.t.Fatalf("Classify(%d) = %v", r.ConversationID, err)
	}
}

// TestIndexerHoldsUnclassified: the documents of a new conversation wait for the
// router's classification and are written once, carrying it; meanwhile other
// conversations are indexed, and the checkpoint written with them does not pass the
// conversation held. A conversation nobody classifies is indexed once the hold ends.
func TestIndexerHoldsUnclassified(t *testing.T) {
	e := newEnv(t)
	bus := queue.NewMemory(queue.Options{})
	defer bus.Close()
	var log batchLog
	stop := e.startHeld(bus, 10*time.Second, WithIndexerObserver(&log))
	defer stop()

	held := e.ingest(msg{text: "demande de passeport", lang: "fr"})
	last := e.publishAfter(bus, 0)
	heldAt := time.Now()
	waitFor(t, "the events read", func() bool {
		st, err := bus.Stats(t.Context(), inbox.Stream, Group)
		return err == nil && st.Lag == 0 && st.Pending == 2
	})

	// Another conversation, classified before the indexer sees it, goes through.
	other := e.ingest(msg{text: "inscription à la cantine", lang: "fr"})
	e.classify(other, "ecoles")
	last = e.publishAfter(bus, last)
	waitFor(t, "the classified conversation indexed", func() bool {
		return e.search(e.super, Request{Query: "cantine"}).Total == 1
	})
	if n := e.search(e.super, Request{Query: "passeport"}).Total; n != 0 {
		t.Fatalf("the unclassified conversation is searchable (%d) before its classification: %+v", n, e.search(e.super, Request{Query: "passeport"}))
	}
	cp, ok, err := e.idx.Checkpoint()
	if err != nil || !ok {
		t.Fatalf("Checkpoint() = %v, %v", ok, err)
	}
	if cp.Time.After(heldAt) {
		t.Fatalf("checkpoint at %v, after the held conversation's events (before %v): a catch-up would miss them", cp.Time, heldAt)
	}

	_, before := log.written()
	e.classify(held, "etat_civil")
	e.publishAfter(bus, last)
	waitFor(t, "the held conversation indexed with its category", func() bool {
		return e.search(e.super, Request{Query: "passeport", Filters: Filters{Categories: []string{"etat_civil"}}}).Total == 1
	})
	quiet(t, bus, &log)
	if _, after := log.written(); after-before != 1 {
		t.Fatalf("the held conversation's message was written %d times, want once", after-before)
	}
	if time.Since(heldAt) > 9*time.Second {
		t.Fatal("the hold ran out: the classification did not release it")
	}
}

// TestIndexerHoldEnds: a new conversation that nobody classifies is indexed once the
// hold has run out, and an indexer with the hold turned off writes it with the first
// batch that reads it.
func TestIndexerHoldEnds(t *testing.T) {
	for _, hold := range []time.Duration{300 * time.Millisecond, -1} {
		e := newEnv(t)
		bus := queue.NewMemory(queue.Options{})
		var log batchLog
		stop := e.startHeld(bus, hold, WithIndexerObserver(&log))
		e.ingest(msg{text: "objet trouvé", lang: "fr"})
		start := time.Now()
		e.publishAfter(bus, 0)
		waitFor(t, "the conversation indexed", func() bool { return e.search(e.super, Request{Query: "objet"}).Total == 1 })
		if took := time.Since(start); hold > 0 && took < hold {
			t.Errorf("hold %v: indexed after %v, before the hold ran out", hold, took)
		}
		log.mu.Lock()
		first := log.docs[0]
		log.mu.Unlock()
		if want := map[bool]int{true: 0, false: 1}[hold > 0]; first != want {
			t.Errorf("hold %v: the first batch wrote %d documents, want %d", hold, first, want)
		}
		stop()
		bus.Close()
	}
}
