package telephony

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// The generic webhook lets any switchboard or PBX report calls, voicemails and SMS as
// JSON events, one per request, signed with a shared secret (docs/telephony.md):
//
//	X-Frontdesk-Timestamp: <Unix seconds>
//	X-Frontdesk-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>

// PBX event types.
const (
	EventCallAnswered = "call.answered"
	EventCallMissed   = "call.missed"
	EventVoicemail    = "voicemail"
	EventSMS          = "sms.received"
)

// pbxPrefix namespaces the PBX's ids apart from the provider's.
const pbxPrefix = "pbx:"

// PBXEvent is one event of the generic webhook.
type PBXEvent struct {
	// ID is the PBX's unique id of the event: a retried event reuses it.
	ID   string `json:"id"`
	Type string `json:"type"`
	// CallID is the PBX's id of the call (call.* and voicemail): a call's outcome is
	// recorded once.
	CallID     string `json:"call_id,omitempty"`
	From       string `json:"from"`
	To         string `json:"to,omitempty"`
	CallerName string `json:"caller_name,omitempty"`
	// StartedAt is when the call began or the SMS arrived (RFC 3339).
	StartedAt       *time.Time `json:"started_at,omitempty"`
	DurationSeconds int        `json:"duration_seconds,omitempty"`
	AnsweredBy      string     `json:"answered_by,omitempty"`
	// Reason says why a call was missed: no-answer, busy, closed, hung-up.
	Reason        string `json:"reason,omitempty"`
	RecordingURL  string `json:"recording_url,omitempty"`
	Transcription string `json:"transcription,omitempty"`
	// Text is an SMS's body.
	Text string `json:"text,omitempty"`
}

// DecodePBXEvent parses one event strictly: a single JSON object, no unknown fields,
// and the fields its type needs.
func DecodePBXEvent(body []byte) (PBXEvent, error) {
	var e PBXEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return e, &webhookError{Status: http.StatusBadRequest, Code: "wrong_type", Field: typ.Field, Message: fmt.Sprintf("%s has the wrong JSON type", typ.Field)}
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name = strings.Trim(name, `"`)
			return e, &webhookError{Status: http.StatusBadRequest, Code: "unknown_field", Field: name, Message: fmt.Sprintf("unknown field %q", name)}
		}
		return e, refuse(http.StatusBadRequest, "invalid_json", "malformed JSON event")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return e, refuse(http.StatusBadRequest, "invalid_json", "the body must hold a single JSON object")
	}
	switch {
	case strings.TrimSpace(e.ID) == "":
		return e, missing("id")
	case len(e.ID) > 200 || len(e.CallID) > 200:
		return e, &webhookError{Status: http.StatusBadRequest, Code: "invalid", Field: "id", Message: "ids are at most 200 bytes"}
	case strings.TrimSpace(e.From) == "":
		return e, missing("from")
	case e.DurationSeconds < 0:
		return e, &webhookError{Status: http.StatusBadRequest, Code: "invalid", Field: "duration_seconds", Message: "duration_seconds must not be negative"}
	}
	switch e.Type {
	case EventCallAnswered, EventCallMissed:
		if e.CallID == "" {
			return e, missing("call_id")
		}
	case EventVoicemail:
		if e.RecordingURL == "" && e.Transcription == "" {
			return e, missing("recording_url")
		}
	case EventSMS:
		if strings.TrimSpace(e.Text) == "" {
			return e, missing("text")
		}
	case "":
		return e, missing("type")
	default:
		return e, &webhookError{Status: http.StatusBadRequest, Code: "invalid", Field: "type",
			Message: fmt.Sprintf("unknown type %q (call.answered, call.missed, voicemail, sms.received)", e.Type)}
	}
	return e, nil
}

// pbxEvent serves the generic webhook.
func (h *Handler) pbxEvent(w http.ResponseWriter, r *http.Request) {
	res, err := h.pbx(w, r)
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"message_id": res.MessageID, "conversation_id": res.ConversationID, "duplicate": res.Duplicate})
}

