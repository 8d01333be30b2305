package search

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/blevesearch/bleve/v2/search/searcher"
	index "github.com/blevesearch/bleve_index_api"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// facetFields are the fields counted when a request asks for facets.
var facetFields = []string{fieldChannel, fieldStatus, fieldTeam, fieldAssignee, fieldCategory, fieldLanguage, fieldKind, fieldTags}

// facetSize is how many values of each facet are returned.
const facetSize = 20

// facetValuesCap bounds the distinct field=value terms counted in one search (all
// facets together): a few channels, statuses, languages and kinds, tens of teams and
// categories, hundreds of agents and tags.
const facetValuesCap = 5000

// storedFields are read back for hits.
var storedFields = []string{fieldMessageID, fieldConversation, fieldKind, fieldChannel, fieldStatus, fieldTeam,
	fieldAssignee, fieldCategory, fieldLanguage, fieldPriority, fieldContact, fieldName, fieldSubject,
	fieldDateKey, fieldTextLang, textFields["fr"], textFields["en"], textFields["other"]}

// Search runs r for actor: only messages of conversations actor may see (inbox.CanSee)
// are scored, counted, faceted and returned.
func (x *Index) Search(ctx context.Context, actor inbox.User, r Request) (Result, error) {
	start := time.Now()
	if actor.Disabled || !actor.Role.Valid() {
		return Result{}, inbox.ErrUnauthorized
	}
	limit := r.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0 || limit > MaxLimit:
		return Result{}, invalid("limit", "must be between 1 and %d", MaxLimit)
	}
	pq, err := ParseQuery(r.Query)
	if err != nil {
		var qe *QueryError
		if errors.As(err, &qe) {
			return Result{}, invalid("q", "%s (at byte %d)", qe.Message, qe.Offset)
		}
		return Result{}, err
	}
	sort := r.Sort
	switch sort {
	case "":
		sort = SortNewest
		if pq.hasText() {
			sort = SortRelevance
		}
	case SortRelevance, SortNewest, SortOldest:
	default:
		return Result{}, invalid("sort", "must be %s, %s or %s", SortRelevance, SortNewest, SortOldest)
	}
	// The index holds dates up to 2262 only; the hub's own span is narrower.
	for _, b := range []struct {
		field string
		t     time.Time
	}{{"from", r.Filters.From}, {"to", r.Filters.To}} {
		if !b.t.IsZero() && !inbox.TimeInRange(b.t) {
			return Result{}, invalid(b.field, "outside the accepted years (1970 to 2199)")
		}
	}
	if !r.Filters.To.IsZero() && !r.Filters.From.IsZero() && !r.Filters.From.Before(r.Filters.To) {
		return Result{}, invalid("to", "must be after from")
	}
	fp := fingerprint(r, sort)
	cur := cursor{Sort: sort, Fingerprint: fp, Snapshot: x.maxMID.Load()}
	if r.Cursor != "" {
		c, err := decodeCursor(r.Cursor)
		if err != nil {
			return Result{}, err
		}
		if c.Sort != sort || c.Fingerprint != fp {
			return Result{}, invalid("cursor", "belongs to another search or sort")
		}
		cur = c
	}
	if sort == SortRelevance && cur.Offset > MaxRelevanceDepth-limit { // (no overflow of Offset+limit)
		return Result{}, invalid("cursor", "relevance pages stop at %d hits: sort by date or refine the search", MaxRelevanceDepth)
	}

	q, err := x.compile(ctx, actor, pq, r.Filters, cur.Snapshot)
	if err != nil {
		return Result{}, err
	}
	req := bleve.NewSearchRequestOptions(q, limit, 0, false)
	key := func(field string, desc bool) *bsearch.SortField {
		return &bsearch.SortField{Field: field, Type: bsearch.SortFieldAsString, Desc: desc}
	}
	col := collection{facets: r.Facets && r.Cursor == ""}
	switch sort {
	case SortRelevance:
		// The page is picked by col.top (byScore) as the hits go by; bleve's collector
		// only counts them.
		req.Size = 0
		col.top = newByScore(cur.Offset, limit)
		col.keys = x.keys
	case SortNewest:
		req.SortByCustom(bsearch.SortOrder{key(fieldDateKey, true)})
		req.Score = "none" // date orders need no scores: skip computing them
	case SortOldest:
		req.SortByCustom(bsearch.SortOrder{key(fieldDateKey, false)})
		req.Score = "none"
	}
	if cur.After != nil {
		if len(cur.After) != len(req.Sort) {
			return Result{}, invalid("cursor", "not a cursor of this search")
		}
		req.SetSearchAfter(cur.After)
	}
	// Stored fields and term locations (for the snippets) are read in a second pass
	// over the page's hits only: asking for locations here would read them for every
	// hit, and would keep bleve from running conjunctions and disjunctions of terms as
	// bitmap operations. Facets describe the whole result, which later pages share
	// with the first: they are counted on the first page only.
	sctx := col.context(ctx)
	var res *bleve.SearchResult
	if sort == SortNewest && limit > 0 {
		res, err = x.newest(ctx, sctx, req)
	} else {
		res, err = x.bi.SearchInContext(sctx, req)
	}
	var hits bsearch.DocumentMatchCollection
	if err == nil {
		hits = res.Hits
	}
	if err == nil && sort == SortRelevance {
		hits = relevanceHits(col.top)
	}
	// Whether the page is full, and where it ends, is known before details drops the
	// hits deleted since.
	var pageEnd []string
	full := len(hits) == limit
	if full {
		pageEnd = hits[len(hits)-1].Sort
	}
	if err == nil {
		hits, err = x.details(ctx, actor, pq, hits)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Result{}, fmt.Errorf("search: %w", ctx.Err())
		}
		return Result{}, fmt.Errorf("search: run query: %w", err)
	}
	out := Result{Total: res.Total, Sort: sort, Hits: make([]Hit, 0, len(hits)), Ignored: x.ignored(pq)}
	for _, h := range hits {
		out.Hits = append(out.Hits, toHit(h, r.FullText))
	}
	if col.facets {
		if !col.done {
			return Result{}, errors.New("search: facets were not counted")
		}
		out.Facets = splitFacets(facetList(col.counts))
	}
	if full {
		next := cur
		if sort == SortRelevance {
			next.Offset += limit
		} else {
			next.After = pageEnd
		}
		if sort != SortRelevance || uint64(next.Offset) < res.Total {
			out.NextCursor = next.encode()
		}
	}
	out.Took = time.Since(start)
	return out, nil
}

