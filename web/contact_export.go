package web

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// contactExport answers GET /api/v1/contacts/{id}/export?reason=TEXT: everything kept
// about the contact (conversations, messages, attachments' metadata, timelines, phone
// messages, website chat profiles) as a JSON download, for a right-of-access request.
// The export is recorded in the audit log with the reason. Administrators only.
func (s *Server) contactExport(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ci, err := s.contacts(u)
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	reason := r.URL.Query().Get("reason")
	if strings.TrimSpace(reason) == "" {
		return missing("reason")
	}
	x, err := ci.ExportContact(r.Context(), u, id, reason)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="contact-%d.json"`, id))
	writeJSON(w, http.StatusOK, x)
	return nil
}