func (h *Handler) pbx(w http.ResponseWriter, r *http.Request) (inbox.IngestResult, error) {
	var res inbox.IngestResult
	ts, sig := r.Header.Get("X-Frontdesk-Timestamp"), r.Header.Get("X-Frontdesk-Signature")
	if ts == "" || sig == "" {
		return res, refuse(http.StatusForbidden, "forbidden", "missing X-Frontdesk-Timestamp or X-Frontdesk-Signature")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return res, refuse(http.StatusForbidden, "forbidden", "X-Frontdesk-Timestamp is not Unix seconds")
	}
	if skew := h.now().Sub(time.Unix(secs, 0)); skew > h.cfg.PBX.MaxSkew || skew < -h.cfg.PBX.MaxSkew {
		return res, refuse(http.StatusForbidden, "forbidden", "timestamp too far from our clock (more than %v)", h.cfg.PBX.MaxSkew)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		return res, fmt.Errorf("telephony: read body: %w", err)
	}
	if !ValidPBXSignature(h.cfg.PBX.Secret, sig, ts, body) {
		return res, refuse(http.StatusForbidden, "forbidden", "invalid X-Frontdesk-Signature")
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		return res, refuse(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the event as application/json")
	}
	e, err := DecodePBXEvent(body)
	if err != nil {
		return res, err
	}
	return h.applyPBX(r, e)
}

// applyPBX stores one verified event.
func (h *Handler) applyPBX(r *http.Request, e PBXEvent) (inbox.IngestResult, error) {
	from := channels.Identity{Kind: channels.KindPhone, Value: e.From, Name: e.CallerName}
	to := e.To
	if n, ok := inbox.NormalizePhone(to, ""); ok {
		to = n
	}
	if n, ok := inbox.NormalizePhone(e.From, ""); ok {
		from.Value = n
	}
	at := h.now()
	if e.StartedAt != nil {
		at = *e.StartedAt
	}
	switch e.Type {
	case EventCallAnswered, EventCallMissed:
		c := inbox.Call{
			Channel: channels.Telephony, ExternalID: pbxPrefix + e.CallID, Account: to, From: from,
			Reason: e.Reason, AnsweredBy: e.AnsweredBy, Duration: time.Duration(e.DurationSeconds) * time.Second, StartedAt: at,
		}
		local := at.In(h.schedule.Location()).Format("02/01/2006 15:04")
		if e.Type == EventCallAnswered {
			c.Outcome, c.Subject = inbox.CallAnswered, "Appel"
			c.Text = fmt.Sprintf("Appel reçu le %s, répondu (%s).", local, minutes(c.Duration))
		} else {
			c.Outcome, c.Subject, c.Priority = inbox.CallMissed, "Appel manqué", h.cfg.MissedCallPriority
			c.Text = fmt.Sprintf("Appel manqué le %s (%s) : rappeler l'appelant.", local, reasonText(c.Reason))
		}
		return h.inbox.RecordCall(r.Context(), c)
	case EventVoicemail:
		text := "Message vocal."
		if e.DurationSeconds > 0 {
			text = fmt.Sprintf("Message vocal (%s).", minutes(time.Duration(e.DurationSeconds)*time.Second))
		}
		if e.Transcription != "" {
			text += "\n" + transcriptionLabel + "« " + strings.TrimSpace(e.Transcription) + " »"
		}
		if e.RecordingURL != "" {
			text += "\n" + recordingLabel + e.RecordingURL
		}
		env := channels.Envelope{Channel: channels.Telephony, ExternalID: pbxPrefix + e.ID, Account: to, ThreadKey: from.Value,
			From: from, Subject: "Message vocal", Text: text, ReceivedAt: at}
		if e.CallID != "" {
			env.References = []string{pbxPrefix + e.CallID}
		}
		return h.inbox.Ingest(r.Context(), env)
	default: // EventSMS
		env := channels.Envelope{Channel: channels.SMS, ExternalID: pbxPrefix + e.ID, Account: to, ThreadKey: from.Value,
			From: from, Text: e.Text, ReceivedAt: at}
		return h.inbox.Ingest(r.Context(), env)
	}
}
