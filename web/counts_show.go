package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// countsShow answers GET /api/v1/inbox/counts: per view, the open or pending
// conversations holding messages the caller has not read.
func (s *Server) countsShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	counts, err := s.inbox.UnreadCounts(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, counts)
	return nil
}
