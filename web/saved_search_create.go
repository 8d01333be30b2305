package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type savedSearchInput struct {
	Name   string `json:"name"`
	Params string `json:"params"`
}

// savedSearchCreate answers POST /api/v1/search/saved: {"name": "…", "params":
// "q=…&status=open"} keeps a search for the caller.
func (s *Server) savedSearchCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if s.saved == nil {
		return apiError(http.StatusServiceUnavailable, "search_unavailable", "search is not enabled on this instance")
	}
	var in savedSearchInput
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.Name == "" {
		return missing("name")
	}
	if err := s.checkSavedParams(r.Context(), u, in.Params); err != nil {
		return err
	}
	sv, err := s.saved.SaveSearch(r.Context(), u, in.Name, in.Params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sv)
	return nil
}

// checkSavedParams refuses params that the search would refuse when the saved search
// is run (unknown or repeated parameters, malformed or out-of-range values, a team
// that does not exist), naming the parameter, so that nothing is saved that cannot be
// run.
func (s *Server) checkSavedParams(ctx context.Context, u inbox.User, params string) error {
	invalid := func(msg string) error {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: "params", Message: msg}
	}
	v, err := url.ParseQuery(params)
	if err != nil {
		return invalid("not a query string: " + err.Error())
	}
	v.Del("cursor") // one moment of one search: the saved search drops it
	req, err := parseSearchRequest(v, u)
	if err == nil && s.search != nil {
		req.Limit, req.Facets = 1, false
		_, err = s.search.Search(ctx, u, req)
		err = searchError(err)
	}
	var e *Error
	if errors.As(err, &e) && e.Status < 500 {
		return invalid(e.Field + ": " + e.Message)
	}
	return err
}
