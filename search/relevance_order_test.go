package search

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// TestRelevanceOrderMatchesFullSort pages by relevance through messages with many
// equal scores and holds every page to the order of bleve sorting all hits by score
// then message id, newest first (the order Search had before it stopped reading the
// id of every hit): with the ids read from the doc values, then from memory (idKeys).
func TestRelevanceOrderMatchesFullSort(t *testing.T) {
	t.Run("doc values", func(t *testing.T) { testRelevanceOrder(t, false) })
	t.Run("in memory", func(t *testing.T) { testRelevanceOrder(t, true) })
}

func testRelevanceOrder(t *testing.T, inMemory bool) {
	e := newEnv(t)
	e.idx.keys.mu.Lock()
	if !inMemory {
		e.idx.keys.min = math.MaxInt
	} else {
		e.idx.keys.min = 1
	}
	e.idx.keys.mu.Unlock()
	r := rand.New(rand.NewPCG(5, 8))
	words := []string{"dossier", "logement", "piscine", "dossier dossier", "horaires"}
	for range 60 {
		n := 1 + r.IntN(3)
		var parts []string
		for range n {
			parts = append(parts, words[r.IntN(len(words))])
		}
		e.ingest(msg{text: strings.Join(parts, " "), lang: "fr"})
	}
	e.indexAll()
	if inMemory {
		warmIDKeys(t, e.idx)
	}
	for _, q := range []string{"dossier", "logement", "dossier piscine", "horaires"} {
		pq, err := ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		cq, err := e.idx.compile(t.Context(), e.super, pq, Filters{}, e.idx.maxMID.Load())
		if err != nil {
			t.Fatal(err)
		}
		ref := bleve.NewSearchRequestOptions(cq, 100, 0, false)
		ref.SortByCustom(bsearch.SortOrder{&bsearch.SortScore{Desc: true},
			&bsearch.SortField{Field: fieldIDKey, Type: bsearch.SortFieldAsString, Desc: true}})
		rres, err := e.idx.bi.Search(ref)
		if err != nil {
			t.Fatal(err)
		}
		var want []int64
		for _, h := range rres.Hits {
			want = append(want, messageIDOf(h.ID))
		}
		if len(want) < 5 {
			t.Fatalf("%q: %d hits, the test needs more", q, len(want))
		}
		for _, limit := range []int{1, 2, 3, 5, 7, 50} {
			var got []int64
			req := Request{Query: q, Sort: SortRelevance, Limit: limit}
			for {
				res := e.search(e.super, req)
				got = append(got, ids(res)...)
				if res.NextCursor == "" {
					break
				}
				req.Cursor = res.NextCursor
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%q limit %d: pages gave\n%v\nwant\n%v", q, limit, got, want)
			}
		}
	}
	if n := e.idx.keys.fromMemory.Load(); inMemory != (n > 0) {
		t.Fatalf("%d ids taken from memory", n)
	}
}

// warmIDKeys reads the message ids of every large segment of x's current snapshot
// into memory and returns that snapshot, released when the test ends. The ids read
// from a snapshot that a merge has replaced meanwhile are dropped at once, so it asks
// again with the newer snapshot until one stays whole in memory.
func warmIDKeys(t *testing.T, x *Index) *scorch.IndexSnapshot {
	t.Helper()
	for range 100 {
		snap, release, err := x.snapshot()
		if err != nil {
			t.Fatal(err)
		}
		x.keys.want(snap)
		x.keys.wg.Wait()
		missing := 0
		for _, s := range snap.Segments() {
			if s.Segment().Count() >= uint64(x.keys.min) && x.keys.get(s.Segment()) == nil {
				missing++
			}
		}
		if missing == 0 {
			t.Cleanup(release)
			return snap
		}
		release()
		time.Sleep(20 * time.Millisecond) // let a running merge end
	}
	t.Fatal("the ids of the index's segments never stayed in memory")
	return nil
}

// messageIDOf reads the message id of a document id (docID).
func messageIDOf(doc string) int64 {
	id, _ := strconv.ParseInt(strings.TrimPrefix(doc, "m"), 10, 64)
	return id
}
