package search

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// The newest-first order.
//
// Sorting by date makes bleve read the date key of every hit, which on a broad search
// (hundreds of thousands of hits) is most of the search's time. The newest hits are
// found instead in a window of time ending at the page's start: the last day, then
// eight times wider until the window holds a page or reaches back to the first
// message. The total and the facets come from a pass over every hit that reads no
// sort key.

// Windows of the newest-first order.
const (
	firstWindow  = 24 * time.Hour
	windowGrowth = 8
	// lastWindow: a window this wide is replaced by no bound at all.
	lastWindow = 20 * 365 * 24 * time.Hour
)

// newest runs req, a newest-first request of one page, in date windows. sctx carries
// the facet counter, if any, to the counting pass.
func (x *Index) newest(ctx, sctx context.Context, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	end := time.Time{} // no upper bound on the first page: dates in the future count
	if req.SearchAfter != nil {
		t, err := dateOfKey(req.SearchAfter[0])
		if err != nil {
			return nil, invalid("cursor", "not a cursor of this search")
		}
		end = t.Add(time.Millisecond) // the search-after key makes the exact cut
	}
	count := bleve.NewSearchRequestOptions(req.Query, 0, 0, false)
	count.Score = "none"
	all, err := x.bi.SearchInContext(sctx, count)
	if err != nil {
		return nil, err
	}
	if all.Total == 0 {
		return all, nil
	}
	from := end
	if from.IsZero() {
		from = time.Now()
	}
	for w := firstWindow; ; w *= windowGrowth {
		page := *req
		if w < lastWindow {
			t := true
			window := query.NewDateRangeInclusiveQuery(from.Add(-w), end, &t, &t)
			window.SetField(fieldCreated)
			page.Query = query.NewConjunctionQuery([]query.Query{req.Query, filterQuery{window}})
		}
		res, err := x.bi.SearchInContext(ctx, &page)
		if err != nil {
			return nil, err
		}
		if len(res.Hits) == req.Size || w >= lastWindow {
			res.Total = all.Total
			return res, nil
		}
	}
}

// dateOfKey reads the time of a date key (dateKey).
func dateOfKey(k string) (time.Time, error) {
	if len(k) != 32 {
		return time.Time{}, fmt.Errorf("search: date key %q", k)
	}
	u, err := strconv.ParseUint(k[:16], 16, 64)
	if err == nil {
		_, err = strconv.ParseUint(k[16:], 16, 64) // the message id
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("search: date key %q: %w", k, err)
	}
	t := time.UnixMicro(int64(u ^ (1 << 63)))
	if y := t.Year(); y < 1678 || y > 2261 { // what bleve's dates (nanoseconds) hold
		return time.Time{}, fmt.Errorf("search: date key %q: year %d", k, y)
	}
	return t, nil
}
