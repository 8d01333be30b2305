package search

import (
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// Message ids of segments, held in memory.
//
// A relevance page breaks ties of score by message id, newest first. Reading one hit's
// id from bleve's doc values costs about a microsecond; on a broad search where
// thousands of hits share the best score (the same words in look-alike replies) that
// was a third of the search. idKeys keeps, for each large index segment, the message
// id of each of its documents in an array, read once in the background the first time
// a search meets the segment. Segments never change (merges make new ones), so an
// array is never stale; it is dropped once its segment has left the index. A search
// that meets a segment not read yet reads its hits' ids from the doc values, as
// before. Memory: 8 bytes per document of the large segments (8 MB for a million
// messages).

// minKeyedSegment is the size from which a segment's ids are kept: the small
// segments of recent batches are merged away within seconds, and have few hits.
const minKeyedSegment = 4096

type idKeys struct {
	min int
	log *slog.Logger
	// current returns the index's current snapshot (to be closed), against which the
	// arrays of segments merged away are dropped.
	current func() (*scorch.IndexSnapshot, func(), error)

	mu      sync.Mutex
	segs    map[segment.Segment][]uint64
	failed  map[segment.Segment]bool // segments whose ids could not be read: not tried again
	reading bool                     // a reader runs
	closed  bool
	wg      sync.WaitGroup

	fromMemory atomic.Uint64 // ids looked up in memory, for tests
}

func newIDKeys(log *slog.Logger, current func() (*scorch.IndexSnapshot, func(), error)) *idKeys {
	return &idKeys{min: minKeyedSegment, log: log, current: current,
		segs: map[segment.Segment][]uint64{}, failed: map[segment.Segment]bool{}}
}

// get returns the message ids of seg's documents by number, or nil when they are not
// in memory.
func (k *idKeys) get(seg segment.Segment) []uint64 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.segs[seg]
}

// want starts reading, in the background, the ids of snap's large segments that are
// not in memory yet, unless a reader already runs. It holds a reference to snap while
// it reads, so that its segments stay open: the caller must hold one while it calls
// (scorch's AddRef does not revive a released snapshot).
func (k *idKeys) want(snap *scorch.IndexSnapshot) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.reading || k.closed {
		return
	}
	var missing []segment.Segment
	for _, s := range snap.Segments() {
		seg := s.Segment()
		if _, ok := k.segs[seg]; !ok && !k.failed[seg] && seg.Count() >= uint64(k.min) {
			missing = append(missing, seg)
		}
	}
	if len(missing) == 0 {
		return
	}
	k.reading = true
	snap.AddRef()
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer func() {
			if err := snap.DecRef(); err != nil {
				k.log.Warn("search: release snapshot", "err", err)
			}
		}()
		k.read(snap, missing)
	}()
}

// read reads the ids of segs, all of snap, then drops what it holds of segments no
// longer in the index (merged away).
func (k *idKeys) read(snap *scorch.IndexSnapshot, segs []segment.Segment) {
	start := time.Now()
	var docs uint64
	for _, seg := range segs {
		ids, err := readIDs(seg, k.stopped)
		if err != nil {
			k.log.Warn("search: read message ids of a segment", "docs", seg.Count(), "err", err)
			k.mu.Lock()
			k.failed[seg] = true
			k.mu.Unlock()
			continue
		}
		if ids == nil { // closing
			break
		}
		docs += uint64(len(ids))
		k.mu.Lock()
		k.segs[seg] = ids
		k.mu.Unlock()
	}
	k.prune(snap)
	k.log.Debug("search: message ids read", "segments", len(segs), "docs", docs, "took", time.Since(start))
}

// prune drops the arrays of segments that are not in the index's current snapshot
// (snap, the older one read from, when the current one cannot be had), and ends the
// reading.
func (k *idKeys) prune(snap *scorch.IndexSnapshot) {
	if cur, release, err := k.current(); err == nil {
		defer release()
		snap = cur
	} else {
		k.log.Warn("search: current snapshot", "err", err)
	}
	live := map[segment.Segment]bool{}
	for _, s := range snap.Segments() {
		live[s.Segment()] = true
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for seg := range k.segs {
		if !live[seg] {
			delete(k.segs, seg)
		}
	}
	for seg := range k.failed {
		if !live[seg] {
			delete(k.failed, seg)
		}
	}
	k.reading = false
}

func (k *idKeys) stopped() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.closed
}

// close stops the reader and waits for it.
func (k *idKeys) close() {
	k.mu.Lock()
	k.closed = true
	k.mu.Unlock()
	k.wg.Wait()
}

// readIDs reads the message id of every document of seg (0 for a deleted document
// without doc values); nil, nil when stop said so midway.
func readIDs(seg segment.Segment, stop func() bool) ([]uint64, error) {
	dv, ok := seg.(segment.DocValueVisitable)
	if !ok {
		return nil, fmt.Errorf("segment %T has no doc values", seg)
	}
	ids := make([]uint64, seg.Count())
	fields := []string{fieldIDKey}
	var state segment.DocVisitState
	var bad error
	for n := range ids {
		if n%65536 == 0 && stop() {
			return nil, nil
		}
		var err error
		state, err = dv.VisitDocValues(uint64(n), fields, func(_ string, term []byte) {
			v, ok := parseHexKey(term)
			if !ok && bad == nil {
				bad = fmt.Errorf("id key %q", term)
			}
			ids[n] = v
		}, state)
		if err != nil {
			return nil, err
		}
		if bad != nil {
			return nil, bad
		}
	}
	return ids, nil
}

// parseHexKey reads a key written by hexKey.
func parseHexKey(b []byte) (uint64, bool) {
	if len(b) != 16 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			v = v<<4 | uint64(c-'0')
		case 'a' <= c && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}
