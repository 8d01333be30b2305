// Package telephony connects a telephony provider (Twilio, or any service speaking its
// webhook dialect) and other switchboards to the inbox: calls, voicemails and SMS come
// in through signed webhooks, agents' SMS replies go out through the provider's REST API.
//
// Webhooks (below Config.Path, mounted by cmd/frontdesk):
//
//	POST /voice              a call comes in: answer with TwiML (greeting, then the desk
//	                         numbers in office hours, else voicemail)
//	POST /voice/dial         the desk's Dial ended: answered, or voicemail
//	POST /voice/status       call status callback: records calls that ended unanswered
//	POST /voice/voicemail    a voicemail was recorded
//	POST /voice/transcription its transcription is ready
//	POST /sms                an SMS came in
//	POST /sms/status         an outbound SMS's status callback
//	POST /events             the generic webhook of other switchboards (JSON, HMAC-SHA256)
//
// Invariants: every provider request must carry a valid X-Twilio-Signature computed
// over the public URL (Config.PublicURL, else the server's) and its POST parameters;
// anything else is refused with 403 and logged. Every webhook is idempotent on the
// provider's ids (CallSid, RecordingSid, MessageSid): a replay answers the same and
// writes nothing. TwiML is built from typed values (twiml.go). Logs carry no phone
// numbers, names or message text.
package telephony

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

// Inbox is what the webhooks need of the inbox.
type Inbox interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
	RecordCall(ctx context.Context, c inbox.Call) (inbox.IngestResult, error)
	ReviseInbound(ctx context.Context, channel, externalID string, edit func(old string) string) error
	ReportDelivery(ctx context.Context, r inbox.DeliveryReport) error
}

// Route is a webhook to mount: a net/http.ServeMux pattern with its method, and its
// handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Handler serves the webhooks. Safe for concurrent use.
type Handler struct {
	cfg      Config
	inbox    Inbox
	log      *slog.Logger
	schedule *calendar.Calendar
	desk     []string
	// base is the public URL of Config.Path, as signed by the provider.
	base string
	now  func() time.Time
}

// Option changes a Handler at construction.
type Option func(*Handler)

// WithClock makes the Handler read time from now (office hours, PBX timestamps in tests).
func WithClock(now func() time.Time) Option { return func(h *Handler) { h.now = now } }

// New returns the webhooks' handler. publicURL is the server's public base URL, used
// unless cfg.PublicURL is set. cfg is completed with defaults and validated.
func New(cfg Config, in Inbox, publicURL string, logger *slog.Logger, opts ...Option) (*Handler, error) {
	cfg = cfg.WithDefaults()
	cfg.Enabled = true
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sched, err := calendar.New(cfg.OfficeHours)
	if err != nil {
		return nil, fmt.Errorf("telephony.office_hours.%w", err)
	}
	h := &Handler{cfg: cfg, inbox: in, log: logger.With("component", "telephony"), schedule: sched, now: time.Now}
	for _, n := range cfg.DeskNumbers {
		t, _ := deskTarget(n)
		h.desk = append(h.desk, t)
	}
	if cfg.PublicURL != "" {
		publicURL = cfg.PublicURL
	}
	h.base = strings.TrimSuffix(publicURL, "/") + cfg.Path
	for _, o := range opts {
		o(h)
	}
	return h, nil
}

// Routes returns the webhooks to mount: the provider's when an auth token is set, the
// generic one when a PBX secret is.
func (h *Handler) Routes() []Route {
	var out []Route
	add := func(path string, hf http.Handler) { out = append(out, Route{"POST " + h.cfg.Path + path, hf}) }
	if h.cfg.AuthToken != "" {
		add("/voice", h.signed(h.voice))
		add("/voice/dial", h.signed(h.voiceDial))
		add("/voice/status", h.signed(h.voiceStatus))
		add("/voice/voicemail", h.signed(h.voicemail))
		add("/voice/transcription", h.signed(h.transcription))
		add("/sms", h.signed(h.sms))
		add("/sms/status", h.signed(h.smsStatus))
	}
	if h.cfg.PBX.Secret != "" {
		add("/events", http.HandlerFunc(h.pbxEvent))
	}
	return out
}

// url returns the public URL of a webhook path (and query).
func (h *Handler) url(path string) string { return h.base + path }

