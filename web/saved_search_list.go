package web

import (
	"context"
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// SavedSearches is what the web layer needs to keep users' saved searches.
type SavedSearches interface {
	SavedSearches(ctx context.Context, actor inbox.User) ([]inbox.SavedSearch, error)
	SaveSearch(ctx context.Context, actor inbox.User, name, params string) (inbox.SavedSearch, error)
	DeleteSavedSearch(ctx context.Context, actor inbox.User, id int64) error
}

// savedSearchList answers GET /api/v1/search/saved with the caller's saved searches.
func (s *Server) savedSearchList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if s.saved == nil {
		return apiError(http.StatusServiceUnavailable, "search_unavailable", "search is not enabled on this instance")
	}
	list, err := s.saved.SavedSearches(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"saved_searches": list})
	return nil
}
