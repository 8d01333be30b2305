package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// overviewShow answers GET /api/v1/overview (supervisors and admins): each queue's
// length and oldest wait, the agents' presence and load, the SLA targets at risk and
// breached, the pending handoffs and the week's handoff outcomes with time to accept.
func (s *Server) overviewShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	ov, err := rt.Overview(r.Context(), u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ov)
	return nil
}
