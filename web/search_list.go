package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/search"
)

// Searcher is what the web layer needs of the search index.
type Searcher interface {
	Search(ctx context.Context, actor inbox.User, r search.Request) (search.Result, error)
	Export(ctx context.Context, actor inbox.User, r search.Request, fn func(search.Hit) error) (int, bool, error)
}

// searchPage is the answer of GET /api/v1/search.
type searchPage struct {
	search.Result
	// TookMS is the time the search took, in milliseconds.
	TookMS float64 `json:"took_ms"`
}

// searchList answers GET /api/v1/search: a page of the messages the caller may see that
// match the query string and filters, with facet counts and snippets.
func (s *Server) searchList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if s.search == nil {
		return apiError(http.StatusServiceUnavailable, "search_unavailable", "search is not enabled on this instance")
	}
	req, err := parseSearchRequest(r.URL.Query(), u)
	if err != nil {
		return err
	}
	res, err := s.search.Search(r.Context(), u, req)
	if err != nil {
		return searchError(err)
	}
	if err := s.nameContacts(r.Context(), res.Hits); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, searchPage{Result: res, TookMS: float64(res.Took.Microseconds()) / 1000})
	return nil
}

// nameContacts gives the hits of contacts without a name (a website visitor, a caller)
// the name lists show them by, their address or visitor id, in one read for the page:
// the index keeps only names people gave.
func (s *Server) nameContacts(ctx context.Context, hits []search.Hit) error {
	var ids []int64
	for _, h := range hits {
		if h.ContactName == "" && h.ContactID != 0 && !slices.Contains(ids, h.ContactID) {
			ids = append(ids, h.ContactID)
		}
	}
	names, err := s.inbox.ContactNames(ctx, ids)
	if err != nil {
		return err
	}
	for i := range hits {
		if hits[i].ContactName == "" {
			hits[i].ContactName = names[hits[i].ContactID]
		}
	}
	return nil
}

// searchError maps the search package's input errors to 400 invalid.
func searchError(err error) error {
	var ie *search.InvalidError
	if errors.As(err, &ie) {
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: ie.Field, Message: ie.Message}
	}
	return err
}

// searchParams are the query parameters a search accepts; any other is refused so that
// a typo does not silently widen a search.
var searchParams = map[string]bool{
	"q": true, "sort": true, "limit": true, "cursor": true, "facets": true, "channel": true, "status": true,
	"category": true, "language": true, "kind": true, "tag": true, "team": true, "agent": true,
	"assignee": true, "contact": true, "from": true, "to": true,
}

// parseSearchRequest reads the query parameters of a search (documented in docs/api.md).
func parseSearchRequest(v url.Values, u inbox.User) (search.Request, error) {
	bad := func(field, msg string) error {
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: field, Message: msg}
	}
	var r search.Request
	for k, vals := range v {
		if !searchParams[k] {
			return r, bad(k, "unknown parameter "+k)
		}
		if len(vals) > 1 {
			return r, bad(k, k+" given more than once; separate values with commas")
		}
	}
	r.Query, r.Sort, r.Cursor = v.Get("q"), v.Get("sort"), v.Get("cursor")
	r.Facets = true
	switch v.Get("facets") {
	case "", "1", "true":
	case "0", "false":
		r.Facets = false
	default:
		return r, bad("facets", "facets is true or false")
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return r, bad("limit", "limit must be a whole number, at least 1")
		}
		r.Limit = n
	}
	f := &r.Filters
	f.Channels, f.Statuses, f.Categories = list(v, "channel"), list(v, "status"), list(v, "category")
	f.Languages, f.Kinds, f.Tags = list(v, "language"), list(v, "kind"), list(v, "tag")
	var err error
	if f.TeamIDs, f.NoTeam, err = idList(v, "team", "none", 0); err != nil {
		return r, err
	}
	agent := "agent"
	if v.Get("agent") == "" {
		agent = "assignee"
	}
	if f.AssigneeIDs, f.Unassigned, err = idList(v, agent, "none", u.ID); err != nil {
		return r, err
	}
	if f.ContactIDs, _, err = idList(v, "contact", "", 0); err != nil {
		return r, err
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := v.Get(p.name); s != "" {
			t, err := parseTime(s, p.name == "to")
			if err != nil {
				return r, bad(p.name, p.name+" is a date (2026-03-01) or a time (RFC 3339)")
			}
			*p.dst = t
		}
	}
	return r, nil
}

// list splits a comma-separated parameter.
func list(v url.Values, name string) []string {
	var out []string
	for _, s := range strings.Split(v.Get(name), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// idList parses a comma-separated list of ids, where none (if not empty) is the word
// for "without one" and "me" is the caller (when me is not 0).
func idList(v url.Values, name, none string, me int64) ([]int64, bool, error) {
	var ids []int64
	without := false
	for _, s := range list(v, name) {
		switch {
		case none != "" && s == none:
			without = true
		case me != 0 && s == "me":
			ids = append(ids, me)
		default:
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				return nil, false, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: name, Message: name + " takes positive ids, comma-separated"}
			}
			ids = append(ids, id)
		}
	}
	return ids, without, nil
}

// parseTime reads a date (the whole day; for an upper bound, up to the next midnight)
// or an RFC 3339 time.
func parseTime(s string, upper bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if upper {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

// searchRoutes declares the search endpoints (one line in routes keeps merges easy).
func (s *Server) searchRoutes(api func(string, func(http.ResponseWriter, *http.Request, inbox.User) error)) {
	api("GET /api/v1/search", s.searchList)
	api("GET /api/v1/search/export.csv", s.searchExport)
	api("GET /api/v1/search/saved", s.savedSearchList)
	api("POST /api/v1/search/saved", s.savedSearchCreate)
	api("DELETE /api/v1/search/saved/{id}", s.savedSearchDelete)
}
