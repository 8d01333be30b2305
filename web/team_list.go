package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// teamList answers GET /api/v1/teams.
func (s *Server) teamList(w http.ResponseWriter, r *http.Request, _ inbox.User) error {
	teams, err := s.inbox.Teams(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teams})
	return nil
}
