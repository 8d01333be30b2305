package web

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestWriteJSONUnwritable: a value JSON cannot write (a time past year 9999) answers a
// logged 500 with the JSON error shape, not a 200 with an empty body.
func TestWriteJSONUnwritable(t *testing.T) {
	s := &Server{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	far := time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	h := s.recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"at": far})
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/x", nil))
	var body errorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); rec.Code != http.StatusInternalServerError || err != nil || body.Error.Code != "internal" {
		t.Fatalf("writeJSON(year 10000) = %d %q, want 500 internal", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	writeJSON(rec, http.StatusCreated, map[string]string{"html": "<b>"})
	if rec.Code != http.StatusCreated || rec.Body.String() != `{"html":"\u003cb\u003e"}`+"\n" {
		t.Fatalf("writeJSON = %d %q, want 201 with the HTML escaped", rec.Code, rec.Body.String())
	}
}
