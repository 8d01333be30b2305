package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// savedSearchDelete answers DELETE /api/v1/search/saved/{id}; another user's saved
// search is not found.
func (s *Server) savedSearchDelete(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if s.saved == nil {
		return apiError(http.StatusServiceUnavailable, "search_unavailable", "search is not enabled on this instance")
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	if err := s.saved.DeleteSavedSearch(r.Context(), u, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
