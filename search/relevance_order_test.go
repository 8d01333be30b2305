package search

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2"
	bsearch "github.com/blevesearch/bleve/v2/search"
)

// TestRelevanceOrderMatchesFullSort pages by relevance through messages with many
// equal scores and holds every page to the order of bleve sorting all hits by score
// then message id, newest first (the order Search had before it stopped reading the
// id of every hit).
func TestRelevanceOrderMatchesFullSort(t *testing.T) {
	e := newEnv(t)
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
}

// messageIDOf reads the message id of a document id (docID).
func messageIDOf(doc string) int64 {
	id, _ := strconv.ParseInt(strings.TrimPrefix(doc, "m"), 10, 64)
	return id
}
