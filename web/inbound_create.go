package web

import (
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// inboundRequest is the body of POST /api/v1/inbound.
type inboundRequest struct {
	ExternalID string `json:"external_id"`
	From       struct {
		Name    string `json:"name"`
		Address string `json:"address"`
	} `json:"from"`
	Subject   string `json:"subject"`
	Text      string `json:"text"`
	ThreadKey string `json:"thread_key"`
}

type inboundResponse struct {
	MessageID      int64 `json:"message_id"`
	ConversationID int64 `json:"conversation_id"`
}

// inboundCreate ingests one message from an integration on the "api" channel: 201 when
// stored, 200 with the same ids when it had been stored before (a replay).
func (s *Server) inboundCreate(w http.ResponseWriter, r *http.Request, _ inbox.User) error {
	var req inboundRequest
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	switch {
	case strings.TrimSpace(req.ExternalID) == "":
		return missing("external_id")
	case strings.TrimSpace(req.From.Address) == "":
		return missing("from.address")
	case strings.TrimSpace(req.Text) == "":
		return missing("text")
	}
	env := channels.Envelope{
		Channel:    channels.API,
		ExternalID: req.ExternalID,
		ThreadKey:  req.ThreadKey,
		From:       channels.Identity{Kind: addressKind(req.From.Address), Value: req.From.Address, Name: req.From.Name},
		Subject:    req.Subject,
		Text:       req.Text,
	}
	res, err := s.inbox.Ingest(r.Context(), env)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	writeJSON(w, status, inboundResponse{MessageID: res.MessageID, ConversationID: res.ConversationID})
	return nil
}

// addressKind guesses what an integration's sender address is: an email address, a
// phone number, or the integration's own key for the person.
func addressKind(a string) channels.IdentityKind {
	a = strings.TrimSpace(a)
	if strings.Contains(a, "@") {
		return channels.KindEmail
	}
	if _, ok := inbox.NormalizePhone(a, ""); ok && strings.IndexFunc(a, func(r rune) bool {
		return !strings.ContainsRune("+0123456789 .-()/", r)
	}) < 0 {
		return channels.KindPhone
	}
	return channels.KindAPI
}
