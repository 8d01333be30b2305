package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// messageCreate answers POST /api/v1/conversations/{id}/messages: an agent's reply
// ({"text": …}), queued for delivery, or a private note ({"text": …, "note": true}).
func (s *Server) messageCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in inbox.ReplyInput
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	m, err := s.inbox.Reply(r.Context(), u, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}
