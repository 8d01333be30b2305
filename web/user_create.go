package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// userCreate answers POST /api/v1/users (admins): {"email", "name", "role", "password",
// "teams": [slugs], "languages": [...]}.
func (s *Server) userCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if err := requireRole(u, inbox.RoleAdmin); err != nil {
		return err
	}
	var in struct {
		Email     string     `json:"email"`
		Name      string     `json:"name"`
		Role      inbox.Role `json:"role"`
		Password  string     `json:"password"`
		Teams     []string   `json:"teams"`
		Languages []string   `json:"languages"`
	}
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"email", in.Email}, {"name", in.Name}, {"role", string(in.Role)}, {"password", in.Password}} {
		if strings.TrimSpace(f.v) == "" {
			return missing(f.name)
		}
	}
	// A team is created on purpose (POST /api/v1/teams), not by a typo in a user's list.
	if len(in.Teams) > 0 {
		teams, err := s.inbox.Teams(r.Context())
		if err != nil {
			return err
		}
		for _, slug := range in.Teams {
			if !slices.ContainsFunc(teams, func(t inbox.Team) bool { return t.Slug == slug }) {
				return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: "teams",
					Message: fmt.Sprintf("no team %q: create it first", slug)}
			}
		}
	}
	created, err := s.inbox.CreateUser(r.Context(), inbox.NewUser{Email: in.Email, Name: in.Name, Role: in.Role,
		Password: in.Password, Teams: in.Teams, Languages: in.Languages})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, created)
	return nil
}
