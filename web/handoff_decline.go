package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type declineBody struct {
	Note string `json:"note"`
}

// handoffDecline answers POST /api/v1/handoffs/{id}/decline with an optional
// {"note": …} for the requester; the conversation stays where it was. A team handoff
// cannot be declined (422).
func (s *Server) handoffDecline(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b declineBody
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &b); err != nil {
			return err
		}
	}
	h, err := rt.DeclineHandoff(r.Context(), u, id, b.Note)
	if err != nil {
		return routingError(err)
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}
