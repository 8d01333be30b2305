package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type meResponse struct {
	inbox.User
	Teams []inbox.Team `json:"teams"`
	// Users lists colleagues (id, name, role, teams) for assignment menus.
	Users []colleague `json:"users"`
	// Limits are what a reply may carry, so the page checks files before sending them.
	Limits replyLimits `json:"limits"`
}

type replyLimits struct {
	MaxFiles     int   `json:"max_files"`
	MaxFileBytes int64 `json:"max_file_bytes"` // all the files of one reply together
}

type colleague struct {
	ID       int64      `json:"id"`
	Name     string     `json:"name"`
	Role     inbox.Role `json:"role"`
	TeamIDs  []int64    `json:"team_ids"`
	Presence string     `json:"presence,omitempty"`
}

// meShow answers GET /api/v1/me: the caller, the teams and the active colleagues (what
// the agent app needs to draw its menus).
func (s *Server) meShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	teams, err := s.inbox.Teams(r.Context())
	if err != nil {
		return err
	}
	users, err := s.inbox.Users(r.Context())
	if err != nil {
		return err
	}
	resp := meResponse{User: u, Teams: teams, Users: []colleague{}, Limits: replyLimits{MaxFiles: s.inbox.MaxReplyFiles(),
		// The request carries the text and the form's framing too: leave them room.
		MaxFileBytes: min(s.inbox.MaxReplyFileBytes(), s.cfg.MaxUploadBytes-64<<10)}}
	for _, o := range users {
		if o.Disabled {
			continue
		}
		c := colleague{ID: o.ID, Name: o.Name, Role: o.Role, TeamIDs: o.TeamIDs}
		if s.hub != nil {
			c.Presence = s.hub.Status(o.ID)
		}
		resp.Users = append(resp.Users, c)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
