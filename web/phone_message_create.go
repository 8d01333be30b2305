package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageCreate answers POST /api/v1/phone-messages: an agent takes a message for
// a colleague or a team. 201 with the message; 200 with the first one when its
// idempotency_key was used before.
func (s *Server) phoneMessageCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	pm, err := s.phoneMessages()
	if err != nil {
		return err
	}
	var req phoneMessageRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	in, err := req.input()
	if err != nil {
		return err
	}
	p, created, err := pm.CreatePhoneMessage(r.Context(), u, in)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, p)
	return nil
}
