package search

import (
	"cmp"
	"slices"
	"testing"
	"time"
)

// TestNewestWindows pages newest first through messages spread from years ago to
// tomorrow, so that pages come from windows of every width, and holds the order, the
// totals and the facets equal to those of a full sort.
func TestNewestWindows(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	ages := []time.Duration{-26 * time.Hour, 0, time.Minute, time.Hour, 20 * time.Hour, 30 * time.Hour, 3 * 24 * time.Hour,
		10 * 24 * time.Hour, 40 * 24 * time.Hour, 100 * 24 * time.Hour, 400 * 24 * time.Hour, 700 * 24 * time.Hour,
		3 * 365 * 24 * time.Hour, 12 * 365 * 24 * time.Hour, 30 * 365 * 24 * time.Hour}
	type made struct {
		id int64
		at time.Time
	}
	var all []made
	for i, age := range ages {
		for k := range 3 { // three messages at each age, two at the same instant
			at := now.Add(-age - time.Duration(k/2)*time.Second)
			text := "demande de logement"
			if k == 2 {
				text = "demande de stationnement"
			}
			res := e.ingest(msg{text: text, lang: "fr", at: at, channel: []string{"email", "webchat", "api"}[i%3]})
			all = append(all, made{res.MessageID, at.Truncate(time.Microsecond)})
		}
	}
	e.indexAll()
	// The expected order: the oldest-first order (a plain sort) reversed. (The inbox
	// dates a message from the future at its arrival.)
	oldest := e.search(e.super, Request{Query: "demande", Sort: SortOldest, Limit: MaxLimit})
	want := ids(oldest)
	slices.Reverse(want)
	if len(want) != len(all) {
		t.Fatalf("oldest first: %d hits, want %d", len(want), len(all))
	}
	var sorted []int64
	for _, m := range all {
		sorted = append(sorted, m.id)
	}
	slices.SortFunc(all, func(a, b made) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	sorted = sorted[:0]
	for _, m := range all {
		sorted = append(sorted, m.id)
	}
	if !slices.Equal(want[3:], sorted[3:]) { // the three from the future excepted
		t.Fatalf("oldest first reversed\n%v\nwant\n%v", want, sorted)
	}
	for _, limit := range []int{1, 4, 7, 50} {
		var got []int64
		r := Request{Query: "demande", Sort: SortNewest, Limit: limit, Facets: true}
		for page := 0; ; page++ {
			res := e.search(e.super, r)
			if res.Total != uint64(len(all)) {
				t.Fatalf("limit %d page %d: total %d, want %d", limit, page, res.Total, len(all))
			}
			if page == 0 {
				if n := res.Facets["channel"].Terms; len(n) != 3 || n[0].Count != len(all)/3 {
					t.Fatalf("limit %d: channel facet %+v, want three channels of %d", limit, n, len(all)/3)
				}
			}
			got = append(got, ids(res)...)
			if res.NextCursor == "" {
				break
			}
			r.Cursor = res.NextCursor
			if page > len(all) {
				t.Fatal("more pages than messages")
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: newest first gave\n%v\nwant\n%v", limit, got, want)
		}
	}
	// A filter that leaves only old messages: the windows widen to them.
	res := e.search(e.super, Request{Query: "stationnement", Sort: SortNewest, Limit: 3, Filters: Filters{To: now.Add(-300 * 24 * time.Hour)}})
	// Ages 400 days, 700 days and 3 years (indexes 10 to 12), third message of each.
	wantOld := []int64{3*10 + 3, 3*11 + 3, 3*12 + 3}
	if got := ids(res); res.Total != 5 || !slices.Equal(got, wantOld) {
		t.Fatalf("old stationnement: total %d, hits %v; want 5 and %v", res.Total, got, wantOld)
	}
}