// relevanceHits turns the page byScore picked into hits.
func relevanceHits(top *byScore) bsearch.DocumentMatchCollection {
	hits := make(bsearch.DocumentMatchCollection, 0, len(top.page))
	for _, c := range top.page {
		hits = append(hits, &bsearch.DocumentMatch{ID: docID(int64(c.key)), Score: c.score})
	}
	return hits
}

// details reads the stored fields of hits that lack them, and where the words of pq
// are in their text (for the snippets), by one search restricted to those documents
// and, again, to what actor may see (a document rewritten since the first pass, moved
// to another team, is left out).
func (x *Index) details(ctx context.Context, actor inbox.User, pq Query, hits bsearch.DocumentMatchCollection) (bsearch.DocumentMatchCollection, error) {
	if len(hits) == 0 {
		return hits, nil
	}
	words := x.textQuery(pq)
	fields := hits[0].Fields == nil
	if words == nil && !fields {
		return hits, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	var should []query.Query
	if words != nil {
		should = append(should, words)
	}
	must := []query.Query{query.NewDocIDQuery(ids)}
	if v := visibility(actor); v != nil {
		must = append(must, filterQuery{v})
	}
	req := bleve.NewSearchRequestOptions(query.NewBooleanQuery(must, should, nil), len(ids), 0, false)
	req.IncludeLocations = words != nil
	if fields {
		req.Fields = storedFields
	}
	res, err := x.bi.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("search: page details: %w", err)
	}
	byID := make(map[string]*bsearch.DocumentMatch, len(res.Hits))
	for _, h := range res.Hits {
		byID[h.ID] = h
	}
	out := hits[:0]
	for _, h := range hits {
		d := byID[h.ID]
		if d == nil {
			continue // deleted since the first pass
		}
		h.Locations = d.Locations
		if fields {
			h.Fields = d.Fields
		}
		out = append(out, h)
	}
	return out, nil
}

