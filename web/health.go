package web

import (
	"context"
	"net/http"
	"time"
)

// healthz answers 200 while the process serves HTTP: a liveness probe.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyz runs every readiness check (store, Redis) and answers 503 naming those that
// fail.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	checks := map[string]string{}
	status := http.StatusOK
	for _, c := range s.checks {
		if err := c.Fn(ctx); err != nil {
			checks[c.Name] = err.Error()
			status = http.StatusServiceUnavailable
			s.log.Warn("readiness check failed", "check", c.Name, "err", err)
		} else {
			checks[c.Name] = "ok"
		}
	}
	state := "ready"
	if status != http.StatusOK {
		state = "unavailable"
	}
	writeJSON(w, status, map[string]any{"status": state, "checks": checks})
}
