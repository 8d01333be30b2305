package web

import (
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// teamCreate answers POST /api/v1/teams (admins): {"slug", "name"}.
func (s *Server) teamCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if err := requireRole(u, inbox.RoleAdmin); err != nil {
		return err
	}
	var in struct {
		Slug string `json:"slug"`
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Slug) == "" {
		return missing("slug")
	}
	t, err := s.inbox.CreateTeam(r.Context(), in.Slug, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}
