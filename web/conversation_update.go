package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// conversationUpdate answers PATCH /api/v1/conversations/{id}: status (with
// snoozed_until for snoozed), priority, tags, assignee_id (0 unassigns), team_id.
func (s *Server) conversationUpdate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var p inbox.Patch
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &p); err != nil {
		return err
	}
	c, err := s.inbox.UpdateConversation(r.Context(), u, id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
