package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// conversationShow answers GET /api/v1/conversations/{id}: the conversation with its
// contact, messages and timeline.
func (s *Server) conversationShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := s.inbox.Conversation(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
