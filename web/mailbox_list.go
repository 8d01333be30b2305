package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/frontdeskhq/frontdesk/channels/email"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Mailboxes reports the state of the email channel's mailboxes.
type Mailboxes interface {
	MailboxStates(ctx context.Context) ([]email.MailboxState, error)
}

// mailboxList answers GET /api/v1/admin/mailboxes: every configured IMAP mailbox with
// its connection state, last sync and last error. Admins and supervisors only.
func (s *Server) mailboxList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if !u.Role.SeesAll() {
		return apiError(http.StatusForbidden, "forbidden", "mailbox states are for admins and supervisors")
	}
	list := []email.MailboxState{}
	if s.mailboxes != nil {
		got, err := s.mailboxes.MailboxStates(r.Context())
		if err != nil {
			return fmt.Errorf("web: mailbox states: %w", err)
		}
		list = append(list, got...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"mailboxes": list})
	return nil
}
