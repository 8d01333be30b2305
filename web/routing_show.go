package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// routingShow answers GET /api/v1/conversations/{id}/routing: the classification with
// its explanation, the current priority and its factors, the SLA targets with the
// opening time left, and the handoffs (pending first, with their notes).
func (s *Server) routingShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	v, err := rt.Routing(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
