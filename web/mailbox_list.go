package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// MailboxStatus is the state of one email mailbox as admins see it.
type MailboxStatus struct {
	Name        string     `json:"name"`
	Connected   bool       `json:"connected"`
	Mode        string     `json:"mode,omitempty"`
	LastSync    *time.Time `json:"last_sync,omitempty"`
	LastError   string     `json:"last_error,omitempty"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	UIDValidity uint32     `json:"uid_validity,omitempty"`
	LastUID     uint32     `json:"last_uid,omitempty"`
	Imported    uint64     `json:"imported"`
	Failures    uint64     `json:"failures"`
	Reconnects  uint64     `json:"reconnects"`
}

// Mailboxes reports the state of the email channel's mailboxes.
type Mailboxes interface {
	Mailboxes(ctx context.Context) ([]MailboxStatus, error)
}

// mailboxList answers GET /api/v1/admin/mailboxes: every configured IMAP mailbox with
// its connection state, last sync and last error. Admins and supervisors only.
func (s *Server) mailboxList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if !u.Role.SeesAll() {
		return apiError(http.StatusForbidden, "forbidden", "mailbox states are for admins and supervisors")
	}
	list := []MailboxStatus{}
	if s.mailboxes != nil {
		got, err := s.mailboxes.Mailboxes(r.Context())
		if err != nil {
			return fmt.Errorf("web: mailbox states: %w", err)
		}
		list = append(list, got...)
	}
	writeJSON(w, http.StatusOK, map[string]any{"mailboxes": list})
	return nil
}
