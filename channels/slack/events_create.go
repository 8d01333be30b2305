package slack

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// EventsPattern is the route of the Events API receiver.
const EventsPattern = "POST /hooks/slack/events"

// Handler returns the Events API receiver, to mount at EventsPattern.
func (h *Hub) Handler() http.Handler { return http.HandlerFunc(h.eventsCreate) }

// eventsCreate receives one Events API request: it reads the body once (capped),
// verifies the signature before anything else, answers url_verification, and stores
// an event_callback durably before acknowledging it.
func (h *Hub) eventsCreate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.fail(w, r, http.StatusRequestEntityTooLarge, "payload_too_large", "request body larger than the limit", err)
			return
		}
		h.fail(w, r, http.StatusBadRequest, "unreadable_body", "the request body could not be read", err)
		return
	}
	secret, err := Verify(r.Header, body, h.secrets, h.now())
	if err != nil {
		var ve *VerifyError
		errors.As(err, &ve)
		h.fail(w, r, http.StatusUnauthorized, ve.Code, ve.Message, err)
		return
	}
	cb, err := DecodeCallback(body)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "invalid_event", "the body is not an Events API callback", err)
		return
	}
	switch cb.Type {
	case TypeURLVerification:
		writeJSON(w, http.StatusOK, map[string]string{"challenge": cb.Challenge})
		return
	case TypeAppRateLimited:
		h.log.Warn("slack is rate limiting our events", "team", cb.TeamID)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	case TypeEventCallback:
	default:
		h.log.Info("callback type ignored", "type", cb.Type)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	}
	ws, ok := h.ws[cb.TeamID]
	if !ok {
		// Signed by our app, for a workspace not configured: acknowledge so that
		// Slack stops retrying, store nothing.
		h.log.Warn("event of an unconfigured workspace ignored", "team", cb.TeamID)
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	}
	if ws.secret != secret {
		h.fail(w, r, http.StatusUnauthorized, CodeInvalidSignature, "the signature is not the workspace's", errors.New("slack: signed with another workspace's secret"))
		return
	}
	retry := r.Header.Get(HeaderRetryNum)
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.AckTimeout)
	defer cancel()
	now := h.now().UTC()
	err = h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		return tx.AddSlackEvent(ctx, inbox.SlackEvent{EventID: cb.EventID, TeamID: cb.TeamID, Body: body, ReceivedAt: now})
	})
	switch {
	case errors.Is(err, inbox.ErrDuplicate):
		h.log.Info("duplicate event acknowledged", "team", cb.TeamID, "event_id", cb.EventID, "retry", retry, "retry_reason", r.Header.Get(HeaderRetryReason))
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "duplicate": true})
		return
	case err != nil:
		// Not stored: Slack retries, and the retry is stored then.
		h.fail(w, r, http.StatusServiceUnavailable, "unavailable", "the event could not be stored; retry later", err)
		return
	}
	h.notify()
	h.log.Debug("event stored", "team", cb.TeamID, "event_id", cb.EventID, "retry", retry)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// fail writes the JSON error shape and logs why.
func (h *Hub) fail(w http.ResponseWriter, r *http.Request, status int, code, msg string, err error) {
	level := h.log.Info
	if status >= 500 {
		level = h.log.Error
	}
	level("slack request refused", "status", status, "code", code, "remote", r.RemoteAddr, "err", err)
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
