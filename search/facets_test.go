package search

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/search/query"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// TestFacetsCountEveryHit holds the bitmap facet counts equal to counts made from the
// documents of every hit, on an index of many segments with deleted and replaced
// documents, for queries of every shape.
func TestFacetsCountEveryHit(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), Options{Logger: testLog})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	r := rand.New(rand.NewPCG(7, 11))
	values := map[string][]string{
		fieldChannel: {"email", "webchat", "sms", "slack"}, fieldStatus: {"open", "pending", "resolved"},
		fieldTeam: {"1", "2", "3", noValue}, fieldAssignee: {"4", "5", noValue}, fieldTags: {"urgent", "rgpd", "vip"},
	}
	words := []string{"facture", "passeport", "mairie", "rendez", "carte", "colis"}
	current := map[string][]string{} // the facet values of every live document
	doc := func(id int) map[string]any {
		var facet []string
		for f, vs := range values {
			facet = append(facet, f+"="+vs[r.IntN(len(vs))])
			if f == fieldTags && r.IntN(2) == 0 {
				facet = append(facet, f+"="+vs[r.IntN(len(vs))]) // a second tag, sometimes the same
			}
		}
		current[fmt.Sprintf("m%d", id)] = slices.Compact(slices.Sorted(slices.Values(facet))) // a document counts once per value
		return map[string]any{
			fieldMessageID:      id,
			textFields["fr"]:    words[r.IntN(len(words))] + " " + words[r.IntN(len(words))],
			fieldStatus:         facet[0],
			fieldFacet:          facet,
			fieldConversation:   fmt.Sprint(id / 3),
			fieldKind:           []string{"in", "out", "note"}[r.IntN(3)],
			fieldDateKey:        fmt.Sprintf("%08x", id),
			fieldIDKey:          fmt.Sprintf("%08x", id),
			subjectFields["fr"]: "objet",
		}
	}
	const perBatch = 150
	for b := range 14 {
		batch := x.bi.NewBatch()
		for i := range perBatch {
			id := b*perBatch + i
			if err := batch.Index(fmt.Sprintf("m%d", id), doc(id)); err != nil {
				t.Fatal(err)
			}
		}
		if b > 0 { // delete and replace documents of earlier segments
			for range 40 {
				old := r.IntN(b * perBatch)
				if r.IntN(2) == 0 {
					batch.Delete(fmt.Sprintf("m%d", old))
					delete(current, fmt.Sprintf("m%d", old))
				} else if err := batch.Index(fmt.Sprintf("m%d", old), doc(old)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := x.bi.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	ir, err := x.bi.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	rd, err := ir.Reader()
	if err != nil {
		t.Fatal(err)
	}
	segs := len(rd.(*scorch.IndexSnapshot).Segments())
	rd.Close()
	if segs < 2 {
		t.Fatalf("the index has %d segment(s); the test needs several", segs)
	}

	term := func(f, v string) query.Query { return termQuery(f, v) }
	tests := []struct {
		name string
		q    query.Query
	}{
		{"everything", query.NewMatchAllQuery()},
		{"word", x.allTerms(textFields["fr"], AnalyzerFrench, "facture")},
		{"two words", x.allTerms(textFields["fr"], AnalyzerFrench, "facture carte")},
		{"word and status", query.NewConjunctionQuery([]query.Query{x.allTerms(textFields["fr"], AnalyzerFrench, "mairie"), term(fieldStatus, "status=open")})},
		{"either word", query.NewDisjunctionQuery([]query.Query{x.allTerms(textFields["fr"], AnalyzerFrench, "colis"), x.allTerms(textFields["fr"], AnalyzerFrench, "rendez")})},
		{"exclusion", query.NewBooleanQuery([]query.Query{query.NewMatchAllQuery()}, nil, []query.Query{x.allTerms(textFields["fr"], AnalyzerFrench, "passeport")})},
		{"one document", term(fieldIDKey, fmt.Sprintf("%08x", 2000))},
		{"nothing", x.allTerms(textFields["fr"], AnalyzerFrench, "introuvable")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, sort := range []string{"", "-" + fieldDateKey} {
				fc := collection{facets: true}
				req := bleve.NewSearchRequestOptions(tt.q, 5, 0, false)
				if sort != "" {
					req.SortBy([]string{sort})
				}
				res, err := x.bi.SearchInContext(fc.context(t.Context()), req)
				if err != nil {
					t.Fatal(err)
				}
				if !fc.done {
					t.Fatal("facets not counted")
				}
				want := bleve.NewSearchRequestOptions(tt.q, 100000, 0, false)
				wres, err := x.bi.Search(want)
				if err != nil {
					t.Fatal(err)
				}
				wantCounts := map[string]uint64{}
				for _, h := range wres.Hits {
					for _, v := range current[h.ID] {
						wantCounts[v]++
					}
				}
				if res.Total != wres.Total {
					t.Errorf("sort %q: total %d, bleve %d", sort, res.Total, wres.Total)
				}
				if !maps.Equal(fc.counts, wantCounts) {
					t.Errorf("sort %q: counts\n%v\nfrom the hits\n%v", sort, fc.counts, wantCounts)
				}
				if tt.name == "everything" && len(wantCounts) < 15 {
					t.Errorf("only %d facet values over the whole index", len(wantCounts))
				}
			}
		})
	}
}

// TestIntersectWalksOtherPostings covers the path for postings iterators that do not
// expose their bitmap.
func TestIntersectWalksOtherPostings(t *testing.T) {
	tests := []struct {
		hits, postings []uint32
		want           uint64
	}{
		{nil, []uint32{1, 2}, 0},
		{[]uint32{1, 2}, nil, 0},
		{[]uint32{1, 5, 9, 200}, []uint32{0, 5, 6, 9, 10, 300}, 2},
		{[]uint32{3}, []uint32{3}, 1},
		{[]uint32{0, 1, 2, 3}, []uint32{0, 1, 2, 3}, 4},
		{[]uint32{10, 20}, []uint32{1, 2, 3}, 0},
	}
	for _, tt := range tests {
		hb := roaring.BitmapOf(tt.hits...)
		got, err := intersect(hb, &slicePostings{docs: tt.postings})
		if err != nil || got != tt.want {
			t.Errorf("intersect(%v, %v) = %d, %v; want %d", tt.hits, tt.postings, got, err, tt.want)
		}
	}
}

// slicePostings is a postings iterator over a sorted slice, without a bitmap.
type slicePostings struct {
	docs []uint32
	i    int
}

func (p *slicePostings) Next() (segment.Posting, error) {
	if p.i >= len(p.docs) {
		return nil, nil
	}
	p.i++
	return posting(p.docs[p.i-1]), nil
}

func (p *slicePostings) Advance(n uint64) (segment.Posting, error) {
	for p.i < len(p.docs) && uint64(p.docs[p.i]) < n {
		p.i++
	}
	return p.Next()
}

func (p *slicePostings) Size() int             { return 0 }
func (p *slicePostings) BytesRead() uint64     { return 0 }
func (p *slicePostings) ResetBytesRead(uint64) {}
func (p *slicePostings) BytesWritten() uint64  { return 0 }

type posting uint32

func (p posting) Number() uint64                { return uint64(p) }
func (p posting) Frequency() uint64             { return 1 }
func (p posting) Norm() float64                 { return 1 }
func (p posting) Locations() []segment.Location { return nil }
func (p posting) Size() int                     { return 0 }

// TestByScoreKeepsContenders holds byScore to keeping every hit whose score is at
// least the k-th best, whatever the order the scores come in.
func TestByScoreKeepsContenders(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 5))
	for range 300 {
		offset, limit := r.IntN(4), 1+r.IntN(5)
		k := offset + limit
		n := r.IntN(40)
		scores := make([]float64, n)
		for i := range scores {
			scores[i] = float64(r.IntN(6)) // few values: many ties
		}
		b := newByScore(offset, limit)
		for i, s := range scores {
			b.add(uint64(i), s)
		}
		least := -1.0
		if n >= k {
			sorted := slices.Clone(scores)
			slices.Sort(sorted)
			least = sorted[n-k]
		}
		kept := map[uint64]bool{}
		for _, c := range b.contenders {
			kept[c.id] = true
		}
		for i, s := range scores {
			if s >= least && !kept[uint64(i)] {
				t.Fatalf("offset %d limit %d scores %v: hit %d (score %v) dropped; the %d-th best is %v", offset, limit, scores, i, s, k, least)
			}
		}
	}
}

// TestByScoreBoundsContenders: with scores rising as the hits go by, the contenders
// kept stay bounded and the best are all there.
func TestByScoreBoundsContenders(t *testing.T) {
	b := newByScore(10, 10)
	for i := range 100000 {
		b.add(uint64(i), float64(i))
	}
	if n := len(b.contenders); n > 4*20+1024+1 {
		t.Fatalf("%d contenders kept for a page of 20 after 100,000 rising scores", n)
	}
	kept := map[uint64]bool{}
	for _, c := range b.contenders {
		kept[c.id] = true
	}
	for i := 100000 - 20; i < 100000; i++ {
		if !kept[uint64(i)] {
			t.Fatalf("hit %d (among the 20 best) dropped", i)
		}
	}
}
