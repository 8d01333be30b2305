package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageInbox is what the phone message endpoints need of the inbox. It is asked
// of Deps.Inbox by type assertion, so Inbox implementations without phone messages
// (test doubles) keep working; the endpoints then answer 501.
type phoneMessageInbox interface {
	CreatePhoneMessage(ctx context.Context, actor inbox.User, in inbox.NewPhoneMessage) (inbox.PhoneMessage, bool, error)
	PhoneMessages(ctx context.Context, actor inbox.User, l inbox.PhoneMessageList) ([]inbox.PhoneMessage, int64, error)
	PhoneMessage(ctx context.Context, actor inbox.User, id int64) (inbox.PhoneMessageDetail, error)
	AcknowledgePhoneMessage(ctx context.Context, actor inbox.User, id int64) (inbox.PhoneMessage, error)
	CompletePhoneMessageCallback(ctx context.Context, actor inbox.User, id int64, note string) (inbox.PhoneMessage, error)
}

// phoneMessages returns the inbox's phone message side.
func (s *Server) phoneMessages() (phoneMessageInbox, error) {
	pm, ok := s.inbox.(phoneMessageInbox)
	if !ok {
		return nil, apiError(http.StatusNotImplemented, "not_implemented", "phone messages are not available on this server")
	}
	return pm, nil
}

// phoneMessageRequest is the body of POST /api/v1/phone-messages.
type phoneMessageRequest struct {
	CallerName        string        `json:"caller_name"`
	Organisation      string        `json:"organisation"`
	Phone             string        `json:"phone"`
	Email             string        `json:"email"`
	RecipientUserID   int64         `json:"recipient_user_id"`
	RecipientTeamID   int64         `json:"recipient_team_id"`
	Subject           string        `json:"subject"`
	Text              string        `json:"text"`
	Urgency           inbox.Urgency `json:"urgency"`
	CallbackRequested bool          `json:"callback_requested"`
	// CallbackBefore is RFC 3339.
	CallbackBefore string `json:"callback_before"`
	ConversationID int64  `json:"conversation_id"`
	IdempotencyKey string `json:"idempotency_key"`
}

// input checks the request's own syntax and returns the inbox's input.
func (p phoneMessageRequest) input() (inbox.NewPhoneMessage, error) {
	in := inbox.NewPhoneMessage{
		CallerName: p.CallerName, Organisation: p.Organisation, Phone: p.Phone, Email: p.Email,
		RecipientUserID: p.RecipientUserID, RecipientTeamID: p.RecipientTeamID, Subject: p.Subject, Text: p.Text,
		Urgency: p.Urgency, CallbackRequested: p.CallbackRequested, ConversationID: p.ConversationID,
		IdempotencyKey: p.IdempotencyKey,
	}
	if strings.TrimSpace(p.Subject) == "" {
		return in, missing("subject")
	}
	if p.RecipientUserID == 0 && p.RecipientTeamID == 0 {
		return in, missing("recipient_user_id")
	}
	if p.CallbackBefore != "" {
		t, err := time.Parse(time.RFC3339, p.CallbackBefore)
		if err != nil {
			return in, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "callback_before",
				Message: "callback_before must be an RFC 3339 time, such as 2026-11-27T16:00:00+01:00"}
		}
		in.CallbackBefore = &t
	}
	return in, nil
}

type phoneMessagePage struct {
	PhoneMessages []inbox.PhoneMessage `json:"phone_messages"`
	NextCursor    string               `json:"next_cursor,omitempty"`
}

// parsePhoneMessageList reads the list's query parameters.
func parsePhoneMessageList(r *http.Request) (inbox.PhoneMessageList, error) {
	v := r.URL.Query()
	l := inbox.PhoneMessageList{Box: v.Get("box")}
	for _, st := range strings.Split(v.Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			l.Statuses = append(l.Statuses, inbox.PhoneMessageStatus(st))
		}
	}
	var err error
	if l.ContactID, err = optionalID(v, "contact"); err != nil {
		return l, err
	}
	if l.BeforeID, err = optionalID(v, "cursor"); err != nil {
		return l, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "cursor", Message: "cursor is malformed"}
	}
	if s := v.Get("limit"); s != "" {
		if l.Limit, err = strconv.Atoi(s); err != nil || l.Limit < 1 {
			return l, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "limit", Message: "limit must be a whole number, at least 1"}
		}
	}
	return l, nil
}
