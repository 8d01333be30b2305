package telephony_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// restServer plays the provider's REST API: it records every Messages.json request and
// answers with the scripted statuses in turn (201 with a new sid once they run out).
type restServer struct {
	*httptest.Server
	mu       sync.Mutex
	script   []int
	requests []restRequest
	accepted int
}

type restRequest struct {
	path, user, pass string
	form             url.Values
}

func newRESTServer(t *testing.T, script ...int) *restServer {
	s := &restServer{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *restServer) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(raw))
	user, pass, _ := r.BasicAuth()
	s.mu.Lock()
	s.requests = append(s.requests, restRequest{path: r.URL.Path, user: user, pass: pass, form: form})
	status := http.StatusCreated
	if len(s.script) > 0 {
		status, s.script = s.script[0], s.script[1:]
	}
	if status == http.StatusCreated {
		s.accepted++
	}
	n := s.accepted
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status == -1: // drop the connection: a network error
		hj, _ := w.(http.Hijacker)
		conn, _, _ := hj.Hijack()
		conn.Close()
	case status < 300:
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"sid": fmt.Sprintf("SM%032d", n), "status": "queued", "to": form.Get("To")})
	default:
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(map[string]any{"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": status})
	}
}

func (s *restServer) sent() []restRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]restRequest(nil), s.requests...)
}

func (r restRequest) String() string {
	return r.path + " " + strings.ReplaceAll(r.form.Encode(), "&", " ")
}