// webhookError is an HTTP error with the JSON error shape.
type webhookError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *webhookError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func refuse(status int, code, format string, args ...any) *webhookError {
	return &webhookError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// missing reports a required form or JSON field.
func missing(field string) *webhookError {
	return &webhookError{Status: http.StatusBadRequest, Code: "missing_field", Field: field, Message: field + " is required"}
}

// writeError answers err in the JSON error shape of the API and logs it.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *webhookError
	var inv *inbox.InvalidError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &e):
	case errors.As(err, &inv):
		e = &webhookError{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: inv.Message, Field: inv.Field}
	case errors.As(err, &mbe):
		e = refuse(http.StatusRequestEntityTooLarge, "payload_too_large", "request body larger than %d bytes", mbe.Limit)
	case errors.Is(err, inbox.ErrNotFound):
		e = refuse(http.StatusNotFound, "not_found", "no such message")
	default:
		e = refuse(http.StatusInternalServerError, "internal", "internal error; it has been logged")
	}
	if e.Status >= 500 {
		h.log.Error("webhook failed", "path", r.URL.Path, "status", e.Status, "err", err)
	} else {
		// The code and field say what was wrong; the message may quote the caller's input.
		h.log.Warn("webhook refused", "path", r.URL.Path, "status", e.Status, "code", e.Code, "field", e.Field)
	}
	body := map[string]map[string]string{"error": {"code": e.Code, "message": e.Message}}
	if e.Field != "" {
		body["error"]["field"] = e.Field
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

// writeTwiML answers a TwiML document.
func (h *Handler) writeTwiML(w http.ResponseWriter, r *http.Request, resp Response) {
	body, err := resp.Marshal()
	if err != nil {
		h.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

// signed adapts a provider webhook: it reads the form body (capped), refuses requests
// without a valid X-Twilio-Signature, and writes fn's error in the JSON error shape.
func (h *Handler) signed(fn func(w http.ResponseWriter, r *http.Request, form url.Values) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		form, err := h.verify(w, r)
		if err == nil {
			err = fn(w, r, form)
		}
		if err != nil {
			h.writeError(w, r, err)
		}
	})
}

// verify checks the request's signature and returns its POST parameters.
func (h *Handler) verify(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return nil, refuse(http.StatusForbidden, "forbidden", "missing X-Twilio-Signature")
	}
	form, err := readForm(w, r, h.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	if !ValidSignature(h.cfg.AuthToken, sig, h.requestURL(r), form) {
		return nil, refuse(http.StatusForbidden, "forbidden", "invalid X-Twilio-Signature for this URL and body")
	}
	return form, nil
}

// requestURL is the public URL the provider requested: our public origin and the
// request target exactly as received.
func (h *Handler) requestURL(r *http.Request) string {
	target := r.RequestURI
	if !strings.HasPrefix(target, "/") {
		target = r.URL.RequestURI()
	}
	return h.base[:len(h.base)-len(h.cfg.Path)] + target
}

// readForm reads an application/x-www-form-urlencoded body of at most max bytes.
func readForm(w http.ResponseWriter, r *http.Request, max int64) (url.Values, error) {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/x-www-form-urlencoded" {
		return nil, refuse(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/x-www-form-urlencoded")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return nil, fmt.Errorf("telephony: read body: %w", err)
	}
	return ParseForm(raw)
}

// ParseForm decodes a form body, refusing malformed escapes and more than a thousand
// fields.
func ParseForm(raw []byte) (url.Values, error) {
	if n := strings.Count(string(raw), "&"); n >= 1000 {
		return nil, refuse(http.StatusBadRequest, "invalid_form", "more than 1000 form fields")
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, refuse(http.StatusBadRequest, "invalid_form", "malformed form body")
	}
	return form, nil
}

// field returns a form field trimmed and cut to max bytes of valid UTF-8.
func field(form url.Values, name string, max int) string {
	v := strings.ToValidUTF8(strings.TrimSpace(form.Get(name)), "\uFFFD")
	if len(v) > max {
		v = v[:max]
		v = strings.ToValidUTF8(v, "")
	}
	return v
}

// required returns a required form field, or a missing_field error.
func required(form url.Values, name string) (string, error) {
	v := field(form, name, 200)
	if v == "" {
		return "", missing(name)
	}
	return v, nil
}
