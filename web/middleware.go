package web

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// recoverer turns a handler panic into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				writeError(w, r, s.log, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets the headers every response carries. Pages served later set
// their own, stricter-where-possible Content-Security-Policy.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer (hijack, flush, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection over (websocket upgrades, which look for http.Hijacker
// on the writer itself).
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

// httpMetrics are the request metrics exported on /metrics.
type httpMetrics struct {
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "frontdesk_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route pattern and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "code"}),
	}
	if err := reg.Register(m.duration); err != nil {
		return nil, fmt.Errorf("web: register metrics: %w", err)
	}
	return m, nil
}

// instrument measures each request and logs failures; successful requests are logged
// at debug level only, to keep logs useful at thousands of requests a second.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		took := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.metrics.duration.WithLabelValues(route, strconv.Itoa(sw.status)).Observe(took.Seconds())
		if sw.status >= 500 {
			s.log.Error("request", "method", r.Method, "route", route, "status", sw.status, "took", took)
		} else {
			s.log.Debug("request", "method", r.Method, "route", route, "status", sw.status, "took", took)
		}
	})
}

// jsonMuxErrors replaces the ServeMux's plain-text 404 and 405 answers under /api/ with
// the JSON error shape.
func jsonMuxErrors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r)
			return
		}
		// The mux would answer a path not in its clean form (/api//v1/me, /api/v1/./me)
		// with an HTML redirect, which an API client does not follow on a POST.
		if clean := path.Clean(r.URL.Path); clean != r.URL.Path && clean+"/" != r.URL.Path {
			writeJSON(w, http.StatusNotFound, errorBody{Error: errorDetail{Code: "not_found",
				Message: "no such API route; did you mean " + clean + "?"}})
			return
		}
		next.ServeHTTP(&muxErrorWriter{ResponseWriter: w}, r)
	})
}

type muxErrorWriter struct {
	http.ResponseWriter
	swallow bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	h := w.Header()
	if (code == http.StatusMethodNotAllowed || code == http.StatusNotFound) && strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		w.swallow = true
		d := errorDetail{Code: "not_found", Message: "no such API route"}
		if code == http.StatusMethodNotAllowed {
			d = errorDetail{Code: "method_not_allowed", Message: "method not allowed; allowed: " + h.Get("Allow")}
		}
		writeJSON(w.ResponseWriter, code, errorBody{Error: d})
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if w.swallow {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *muxErrorWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
