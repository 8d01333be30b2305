package web

import (
	"context"
	"net/http"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// contactInbox is the inbox's side of a data subject's rights (GDPR): find, export,
// erase a contact, and the audit log of those operations.
type contactInbox interface {
	FindContact(ctx context.Context, actor inbox.User, kind channels.IdentityKind, value string) (inbox.Contact, error)
	ExportContact(ctx context.Context, actor inbox.User, id int64, reason string) (inbox.ContactExport, error)
	EraseContact(ctx context.Context, actor inbox.User, id int64, reason string) (inbox.Erasure, error)
	AuditLog(ctx context.Context, actor inbox.User, q inbox.AuditQuery) ([]inbox.AuditEntry, error)
}

// contacts returns the inbox's contact data side, for administrators only.
func (s *Server) contacts(u inbox.User) (contactInbox, error) {
	if err := requireRole(u, inbox.RoleAdmin); err != nil {
		return nil, err
	}
	c, ok := s.inbox.(contactInbox)
	if !ok {
		return nil, apiError(http.StatusNotImplemented, "not_implemented", "contact data requests are not available on this server")
	}
	return c, nil
}
