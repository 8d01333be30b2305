// Package web is the hub's HTTP surface: the versioned JSON API, health and metrics
// endpoints, and (as they come) the agent app, the visitor widget and provider webhooks.
//
// All routes of the API are declared in one function (routes). Handlers return an error
// that one adapter maps to a status and the JSON error shape
// {"error":{"code":"…","message":"…"}}; every request body is capped.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Config is the server section of the configuration.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// PublicURL is how people and providers reach the hub (behind a proxy, the proxy's
	// URL); it defaults to http://Addr.
	PublicURL string `yaml:"public_url"`
	// MaxBodyBytes caps JSON request bodies.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds how long in-flight requests may finish after a stop signal.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Defaults for Config.
const (
	DefaultAddr = "127.0.0.1:8080"
	// DefaultMaxBodyBytes: 1 MiB holds a 256 KiB message with JSON escaping to spare.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultShutdownTimeout: long enough for in-flight ingests, short enough for a
	// service manager's stop timeout.
	DefaultShutdownTimeout = 10 * time.Second
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	return c
}

// URL returns the hub's public base URL, without a trailing slash.
func (c Config) URL() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	return "http://" + c.Addr
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("server.public_url: %q is not an http(s) URL", c.PublicURL)
		}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("server.addr: %q is not host:port: %w", c.Addr, err)
	}
	if c.MaxBodyBytes < 1024 {
		return errors.New("server.max_body_bytes: must be at least 1024")
	}
	if c.ShutdownTimeout < 0 {
		return errors.New("server.shutdown_timeout: must not be negative")
	}
	return nil
}

// Inbox is what the web layer needs of the inbox.
type Inbox interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
	Authenticate(ctx context.Context, secret string) (inbox.User, error)
	Conversations(ctx context.Context, actor inbox.User, q inbox.ConversationQuery) ([]inbox.Conversation, *inbox.Cursor, error)
	Conversation(ctx context.Context, actor inbox.User, id int64) (inbox.ConversationDetail, error)
	UpdateConversation(ctx context.Context, actor inbox.User, id int64, p inbox.Patch) (inbox.Conversation, error)
	Reply(ctx context.Context, actor inbox.User, id int64, in inbox.ReplyInput) (inbox.Message, error)
}

// Check is a named readiness probe (the store, Redis).
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Server serves the hub's HTTP surface. Build it with New, then Listen and Serve (or
// Run). Safe for concurrent use once built.
type Server struct {
	cfg      Config
	inbox    Inbox
	log      *slog.Logger
	checks   []Check
	gatherer prometheus.Gatherer
	metrics  *httpMetrics
	handler  http.Handler
	extra    []Route
	search   Searcher
	saved    SavedSearches
}

// Route is a handler mounted by another package (a webhook, the agent app).
type Route struct {
	// Pattern is a net/http.ServeMux pattern with method, e.g. "POST /hooks/slack/events".
	Pattern string
	Handler http.Handler
}

// Deps are the Server's collaborators.
type Deps struct {
	Inbox  Inbox
	Logger *slog.Logger
	// Checks run on /readyz.
	Checks []Check
	// Registry receives the HTTP metrics and is served on /metrics.
	Registry *prometheus.Registry
	// Routes are extra handlers, mounted as given.
	Routes []Route
	// Search serves /api/v1/search; nil answers 503.
	Search Searcher
	// SavedSearches keeps users' saved searches; nil answers 503.
	SavedSearches SavedSearches
}

// New builds the server.
func New(cfg Config, d Deps) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		inbox:    d.Inbox,
		log:      d.Logger.With("component", "web"),
		checks:   d.Checks,
		gatherer: d.Registry,
		extra:    d.Routes,
		search:   d.Search,
		saved:    d.SavedSearches,
	}
	m, err := newHTTPMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.handler = s.routes()
	return s, nil
}

// Handler returns the root handler, with every middleware.
func (s *Server) Handler() http.Handler { return s.handler }

// routes declares every route of the server.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h func(w http.ResponseWriter, r *http.Request, u inbox.User) error) {
		mux.Handle(pattern, s.authenticated(h))
	}
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.gatherer, promhttp.HandlerOpts{}))

	api("POST /api/v1/inbound", s.inboundCreate)
	api("GET /api/v1/conversations", s.conversationList)
	api("GET /api/v1/conversations/{id}", s.conversationShow)
	api("PATCH /api/v1/conversations/{id}", s.conversationUpdate)
	api("POST /api/v1/conversations/{id}/messages", s.messageCreate)
	s.searchRoutes(api)

	for _, rt := range s.extra {
		mux.Handle(rt.Pattern, rt.Handler)
	}
	return s.recoverer(s.instrument(securityHeaders(jsonMuxErrors(mux))))
}

// Listen opens the listening socket (so callers learn the real address before serving).
func (s *Server) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen on %s: %w", s.cfg.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then stops accepting and waits up to the shutdown
// timeout for in-flight requests.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("web: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("web: serve: %w", err)
	}
	return nil
}

// Run listens and serves until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}
