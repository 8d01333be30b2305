package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Error is an API error with its HTTP status and machine-readable code. Handlers return
// it (or an inbox sentinel, which errorResponse maps) and apiHandler writes
// {"error": {"code": ..., "message": ...}}.
type Error struct {
	Status  int
	Code    string
	Message string
	// Field names the offending input field, when there is one.
	Field string
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// apiError builds an *Error.
func apiError(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// errorResponse maps err to what the client sees. Unknown errors become a 500 whose
// message reveals nothing; the caller logs the real one.
func errorResponse(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var inv *inbox.InvalidError
	switch {
	case errors.As(err, &inv):
		return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: inv.Message, Field: inv.Field}
	case errors.Is(err, inbox.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "no such resource, or not yours to see")
	case errors.Is(err, inbox.ErrForbidden):
		return apiError(http.StatusForbidden, "forbidden", "your role does not allow this")
	case errors.Is(err, inbox.ErrUnauthorized):
		return apiError(http.StatusUnauthorized, "unauthorized", "missing, unknown or revoked credentials")
	case errors.Is(err, inbox.ErrDuplicate):
		return apiError(http.StatusConflict, "conflict", "already exists")
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return apiError(http.StatusRequestEntityTooLarge, "payload_too_large", "request body larger than %d bytes", mbe.Limit)
	}
	return apiError(http.StatusInternalServerError, "internal", "internal error; it has been logged")
}

// writeError writes err as the JSON error shape and logs it.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	e := errorResponse(err)
	level := slog.LevelInfo
	if e.Status >= 500 {
		level = slog.LevelError
	}
	log.Log(r.Context(), level, "request failed", "method", r.Method, "path", r.URL.Path,
		"status", e.Status, "code", e.Code, "err", err)
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="frontdesk"`)
	}
	writeJSON(w, e.Status, errorBody{Error: errorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Encoded before anything is sent: a value JSON cannot write (a time past year
	// 9999) is a bug that must answer 500, logged by the recoverer, never a 200 with
	// an empty body.
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("web: encode the response: %w", err))
	}
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
