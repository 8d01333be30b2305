package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// userList answers GET /api/v1/users (supervisors and admins).
func (s *Server) userList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if err := requireRole(u, inbox.RoleSupervisor, inbox.RoleAdmin); err != nil {
		return err
	}
	users, err := s.inbox.Users(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
	return nil
}