// textQuery looks for the words and phrases of q in the message text fields only
// (where snippets come from), or is nil if q has none.
func (x *Index) textQuery(q Query) query.Query {
	var qs []query.Query
	for _, c := range q.Clauses {
		switch {
		case c.Negate || c.Field != "":
		case c.Phrase:
			for _, l := range textLangs {
				qs = append(qs, matchPhrase(textFields[l], c.Value))
			}
		default:
			for _, w := range strings.Fields(c.Value) {
				if x.stopWord(w) {
					continue
				}
				for _, l := range textLangs {
					if q := x.allTerms(textFields[l], langAnalyzers[l], w); q != nil {
						qs = append(qs, q)
					}
				}
			}
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return anyQuery(qs)
}

// ignored returns the words of q that are looked for nowhere, being stop words (see
// wordQuery), in the order typed, each once, so that the user learns why "le" finds
// nothing and what "la facture" really looked for.
func (x *Index) ignored(q Query) []string {
	var out []string
	for _, c := range q.Clauses {
		if c.Field != "" || c.Phrase || c.Phone || !x.stopWord(c.Value) {
			continue
		}
		if !slices.ContainsFunc(out, func(w string) bool { return strings.EqualFold(w, c.Value) }) {
			out = append(out, c.Value)
		}
	}
	return out
}

// hasText reports whether q looks for words (so relevance is a meaningful order).
func (q Query) hasText() bool {
	for _, c := range q.Clauses {
		if !c.Negate && scored(c) {
			return true
		}
	}
	return false
}

// visibility is the permission part of every query: nil for those who see everything;
// for agents, their teams' conversations, those with no team and those assigned to
// them (inbox.CanSee). Private notes follow the same rule as the conversation view,
// which shows notes to whoever may open the conversation.
func visibility(u inbox.User) query.Query {
	if u.Role.SeesAll() {
		return nil
	}
	qs := []query.Query{termQuery(fieldTeam, noValue), termQuery(fieldAssignee, strconv.FormatInt(u.ID, 10))}
	for _, t := range u.TeamIDs {
		qs = append(qs, termQuery(fieldTeam, strconv.FormatInt(t, 10)))
	}
	return query.NewDisjunctionQuery(qs)
}

// compile turns the parsed query, the filters and the permissions into one bleve query.
func (x *Index) compile(ctx context.Context, actor inbox.User, pq Query, f Filters, snapshot int64) (query.Query, error) {
	var must, filters, not []query.Query
	hadWords, keptWords := false, false
	for _, c := range pq.Clauses {
		cq, err := x.clause(ctx, actor, c)
		if err != nil {
			return nil, err
		}
		if c.Field == "" && !c.Negate {
			hadWords = true
		}
		if cq == nil {
			continue // a stop word
		}
		if c.Field == "" && !c.Negate {
			keptWords = true
		}
		switch {
		case c.Negate:
			not = append(not, cq)
		case scored(c):
			must = append(must, cq)
		default:
			filters = append(filters, cq)
		}
	}
	if hadWords && !keptWords {
		return query.NewMatchNoneQuery(), nil
	}
	filters = append(filters, filterQueries(f)...)
	if v := visibility(actor); v != nil {
		filters = append(filters, v)
	}
	switch len(filters) {
	case 0:
	case 1:
		must = append(must, filterQuery{filters[0]})
	default:
		must = append(must, filterQuery{query.NewConjunctionQuery(filters)})
	}
	// The snapshot bound leaves out messages indexed after the first page. It is written
	// as the exclusion of the (few) ids above it rather than a range over every id
	// below it, which would cost a posting list per id block on every query.
	low, excl := float64(snapshot), false
	not = append(not, numericRange(fieldMessageID, &low, nil, &excl, nil))
	if len(must) == 0 {
		must = append(must, query.NewMatchAllQuery())
	}
	q := query.NewBooleanQuery(nil, nil, not)
	if len(must) == 1 {
		q.Must = mustQuery{must[0]} // not a conjunction of one: bleve cannot merge that into bitmaps
	} else {
		q.Must = mustQuery{query.NewConjunctionQuery(must)}
	}
	return q, nil
}

// scored reports whether a clause's matches are ranked (words, phrases, names and
// subjects) rather than only filtered (channel:email, status:open, dates…).
func scored(c Clause) bool { return c.Field == "" || c.Field == "from" || c.Field == "subject" }

// filterQuery selects the documents of q without scoring them. bleve then runs the
// conjunctions and disjunctions of terms in q as operations on the postings bitmaps,
// and q's matches do not change the ranking (a filter on status:open does not make
// a message more relevant).
type filterQuery struct{ q query.Query }

func (f filterQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, _ bsearch.SearcherOptions) (bsearch.Searcher, error) {
	return f.q.Searcher(ctx, r, m, bsearch.SearcherOptions{Score: "none"})
}

// anyQuery matches the documents of any of its queries, like bleve's disjunction, but
// leaves out, when its searcher is built on the snapshot searched, the term queries
// whose term is nowhere there. A word is looked for in eight fields and usually found in one
// or two, and bleve's disjunction advances every one of its searchers at every step,
// the exhausted ones too, each at the cost of a walk over the index segments.
type anyQuery []query.Query

func (a anyQuery) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	ss := make([]bsearch.Searcher, 0, len(a))
	for _, q := range a {
		s, err := q.Searcher(ctx, r, m, o)
		if err != nil {
			for _, s := range ss {
				s.Close()
			}
			return nil, err
		}
		if _, term := q.(*query.TermQuery); term && s.Count() == 0 {
			// Only a term's searcher counts its postings: a conjunction or
			// disjunction that bleve runs as bitmaps (unscored, as in a sort by date)
			// says 0 whatever it matches.
			s.Close()
			continue
		}
		ss = append(ss, s)
	}
	if len(ss) == 0 {
		return matchNothing(r)
	}
	return searcher.NewDisjunctionSearcher(ctx, r, ss, 0, o)
}

// noneSearcher matches nothing, like bleve's MatchNoneSearcher, but is not one:
// bleve's boolean query drops a must clause whose searcher is a MatchNoneSearcher,
// as if there were none, so a search for a word found nowhere, with the must-not
// clause every search has, matched every document.
type noneSearcher struct{ *searcher.MatchNoneSearcher }

func matchNothing(r index.IndexReader) (bsearch.Searcher, error) {
	s, err := searcher.NewMatchNoneSearcher(r)
	if err != nil {
		return nil, err
	}
	return noneSearcher{s}, nil
}

// mustQuery is the must clause of a search: what it matches, and nothing when its
// searcher is bleve's MatchNoneSearcher (see noneSearcher).
type mustQuery struct{ q query.Query }

func (m mustQuery) Searcher(ctx context.Context, r index.IndexReader, mp mapping.IndexMapping, o bsearch.SearcherOptions) (bsearch.Searcher, error) {
	s, err := m.q.Searcher(ctx, r, mp, o)
	if err != nil {
		return nil, err
	}
	if _, ok := s.(*searcher.MatchNoneSearcher); ok {
		s.Close()
		return matchNothing(r)
	}
	return s, nil
}

func numericRange(field string, min, max *float64, minIncl, maxIncl *bool) query.Query {
	q := query.NewNumericRangeInclusiveQuery(min, max, minIncl, maxIncl)
	q.SetField(field)
	return q
}

// filterQueries turns structured filters into queries.
func filterQueries(f Filters) []query.Query {
	var out []query.Query
	anyOf := func(field string, values []string, norm func(string) string) {
		if len(values) == 0 {
			return
		}
		qs := make([]query.Query, 0, len(values))
		for _, v := range values {
			qs = append(qs, termQuery(field, norm(v)))
		}
		out = append(out, query.NewDisjunctionQuery(qs))
	}
	anyOf(fieldChannel, f.Channels, strings.ToLower)
	anyOf(fieldStatus, f.Statuses, strings.ToLower)
	anyOf(fieldCategory, f.Categories, strings.ToLower)
	anyOf(fieldLanguage, f.Languages, languageValue)
	anyOf(fieldKind, f.Kinds, strings.ToLower)
	anyOf(fieldTags, f.Tags, strings.ToLower)
	ids := func(l []int64, none bool) []string {
		s := make([]string, 0, len(l)+1)
		for _, id := range l {
			s = append(s, strconv.FormatInt(id, 10))
		}
		if none {
			s = append(s, noValue)
		}
		return s
	}
	same := func(s string) string { return s }
	anyOf(fieldTeam, ids(f.TeamIDs, f.NoTeam), same)
	anyOf(fieldAssignee, ids(f.AssigneeIDs, f.Unassigned), same)
	anyOf(fieldContact, ids(f.ContactIDs, false), same)
	if !f.From.IsZero() || !f.To.IsZero() {
		t, fa := true, false
		q := query.NewDateRangeInclusiveQuery(f.From, f.To, &t, &fa)
		q.SetField(fieldCreated)
		out = append(out, q)
	}
	return out
}

// splitFacets turns the counts of the combined "field=value" facet into one Facet per
// field, each with its facetSize commonest values.
func splitFacets(counts []facetCount) map[string]Facet {
	out := make(map[string]Facet, len(facetFields))
	for _, name := range facetFields {
		out[name] = Facet{Terms: []FacetTerm{}}
	}
	for _, t := range counts { // most frequent first
		name, value, ok := strings.Cut(t.term, "=")
		fc, known := out[name]
		if !ok || !known {
			continue
		}
		if len(fc.Terms) < facetSize {
			fc.Terms = append(fc.Terms, FacetTerm{Value: value, Count: int(t.n)})
		} else {
			fc.Other += int(t.n)
		}
		out[name] = fc
	}
	return out
}
