package search

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// TestIDKeysMatchDocuments reads the message ids of a many-segment index, with
// deleted and replaced documents, into memory and holds every live document's id in
// memory to the id it was indexed with; an array whose segment left the index is
// dropped.
func TestIDKeysMatchDocuments(t *testing.T) {
	x, err := Open(filepath.Join(t.TempDir(), "index"), Options{Logger: testLog})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	x.keys.mu.Lock()
	x.keys.min = 1
	x.keys.mu.Unlock()
	r := rand.New(rand.NewPCG(3, 9))
	const perBatch = 120
	for b := range 8 {
		batch := x.bi.NewBatch()
		add := func(id int) {
			if err := batch.Index(docID(int64(id)), map[string]any{fieldMessageID: id, fieldIDKey: hexKey(uint64(id)), textFields["fr"]: "dossier"}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range perBatch {
			add(b*perBatch + i + 1)
		}
		for range 30 * min(b, 1) {
			if old := 1 + r.IntN(b*perBatch); r.IntN(2) == 0 {
				batch.Delete(docID(int64(old)))
			} else {
				add(old)
			}
		}
		if err := x.bi.Batch(batch); err != nil {
			t.Fatal(err)
		}
	}
	gone := segment.Segment(nil) // stands for a segment merged away
	x.keys.mu.Lock()
	x.keys.segs[gone] = []uint64{42}
	x.keys.failed[gone] = true
	x.keys.mu.Unlock()
	snap := warmIDKeys(t, x)
	x.keys.mu.Lock()
	_, kept := x.keys.segs[gone]
	failed := x.keys.failed[gone]
	x.keys.mu.Unlock()
	if kept || failed {
		t.Fatal("what was held of a segment no longer in the index was kept")
	}

	rd := snap
	sm := newSegmentMap(snap)
	if len(sm.segs) < 2 {
		t.Fatalf("the index has %d segment(s); the test needs several", len(sm.segs))
	}
	ids, err := rd.DocIDReaderAll()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for {
		in, err := ids.Next()
		if err != nil {
			t.Fatal(err)
		}
		if in == nil {
			break
		}
		ext, err := rd.ExternalID(in)
		if err != nil {
			t.Fatal(err)
		}
		id := binary.BigEndian.Uint64(in)
		s, n, err := sm.locate(id)
		if err != nil {
			t.Fatal(err)
		}
		got := x.keys.get(sm.segs[s].Segment())[n]
		if want := fmt.Sprintf("m%d", got); want != ext {
			t.Fatalf("internal id %d: id in memory %d, document %s", id, got, ext)
		}
		checked++
	}
	if checked < 8*perBatch-8*30 {
		t.Fatalf("checked %d documents", checked)
	}
}

func TestParseHexKey(t *testing.T) {
	for _, v := range []uint64{0, 1, 0xabcdef, 1<<63 + 5, ^uint64(0)} {
		if got, ok := parseHexKey([]byte(hexKey(v))); !ok || got != v {
			t.Errorf("parseHexKey(hexKey(%d)) = %d, %v", v, got, ok)
		}
	}
	for _, bad := range []string{"", "12", "000000000000000g", "00000000000000000", "ABCDEF0000000000"} {
		if _, ok := parseHexKey([]byte(bad)); ok {
			t.Errorf("parseHexKey(%q) accepted", bad)
		}
	}
}

// TestBestOfMatchesSort holds bestOf to the first k of a full sort, with many ties.
func TestBestOfMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 20, 21, 300, 5000} {
		for _, k := range []int{0, 1, 2, 20, 40, 10000} {
			cs := make([]contender, n)
			for i := range cs {
				cs[i] = contender{score: float64(r.IntN(3)), key: r.Uint64N(uint64(n) + 1)}
			}
			want := slices.Clone(cs)
			slices.SortFunc(want, order)
			want = want[:min(k, n)]
			if got := bestOf(slices.Clone(cs), k); !slices.Equal(got, want) {
				t.Fatalf("n %d k %d: bestOf gave %v, want %v", n, k, got, want)
			}
		}
	}
}

// TestIDKeysSkipFailedSegments: a segment whose ids could not be read is not read
// again by every search (its hits' ids come from the doc values).
func TestIDKeysSkipFailedSegments(t *testing.T) {
	e := newEnv(t)
	for range 5 {
		e.ingest(msg{text: "dossier logement", lang: "fr"})
	}
	e.indexAll()
	snap, release, err := e.idx.snapshot()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	k := e.idx.keys
	k.mu.Lock()
	k.min = 1
	for _, s := range snap.Segments() {
		k.failed[s.Segment()] = true
	}
	k.mu.Unlock()
	k.want(snap)
	k.mu.Lock()
	reading := k.reading
	k.mu.Unlock()
	if reading {
		t.Fatal("a reader started for segments that failed")
	}
	if res := e.search(e.super, Request{Query: "dossier", Sort: SortRelevance}); len(res.Hits) != 5 {
		t.Fatalf("%d hits, want 5", len(res.Hits))
	}
	if n := k.fromMemory.Load(); n != 0 {
		t.Fatalf("%d ids from memory", n)
	}
}
