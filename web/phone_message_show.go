package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageShow answers GET /api/v1/phone-messages/{id}: the message with the
// notifications sent about it.
func (s *Server) phoneMessageShow(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	pm, err := s.phoneMessages()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	d, err := pm.PhoneMessage(r.Context(), u, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}
