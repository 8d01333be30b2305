package search

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	index "github.com/blevesearch/bleve_index_api"
)

// collection watches every hit of one search as bleve collects it, before its top-N
// collector: to count the facets (facets.go) and to pick a relevance page (byScore).
// It is used once: pass its context to SearchInContext.
type collection struct {
	facets bool     // count the facet values of the hits
	top    *byScore // if not nil, picks a relevance page
	keys   *idKeys  // the message ids held in memory, for top; may be nil
	counts map[string]uint64
	done   bool
}

// context returns ctx carrying the document match handler that watches the hits.
func (c *collection) context(ctx context.Context) context.Context {
	return context.WithValue(ctx, bsearch.MakeDocumentMatchHandlerKey, bsearch.MakeDocumentMatchHandler(c.handler))
}

// handler wraps bleve's top-N handler: every hit also goes to the watchers asked for,
// and when collection ends (a nil hit) they finish while the snapshot the hits came
// from is still open.
func (c *collection) handler(sctx *bsearch.SearchContext) (bsearch.DocumentMatchHandler, bool, error) {
	next, loadID, err := collector.MakeTopNDocumentMatchHandler(sctx)
	if err != nil {
		return nil, false, err
	}
	var fh *facetHits
	if c.facets {
		if fh, err = newFacetHits(sctx.IndexReader); err != nil {
			return nil, false, err
		}
	}
	return func(d *bsearch.DocumentMatch) error {
		if d == nil {
			if fh != nil {
				if c.counts, err = fh.count(); err != nil {
					return err
				}
			}
			if c.top != nil {
				if err := c.top.finish(sctx.IndexReader, c.keys); err != nil {
					return err
				}
			}
			c.done = true
			return next(nil)
		}
		if fh != nil || c.top != nil {
			id, err := internalID(d)
			if err != nil {
				return err
			}
			if c.top != nil {
				c.top.add(id, d.Score)
			}
			if fh != nil {
				if err := fh.add(id); err != nil {
					return err
				}
			}
		}
		return next(d)
	}, loadID, nil
}

// internalID reads a hit's scorch document number.
func internalID(d *bsearch.DocumentMatch) (uint64, error) {
	if len(d.IndexInternalID) != 8 {
		return 0, fmt.Errorf("search: internal id of %d bytes", len(d.IndexInternalID))
	}
	return binary.BigEndian.Uint64(d.IndexInternalID), nil
}

// byScore picks the page of a relevance search: the hits from offset to offset+limit
// in the order of score, then message id, newest first. bleve's own collector would
// read the id key of every hit to break ties; byScore keeps, as the hits go by, only
// those that may still be among the offset+limit best (a min-heap holds the best
// scores so far; a score below its least can no longer make it, since that least
// only grows), and reads the id key of those alone at the end.
type byScore struct {
	offset, limit int
	top           []float64 // min-heap of the offset+limit best scores so far
	contenders    []contender
	compactAt     int         // len(contenders) that calls for a clean-up
	page          []contender // the result, in order
}

type contender struct {
	id    uint64 // bleve internal id
	score float64
	key   uint64 // message id
}

func newByScore(offset, limit int) *byScore {
	return &byScore{offset: offset, limit: limit, top: make([]float64, 0, offset+limit), compactAt: 4*(offset+limit) + 1024}
}

func (b *byScore) add(id uint64, s float64) {
	k := b.offset + b.limit
	if len(b.top) < k {
		b.contenders = append(b.contenders, contender{id: id, score: s})
		b.top = append(b.top, s)
		for i := len(b.top) - 1; i > 0; { // sift up
			p := (i - 1) / 2
			if b.top[p] <= b.top[i] {
				break
			}
			b.top[p], b.top[i] = b.top[i], b.top[p]
			i = p
		}
		return
	}
	if s < b.top[0] {
		return
	}
	if len(b.contenders) >= b.compactAt {
		// Scores rising as the hits go by would keep every hit: drop those the heap
		// has left behind since they came. Hits tied with its least all stay (their
		// id keys decide), so the next clean-up waits for twice as many: the work
		// stays linear in the hits.
		b.contenders = slices.DeleteFunc(b.contenders, func(c contender) bool { return c.score < b.top[0] })
		b.compactAt = max(4*k+1024, 2*len(b.contenders))
	}
	b.contenders = append(b.contenders, contender{id: id, score: s})
	if s == b.top[0] {
		return
	}
	b.top[0] = s
	for i := 0; ; { // sift down
		l, m := 2*i+1, i
		if l < len(b.top) && b.top[l] < b.top[m] {
			m = l
		}
		if l+1 < len(b.top) && b.top[l+1] < b.top[m] {
			m = l + 1
		}
		if m == i {
			break
		}
		b.top[m], b.top[i] = b.top[i], b.top[m]
		i = m
	}
}

