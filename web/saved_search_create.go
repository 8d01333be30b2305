package web

import (
	"net/http"

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
	sv, err := s.saved.SaveSearch(r.Context(), u, in.Name, in.Params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, sv)
	return nil
}
