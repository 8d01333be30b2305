package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// handoffAccept answers POST /api/v1/handoffs/{id}/accept: the receiver takes the
// conversation. Answer: {"handoff": …, "conversation": …}; 409 when it was answered (or
// the conversation taken) meanwhile.
func (s *Server) handoffAccept(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	a, err := rt.AcceptHandoff(r.Context(), u, id)
	if err != nil {
		return routingError(err)
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}