// finish reads the message ids of the contenders still in the running (from keys
// when it holds their segment, else from the doc values) and cuts the page.
func (b *byScore) finish(r index.IndexReader, keys *idKeys) error {
	least := math.Inf(-1)
	if len(b.top) == b.offset+b.limit && len(b.top) > 0 {
		least = b.top[0]
	}
	in := b.contenders[:0]
	for _, c := range b.contenders {
		if c.score >= least {
			in = append(in, c)
		}
	}
	if err := readKeys(r, keys, in); err != nil {
		return fmt.Errorf("search: relevance order: %w", err)
	}
	b.page = bestOf(in, b.offset+b.limit)
	b.page = b.page[min(b.offset, len(b.page)):]
	b.contenders = nil
	return nil
}

// order is the relevance order: score, then message id, newest first.
func order(x, y contender) int {
	if c := cmp.Compare(y.score, x.score); c != 0 {
		return c
	}
	return cmp.Compare(y.key, x.key)
}

// bestOf returns the k first of cs in relevance order, in order. cs may be far longer
// than k (thousands of hits tied on the least score that makes the page): a min-heap
// of the k best seen keeps the work at len(cs)·log k rather than a sort of all.
func bestOf(cs []contender, k int) []contender {
	if k <= 0 {
		return nil
	}
	if len(cs) <= k {
		slices.SortFunc(cs, order)
		return cs
	}
	h := cs[:0:0]
	h = append(h, cs[:k]...)
	worse := func(i, j int) bool { return order(h[i], h[j]) > 0 } // h[i] comes after h[j]
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(h) && worse(l, m) {
				m = l
			}
			if l+1 < len(h) && worse(l+1, m) {
				m = l + 1
			}
			if m == i {
				return
			}
			h[m], h[i] = h[i], h[m]
			i = m
		}
	}
	for i := k/2 - 1; i >= 0; i-- {
		down(i)
	}
	for _, c := range cs[k:] {
		if order(c, h[0]) < 0 { // c comes before the worst kept
			h[0] = c
			down(0)
		}
	}
	slices.SortFunc(h, order)
	return h
}

// readKeys sets the message id of each of cs.
func readKeys(r index.IndexReader, keys *idKeys, cs []contender) error {
	var left []*contender
	if snap, ok := r.(*scorch.IndexSnapshot); ok && keys != nil {
		sm := newSegmentMap(snap)
		seg, ids, found := -1, []uint64(nil), uint64(0)
		for i := range cs {
			s, n, err := sm.locate(cs[i].id)
			if err != nil {
				return err
			}
			if s != seg {
				seg, ids = s, keys.get(sm.segs[s].Segment())
			}
			if ids == nil {
				left = append(left, &cs[i])
				continue
			}
			cs[i].key = ids[n]
			found++
		}
		keys.fromMemory.Add(found)
		keys.want(snap)
	} else {
		for i := range cs {
			left = append(left, &cs[i])
		}
	}
	if len(left) == 0 {
		return nil
	}
	dv, err := r.DocValueReader([]string{fieldIDKey})
	if err != nil {
		return err
	}
	var buf [8]byte
	for _, c := range left {
		binary.BigEndian.PutUint64(buf[:], c.id)
		var ok bool
		err := dv.VisitDocValues(buf[:], func(_ string, term []byte) { c.key, ok = parseHexKey(term) })
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("no message id for internal id %d", c.id)
		}
	}
	return nil
}
