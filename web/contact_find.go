package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// contactFind answers GET /api/v1/contacts?identity=VALUE[&kind=email|phone|slack|visitor]:
// the contact a person is known as, from the address or number they gave (any usual
// phone form). Without kind, a value with @ is an email address, one made of digits,
// spaces, dots, dashes, parentheses and + a phone number. Administrators only.
func (s *Server) contactFind(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	ci, err := s.contacts(u)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	value := strings.TrimSpace(q.Get("identity"))
	if value == "" {
		return missing("identity")
	}
	kind := channels.IdentityKind(q.Get("kind"))
	switch {
	case kind != "":
	case strings.Contains(value, "@"):
		kind = channels.KindEmail
	case strings.Trim(value, "+0123456789 .-()") == "":
		kind = channels.KindPhone
	default:
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "kind",
			Message: "say which kind of identity this is: email, phone, slack or visitor"}
	}
	c, err := ci.FindContact(r.Context(), u, kind, value)
	var inv *inbox.InvalidError
	if errors.As(err, &inv) {
		// The identity rules name a sender's fields (from.kind, from.address): here
		// they are this request's parameters.
		field := "identity"
		if inv.Field == "from.kind" {
			field = "kind"
		}
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Field: field, Message: inv.Message}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}
