package search

import (
	"fmt"
	"math"
	"testing"
	"time"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestByScoreTiesStayLinear: with every hit tied, the contenders are cleaned up at
// doubling sizes, so adding n hits costs O(n), not a clean-up per hit.
func TestByScoreTiesStayLinear(t *testing.T) {
	b := newByScore(0, 20)
	cleanups, at := 0, b.compactAt
	for i := range 200000 {
		b.add(uint64(i), 1)
		if b.compactAt != at {
			cleanups, at = cleanups+1, b.compactAt
		}
	}
	if cleanups > 20 {
		t.Fatalf("%d clean-ups for 200,000 tied hits, want a logarithmic number", cleanups)
	}
	if len(b.contenders) != 200000 {
		t.Fatalf("%d contenders kept, want every tied hit (their id keys decide)", len(b.contenders))
	}
}

// TestFacetValuesPastTheCap: with more distinct facet values than facetValuesCap (a
// tag cloud), the commonest values are counted, not the first in alphabetical order.
func TestFacetValuesPastTheCap(t *testing.T) {
	e := newEnv(t)
	tags := make([]string, facetValuesCap+1)
	for i := range tags {
		tags[i] = fmt.Sprintf("t%05d", i)
	}
	docs := map[string]Document{}
	for i := int64(1); i <= 3; i++ {
		c := inbox.Conversation{ID: i, TeamID: 7, Status: inbox.StatusOpen, Channel: "email"}
		if i == 1 {
			c.Tags = tags
		}
		docs[docID(i)] = NewDocument(inbox.Message{ID: i, ConversationID: i, Kind: inbox.KindIn, Text: "facture", CreatedAt: time.Now()}, c, inbox.Contact{}, "33")
	}
	if err := e.idx.write(docs, nil, nil); err != nil {
		t.Fatal(err)
	}
	e.idx.maxMID.Store(3)
	res := e.search(e.super, Request{Query: "facture", Facets: true})
	if f := res.Facets["team"]; len(f.Terms) != 1 || f.Terms[0].Value != "7" || f.Terms[0].Count != 3 {
		t.Fatalf("team facet %+v, want team 7 with 3 hits", f)
	}
	if f := res.Facets["status"]; len(f.Terms) != 1 || f.Terms[0].Count != 3 {
		t.Fatalf("status facet %+v, want open with 3 hits", f)
	}
}

// TestNamesWithApostrophesAndDots: names are found typed whole or in part, whatever
// their punctuation.
func TestNamesWithApostrophesAndDots(t *testing.T) {
	e := newEnv(t)
	awa := e.ingest(msg{from: "awa@example.fr", name: "Awa N'Diaye", text: "Bonjour", lang: "fr"})
	jr := e.ingest(msg{from: "jr@example.fr", name: "J.R. Ewing", text: "Hello", lang: "en"})
	e.indexAll()
	for _, tt := range []struct {
		q    string
		want int64
	}{
		{"N'Diaye", awa.MessageID}, {"from:N'Diaye", awa.MessageID}, {"from:n'd", awa.MessageID}, {"diaye", awa.MessageID},
		{"J.R.", jr.MessageID}, {"from:J.R.", jr.MessageID}, {"ewing", jr.MessageID},
	} {
		got := ids(e.search(e.super, Request{Query: tt.q}))
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("Search(%q) = %v, want [%d]", tt.q, got, tt.want)
		}
	}
}

// TestRelevanceCursorOverflow: a forged cursor with a huge offset is refused, not a
// panic.
func TestRelevanceCursorOverflow(t *testing.T) {
	e := newEnv(t)
	e.ingest(msg{text: "dossier", lang: "fr"})
	e.indexAll()
	r := Request{Query: "dossier", Sort: SortRelevance, Limit: 10}
	r.Cursor = cursor{Sort: SortRelevance, Fingerprint: fingerprint(r, SortRelevance), Offset: math.MaxInt - 5}.encode()
	if _, err := e.idx.Search(t.Context(), e.super, r); !isInvalid(err) {
		t.Fatalf("Search(cursor at MaxInt) = %v, want *InvalidError", err)
	}
}

// TestDetailsKeepPermissions: the second pass (stored fields, snippets) applies the
// actor's permissions again: a hit whose conversation left the agent's teams between
// the two passes is dropped, not shown with its new fields.
func TestDetailsKeepPermissions(t *testing.T) {
	e := newEnv(t)
	alpha, bravo := e.team("alpha"), e.team("bravo")
	inAlpha := e.user("a@desk.fr", inbox.RoleAgent, alpha)
	r := e.ingest(msg{text: "demande de passeport", lang: "fr"})
	e.patch(r.ConversationID, inbox.Patch{TeamID: ptr(bravo)})
	e.indexAll()
	pq, err := ParseQuery("passeport")
	if err != nil {
		t.Fatal(err)
	}
	hits := bsearch.DocumentMatchCollection{{ID: docID(r.MessageID), Score: 1}}
	got, err := e.idx.details(t.Context(), inAlpha, pq, hits)
	if err != nil || len(got) != 0 {
		t.Fatalf("details(a bravo message) as an agent of alpha = %d hits, %v; want none", len(got), err)
	}
	got, err = e.idx.details(t.Context(), e.super, pq, bsearch.DocumentMatchCollection{{ID: docID(r.MessageID), Score: 1}})
	if err != nil || len(got) != 1 || got[0].Fields == nil {
		t.Fatalf("details as a supervisor = %d hits, %v; want the message with its fields", len(got), err)
	}
}

// TestNewestCursorForged: a newest-first cursor whose date key is not one is refused.
func TestNewestCursorForged(t *testing.T) {
	e := newEnv(t)
	e.ingest(msg{text: "dossier", lang: "fr"})
	e.indexAll()
	r := Request{Query: "dossier", Sort: SortNewest, Limit: 10}
	for _, after := range []string{"zz", "0123456789abcdefZZZZZZZZZZZZZZZZ", "0123456789abcdef0000000000000001",
		dateKey(time.Now(), 1)[:16] + "zzzzzzzzzzzzzzzz"} {
		r.Cursor = cursor{Sort: SortNewest, Fingerprint: fingerprint(r, SortNewest), Snapshot: e.idx.maxMID.Load(), After: []string{after}}.encode()
		if _, err := e.idx.Search(t.Context(), e.super, r); !isInvalid(err) {
			t.Errorf("Search(newest cursor after %q) = %v, want *InvalidError", after, err)
		}
	}
}
