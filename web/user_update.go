package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// userUpdate answers PATCH /api/v1/users/{id} (admins): name, role, team_ids,
// languages, disabled, password. An admin cannot disable or demote themselves, so that
// the hub always keeps one.
func (s *Server) userUpdate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if err := requireRole(u, inbox.RoleAdmin); err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p inbox.UserPatch
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &p); err != nil {
		return err
	}
	if id == u.ID && ((p.Disabled != nil && *p.Disabled) || (p.Role != nil && *p.Role != inbox.RoleAdmin)) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: "role",
			Message: "you cannot disable or demote yourself; ask another admin"}
	}
	updated, err := s.inbox.UpdateUser(r.Context(), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, updated)
	return nil
}
