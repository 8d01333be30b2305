package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// callbackDoneRequest is the optional body of the callback-done endpoint.
type callbackDoneRequest struct {
	Note string `json:"note"`
}

// phoneMessageCallbackDone answers POST /api/v1/phone-messages/{id}/callback-done: the
// caller was called back (by a recipient, a supervisor or an admin), with an optional
// {"note": "…"}. Idempotent.
func (s *Server) phoneMessageCallbackDone(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	pm, err := s.phoneMessages()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var req callbackDoneRequest
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
			return err
		}
	}
	p, err := pm.CompletePhoneMessageCallback(r.Context(), u, id, req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
