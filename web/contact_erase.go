package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type eraseBody struct {
	Reason string `json:"reason"`
}

// contactErase answers POST /api/v1/contacts/{id}/erase with {"reason": "…"}: deletes
// everything kept about the contact, from the store, the attachment files and the
// search index (right to erasure), and answers 200 with the counts. It cannot be
// undone; the audit log keeps who did it, when and why. Administrators only.
func (s *Server) contactErase(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ci, err := s.contacts(u)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b eraseBody
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &b); err != nil {
		return err
	}
	if b.Reason == "" {
		return missing("reason")
	}
	e, err := ci.EraseContact(r.Context(), u, id, b.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, e)
	return nil
}
