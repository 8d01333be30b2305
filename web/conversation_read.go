package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// conversationRead answers POST /api/v1/conversations/{id}/read {"message_id": N}: the
// caller has read the conversation up to message N.
func (s *Server) conversationRead(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var in struct {
		MessageID int64 `json:"message_id"`
	}
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.MessageID == 0 {
		return missing("message_id")
	}
	if err := s.inbox.MarkRead(r.Context(), u, id, in.MessageID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
