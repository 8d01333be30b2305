package web

import (
	"net/http"
	"strconv"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type auditPage struct {
	Entries []inbox.AuditEntry `json:"entries"`
	// Next is the before value of the next page; zero on the last page.
	Next int64 `json:"next,omitempty"`
}

// auditList answers GET /api/v1/audit?action=&object=&before=&limit=: the audit log of
// operations on personal data, newest first. Administrators only.
func (s *Server) auditList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ci, err := s.contacts(u)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	aq := inbox.AuditQuery{Action: q.Get("action"), Object: q.Get("object")}
	if v := q.Get("before"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "before", Message: "before must be a positive id"}
		}
		aq.BeforeID = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > inbox.MaxPageSize {
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "limit", Message: "limit must be between 1 and 200"}
		}
		aq.Limit = n
	}
	list, err := ci.AuditLog(r.Context(), u, aq)
	if err != nil {
		return err
	}
	page := auditPage{Entries: list}
	if aq.Limit == 0 {
		aq.Limit = inbox.DefaultPageSize
	}
	if len(list) == aq.Limit {
		page.Next = list[len(list)-1].ID
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
