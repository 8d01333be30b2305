package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageAcknowledge answers POST /api/v1/phone-messages/{id}/acknowledge: the
// recipient (or a member of the recipient team) has read the message. Idempotent.
func (s *Server) phoneMessageAcknowledge(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	pm, err := s.phoneMessages()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	p, err := pm.AcknowledgePhoneMessage(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
