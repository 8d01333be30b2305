package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/presence"
)

type presenceBody struct {
	Status presence.Status `json:"status"`
}

// presenceUpdate answers PUT /api/v1/presence: a heartbeat ({"status": "online"} or
// "away"), to repeat well within router.presence.ttl, or {"status": "offline"} to leave
// now. The agent app's websocket calls the router directly; this endpoint serves other
// clients. Answer: the caller's presence.
func (s *Server) presenceUpdate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	var b presenceBody
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &b); err != nil {
		return err
	}
	switch b.Status {
	case "":
		return missing("status")
	case presence.Offline:
		if err := rt.Leave(r.Context(), u); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, presence.Entry{UserID: u.ID, Status: presence.Offline})
		return nil
	}
	p, err := rt.Heartbeat(r.Context(), u, b.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
