package telephony

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// maxMedia bounds the MMS media links copied into a message.
const maxMedia = 10

// sms ingests an inbound SMS into the sender's SMS conversation (ThreadKey = their
// number) and answers empty TwiML (no automatic reply).
func (h *Handler) sms(w http.ResponseWriter, r *http.Request, form url.Values) error {
	sid := field(form, "MessageSid", 200)
	if sid == "" {
		sid = field(form, "SmsSid", 200)
	}
	if sid == "" {
		return missing("MessageSid")
	}
	rawFrom, err := required(form, "From")
	if err != nil {
		return err
	}
	from := channels.Identity{Kind: channels.KindPhone, Value: rawFrom}
	if n, ok := inbox.NormalizePhone(rawFrom, ""); ok {
		from.Value = n
	} else {
		// An alphanumeric sender (a company's name): stored, but no reply can reach it.
		from = channels.Identity{Kind: channels.KindAPI, Value: "sms-sender:" + rawFrom, Name: rawFrom}
	}
	text := field(form, "Body", 8000)
	n, _ := strconv.Atoi(field(form, "NumMedia", 4))
	var links []string
	for i := range min(n, maxMedia) {
		u := field(form, fmt.Sprintf("MediaUrl%d", i), 2000)
		if pu, err := url.Parse(u); err == nil && (pu.Scheme == "https" || pu.Scheme == "http") {
			links = append(links, "Pièce jointe : "+u)
		}
	}
	if len(links) > 0 {
		text = strings.TrimSpace(text + "\n" + strings.Join(links, "\n"))
	}
	if text == "" {
		text = "(SMS vide)"
	}
	env := channels.Envelope{
		Channel:    channels.SMS,
		ExternalID: sid,
		Account:    account(form),
		ThreadKey:  from.Value,
		From:       from,
		Text:       text,
	}
	res, err := h.inbox.Ingest(r.Context(), env)
	if err != nil {
		return fmt.Errorf("telephony: sms: %w", err)
	}
	if !res.Duplicate {
		h.log.Info("sms stored", "message", sid, "conversation_id", res.ConversationID)
	}
	h.writeTwiML(w, r, Response{})
	return nil
}

// smsDeliveryStatus maps the provider's message statuses to delivery statuses; those
// absent (queued, sending, accepted, scheduled) say nothing new.
var smsDeliveryStatus = map[string]string{
	"sent":        inbox.DeliverySent,
	"delivered":   inbox.DeliveryDelivered,
	"read":        inbox.DeliveryDelivered,
	"undelivered": inbox.DeliveryFailed,
	"failed":      inbox.DeliveryFailed,
	"canceled":    inbox.DeliveryFailed,
}

// smsStatus applies an outbound SMS's status callback to its message, found by
// MessageSid or by the message_id our Sender put in the callback URL.
func (h *Handler) smsStatus(w http.ResponseWriter, r *http.Request, form url.Values) error {
	sid, err := required(form, "MessageSid")
	if err != nil {
		return err
	}
	status, err := required(form, "MessageStatus")
	if err != nil {
		return err
	}
	st, ok := smsDeliveryStatus[status]
	if !ok {
		h.writeTwiML(w, r, Response{})
		return nil
	}
	q := r.URL.Query()
	id, _ := strconv.ParseInt(q.Get("message_id"), 10, 64)
	channel := q.Get("channel")
	if channel != channels.Telephony {
		channel = channels.SMS
	}
	rep := inbox.DeliveryReport{Channel: channel, ExternalID: sid, MessageID: id, Status: st}
	if st == inbox.DeliveryFailed {
		rep.Reason = "provider status " + status
		if code := field(form, "ErrorCode", 12); code != "" {
			rep.Reason += ", error " + code
		}
	}
	if err := h.inbox.ReportDelivery(r.Context(), rep); err != nil {
		return fmt.Errorf("telephony: sms status: %w", err)
	}
	h.writeTwiML(w, r, Response{})
	return nil
}
