package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// classificationUpdate answers PUT /api/v1/conversations/{id}/classification: an
// agent corrects the category, language and/or tension ({"category": …}); the
// correction is kept for retraining and later messages do not overwrite it. Answer: the
// conversation, re-scored.
func (s *Server) classificationUpdate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var c inbox.Correction
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &c); err != nil {
		return err
	}
	conv, err := rt.Correct(r.Context(), u, id, c)
	if err != nil {
		return routingError(err)
	}
	writeJSON(w, http.StatusOK, conv)
	return nil
}
