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
	"html/template"
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
	"github.com/frontdeskhq/frontdesk/web/realtime"
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
	// MaxUploadBytes caps a reply sent with files (multipart): the files themselves are
	// capped by inbox.max_attachment_bytes together.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// ShutdownTimeout bounds how long in-flight requests may finish after a stop signal.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// SessionTTL is how long an agent stays signed in.
	SessionTTL time.Duration `yaml:"session_ttl"`
}

// Defaults for Config.
const (
	DefaultAddr = "127.0.0.1:8080"
	// DefaultMaxBodyBytes: 1 MiB holds a 256 KiB message with JSON escaping to spare.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxUploadBytes: the inbox's 25 MiB of files, the text and the form's
	// framing.
	DefaultMaxUploadBytes = 26 << 20
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
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.SessionTTL == 0 {
		c.SessionTTL = inbox.DefaultSessionTTL
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
	if c.SessionTTL < time.Minute {
		return errors.New("server.session_ttl: must be at least 1m")
	}
	return nil
}

// Inbox is what the web layer needs of the inbox.
type Inbox interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
	Conversations(ctx context.Context, actor inbox.User, q inbox.ConversationQuery) ([]inbox.Conversation, *inbox.Cursor, error)
	Conversation(ctx context.Context, actor inbox.User, id int64) (inbox.ConversationDetail, error)
	UpdateConversation(ctx context.Context, actor inbox.User, id int64, p inbox.Patch) (inbox.Conversation, error)
	Reply(ctx context.Context, actor inbox.User, id int64, in inbox.ReplyInput) (inbox.Message, error)
	MarkRead(ctx context.Context, actor inbox.User, id, messageID int64) error
	UnreadCounts(ctx context.Context, actor inbox.User) (map[inbox.View]int, error)
	Attachment(ctx context.Context, actor inbox.User, id int64) (inbox.Attachment, error)
	Accounts
}

// Accounts is the part of the inbox about people and credentials.
type Accounts interface {
	Authenticate(ctx context.Context, secret string) (inbox.User, error)
	Login(ctx context.Context, email, password string) (inbox.User, error)
	NewSession(ctx context.Context, userID int64, userAgent string, ttl time.Duration) (string, inbox.Session, error)
	SessionUser(ctx context.Context, secret string) (inbox.Session, inbox.User, error)
	EndSession(ctx context.Context, secret string) error
	Users(ctx context.Context) ([]inbox.User, error)
	Teams(ctx context.Context) ([]inbox.Team, error)
	CreateUser(ctx context.Context, in inbox.NewUser) (inbox.User, error)
	UpdateUser(ctx context.Context, id int64, p inbox.UserPatch) (inbox.User, error)
	CreateTeam(ctx context.Context, slug, name string) (inbox.Team, error)
	ContactNames(ctx context.Context, ids []int64) (map[int64]string, error)
	MaxReplyFiles() int
	MaxReplyFileBytes() int64
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
	hub      *realtime.Hub
	typing   AgentTyping
	blobs    Blobs
	assets   *assets
	tmpl     *template.Template

	loginIP, loginEmail *limiter
	// mailboxes is the email channel's state, nil without email.
	mailboxes Mailboxes
	router    Router
	search    Searcher
	saved     SavedSearches
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
	// Hub is the realtime hub behind /ws/agent.
	Hub *realtime.Hub
	// Typing, when set, is told when agents type (the webchat adapter).
	Typing AgentTyping
	// Blobs serves attachment content.
	Blobs Blobs
	// Now is the clock (tests); time.Now when nil.
	Now func() time.Time
	// Mailboxes reports the email mailboxes' state; nil when email is off.
	Mailboxes Mailboxes
	// Router serves the routing endpoints (take next, handoffs, dry-run, overview,
	// presence); without it they answer 503.
	Router Router
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
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{
		cfg:        cfg,
		inbox:      d.Inbox,
		log:        d.Logger.With("component", "web"),
		checks:     d.Checks,
		gatherer:   d.Registry,
		extra:      d.Routes,
		hub:        d.Hub,
		typing:     d.Typing,
		blobs:      d.Blobs,
		router:     d.Router,
		search:     d.Search,
		saved:      d.SavedSearches,
		loginIP:    newLimiter(loginFailsPerIP, loginWindow, now),
		loginEmail: newLimiter(loginFailsPerEmail, loginWindow, now),
	}
	if s.hub == nil {
		s.hub = realtime.New(realtime.Config{}, nil, nil, d.Logger)
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	if s.tmpl, err = s.assets.templates(); err != nil {
		return nil, err
	}
	s.mailboxes = d.Mailboxes
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
	api("GET /api/v1/me", s.meShow)
	api("GET /api/v1/inbox/counts", s.countsShow)
	api("GET /api/v1/conversations", s.conversationList)
	api("GET /api/v1/conversations/{id}", s.conversationShow)
	api("PATCH /api/v1/conversations/{id}", s.conversationUpdate)
	api("POST /api/v1/conversations/{id}/messages", s.messageCreate)
	api("POST /api/v1/conversations/{id}/read", s.conversationRead)
	api("GET /api/v1/attachments/{id}", s.attachmentShow)
	api("GET /api/v1/users", s.userList)
	api("POST /api/v1/users", s.userCreate)
	api("PATCH /api/v1/users/{id}", s.userUpdate)
	api("GET /api/v1/teams", s.teamList)
	api("POST /api/v1/teams", s.teamCreate)
	mux.HandleFunc("GET /ws/agent", s.agentSocket)

	mux.Handle("GET /static/{name}", s.assets)
	mux.HandleFunc("GET /login", s.loginShow)
	mux.HandleFunc("POST /login", s.loginCreate)
	mux.HandleFunc("POST /logout", s.logoutCreate)
	mux.Handle("GET /inbox", s.signedIn(s.inboxShow))
	mux.Handle("GET /admin", s.signedIn(s.adminShow))
	mux.Handle("GET /messages", s.signedIn(s.messagesShow))
	mux.Handle("GET /search", s.signedIn(s.searchShow))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/inbox", http.StatusSeeOther)
	})
	api("POST /api/v1/phone-messages", s.phoneMessageCreate)
	api("GET /api/v1/phone-messages", s.phoneMessageList)
	api("GET /api/v1/phone-messages/{id}", s.phoneMessageShow)
	api("POST /api/v1/phone-messages/{id}/acknowledge", s.phoneMessageAcknowledge)
	api("POST /api/v1/phone-messages/{id}/callback-done", s.phoneMessageCallbackDone)
	api("GET /api/v1/admin/mailboxes", s.mailboxList)
	api("POST /api/v1/queue/take", s.queueTake)
	api("POST /api/v1/conversations/{id}/handoffs", s.handoffCreate)
	api("GET /api/v1/handoffs", s.handoffList)
	api("POST /api/v1/handoffs/{id}/accept", s.handoffAccept)
	api("POST /api/v1/handoffs/{id}/decline", s.handoffDecline)
	api("PUT /api/v1/conversations/{id}/classification", s.classificationUpdate)
	api("GET /api/v1/conversations/{id}/routing", s.routingShow)
	api("POST /api/v1/routing/dry-run", s.routingDryRun)
	api("GET /api/v1/overview", s.overviewShow)
	api("PUT /api/v1/presence", s.presenceUpdate)
	api("GET /api/v1/contacts", s.contactFind)
	api("GET /api/v1/contacts/{id}/export", s.contactExport)
	api("POST /api/v1/contacts/{id}/erase", s.contactErase)
	api("GET /api/v1/audit", s.auditList)
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
