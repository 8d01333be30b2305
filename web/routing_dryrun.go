package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router"
)

// routingDryRun answers POST /api/v1/routing/dry-run (supervisors and admins): how a
// message {"subject", "text", "channel", "mailbox", "sender", "vip", "accessibility",
// "contact_language", "at"} would be classified, which rule would match and why (every
// rule's conditions with their outcome), the team, priority, SLA deadlines and
// auto-reply. Nothing is written.
func (s *Server) routingDryRun(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	var p router.Probe
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &p); err != nil {
		return err
	}
	d, err := rt.DryRun(r.Context(), u, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
