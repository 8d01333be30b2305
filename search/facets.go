package search

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	index "github.com/blevesearch/bleve_index_api"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Facet counting.
//
// bleve counts facets by reading every hit's doc values as the hits are collected: on
// a broad search (tens of thousands of hits) that was half of the search's time. Here
// the hits are gathered as one bitmap per index segment while bleve collects them, and
// each facet value is counted as the size of the intersection of that bitmap with the
// value's postings list in the segment: a few hundred bitmap intersections, whatever
// the number of hits.
//
// It reads bleve's scorch index through its exported segment API: a hit's internal id
// is its segment's offset (the sum of the earlier segments' document counts) plus its
// number in the segment. TestFacetsCountEveryHit holds the counts equal to counts
// made from every hit's document, so that an upgrade of bleve that changes this
// layout fails there.

// errNotScorch: the index reader is not a scorch snapshot (the only index type Open
// creates); facets and the ids in memory need one.
var errNotScorch = errors.New("search: not a scorch index")

// facetHits gathers the hits of one search as document numbers per segment of the
// snapshot searched.
type facetHits struct {
	snap *scorch.IndexSnapshot
	segs segmentMap
	hits [][]uint32 // per segment
}

func newFacetHits(r index.IndexReader) (*facetHits, error) {
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		return nil, errNotScorch
	}
	f := &facetHits{snap: snap, segs: newSegmentMap(snap)}
	f.hits = make([][]uint32, len(f.segs.segs))
	return f, nil
}

// add records the hit of internal id.
func (f *facetHits) add(id uint64) error {
	i, n, err := f.segs.locate(id)
	if err != nil {
		return fmt.Errorf("search: facets: %w", err)
	}
	f.hits[i] = append(f.hits[i], n)
	return nil
}

// segmentMap finds the segment of a snapshot that holds an internal id.
type segmentMap struct {
	segs []*scorch.SegmentSnapshot
	ends []uint64 // ends[i] is the first internal id after segment i
	cur  int      // the segment of the last id located
}

func newSegmentMap(snap *scorch.IndexSnapshot) segmentMap {
	m := segmentMap{segs: snap.Segments()}
	m.ends = make([]uint64, len(m.segs))
	var running uint64
	for i, s := range m.segs {
		running += s.Segment().Count()
		m.ends[i] = running
	}
	return m
}

// locate returns the segment of internal id and the id's number in it.
func (m *segmentMap) locate(id uint64) (int, uint32, error) {
	// Ids mostly come in increasing order; a search is made only when the id is not
	// in the segment of the last one.
	if m.cur >= len(m.ends) || id >= m.ends[m.cur] || (m.cur > 0 && id < m.ends[m.cur-1]) {
		m.cur = sort.Search(len(m.ends), func(i int) bool { return m.ends[i] > id })
		if m.cur == len(m.ends) {
			return 0, 0, fmt.Errorf("internal id %d beyond the snapshot's documents", id)
		}
	}
	start := uint64(0)
	if m.cur > 0 {
		start = m.ends[m.cur-1]
	}
	return m.cur, uint32(id - start), nil
}

// count counts, for every term of fieldFacet, the hits whose document has it.
func (f *facetHits) count() (map[string]uint64, error) {
	counts := map[string]uint64{}
	var terms [][]byte
	for i, s := range f.segs.segs {
		if len(f.hits[i]) == 0 {
			continue
		}
		if terms == nil {
			var err error
			if terms, err = facetTerms(f.snap); err != nil {
				return nil, err
			}
		}
		hb := roaring.New()
		hb.AddMany(f.hits[i])
		dict, err := s.Segment().Dictionary(fieldFacet)
		if err != nil {
			return nil, fmt.Errorf("search: facets: %w", err)
		}
		var pl segment.PostingsList
		var it segment.PostingsIterator
		for _, t := range terms {
			if pl, err = dict.PostingsList(t, nil, pl); err != nil {
				return nil, fmt.Errorf("search: facets: %w", err)
			}
			it = pl.Iterator(false, false, false, it)
			n, err := intersect(hb, it)
			if err != nil {
				return nil, err
			}
			if n > 0 {
				counts[string(t)] += n
			}
		}
	}
	return counts, nil
}

// facetTerms lists the terms of fieldFacet in the snapshot: all of them, or, past
// facetValuesCap, the commonest in the whole index (every channel, status, team and
// agent is far commoner than the rarest of thousands of tags).
func facetTerms(snap *scorch.IndexSnapshot) ([][]byte, error) {
	fd, err := snap.FieldDict(fieldFacet)
	if err != nil {
		return nil, fmt.Errorf("search: facets: %w", err)
	}
	defer fd.Close()
	type entry struct {
		term  []byte
		count uint64
	}
	var all []entry
	for {
		e, err := fd.Next()
		if err != nil {
			return nil, fmt.Errorf("search: facets: %w", err)
		}
		if e == nil {
			break
		}
		all = append(all, entry{[]byte(e.Term), e.Count})
	}
	if len(all) > facetValuesCap {
		slices.SortStableFunc(all, func(a, b entry) int { return cmp.Compare(b.count, a.count) })
		all = all[:facetValuesCap]
	}
	terms := make([][]byte, len(all))
	for i, e := range all {
		terms[i] = e.term
	}
	return terms, nil
}

// intersect counts the documents of hb in the postings of it, whose deleted documents
// may still be there: hb only holds live hits.
func intersect(hb *roaring.Bitmap, it segment.PostingsIterator) (uint64, error) {
	if o, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := o.ActualBitmap(); bm != nil {
			return hb.AndCardinality(bm), nil
		}
		if n, ok := o.DocNum1Hit(); ok {
			if hb.Contains(uint32(n)) {
				return 1, nil
			}
			return 0, nil
		}
	}
	// Any other postings: walk them, skipping to each hit.
	var n uint64
	hi := hb.Iterator()
	for hi.HasNext() {
		p, err := it.Advance(uint64(hi.Next()))
		if err != nil {
			return 0, fmt.Errorf("search: facets: %w", err)
		}
		if p == nil {
			break
		}
		if hb.Contains(uint32(p.Number())) {
			n++
		}
		hi.AdvanceIfNeeded(uint32(p.Number()) + 1)
	}
	return n, nil
}

// facetList orders counts most frequent first, then by term.
func facetList(counts map[string]uint64) []facetCount {
	out := make([]facetCount, 0, len(counts))
	for t, n := range counts {
		out = append(out, facetCount{t, n})
	}
	slices.SortFunc(out, func(a, b facetCount) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.term, b.term)
	})
	return out
}

type facetCount struct {
	term string
	n    uint64
}
