package web

import (
	"net/http"
	"strconv"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageList answers GET /api/v1/phone-messages: a page of a box (box=mine, team,
// sent, overdue or all), newest first. Filters: status (comma-separated: new,
// acknowledged, done), contact (id), limit, cursor.
func (s *Server) phoneMessageList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	pm, err := s.phoneMessages()
	if err != nil {
		return err
	}
	l, err := parsePhoneMessageList(r)
	if err != nil {
		return err
	}
	list, next, err := pm.PhoneMessages(r.Context(), u, l)
	if err != nil {
		return err
	}
	page := phoneMessagePage{PhoneMessages: list}
	if page.PhoneMessages == nil {
		page.PhoneMessages = []inbox.PhoneMessage{}
	}
	if next != 0 {
		page.NextCursor = strconv.FormatInt(next, 10)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}
