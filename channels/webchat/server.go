package webchat

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Inbox is what the webchat needs of the inbox (inbox.Service provides it).
type Inbox interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
	SaveVisitor(ctx context.Context, v inbox.Visitor) (inbox.Visitor, error)
	Visitor(ctx context.Context, site, id string) (inbox.Visitor, error)
	VisitorConversation(ctx context.Context, site, visitorID string) (inbox.Conversation, error)
	VisitorMessages(ctx context.Context, conversationID, after int64, limit int) ([]inbox.Message, error)
	VisitorAttachment(ctx context.Context, conversationID, id int64) (inbox.Attachment, error)
	AuthorNames(ctx context.Context, ids []int64) (map[int64]string, error)
	QueueVisitorEmail(ctx context.Context, e inbox.VisitorEmail) error
	DueVisitorEmails(ctx context.Context, limit int) ([]inbox.VisitorEmail, error)
	DeleteVisitorEmails(ctx context.Context, site, visitorID string, upTo int64) error
	OutgoingMessage(ctx context.Context, id int64) (inbox.Outgoing, error)
	OutgoingFiles(ctx context.Context, m inbox.Message) ([]channels.Attachment, error)
}

// Blobs reads attachment content by its SHA-256 (inbox/blob.Dir provides it).
type Blobs interface {
	Open(ctx context.Context, sum string) (io.ReadCloser, error)
}

// Availability says whether agents answer a site's chat now (presence). Office hours
// are checked by the webchat itself, before asking.
type Availability interface {
	AgentsAvailable(ctx context.Context, site string) bool
}

// TypingSink is told when a visitor starts or stops typing (the agents' realtime hub).
type TypingSink interface {
	VisitorTyping(conversationID int64, typing bool)
}

// Route is a handler to mount on the hub's ServeMux; Pattern has a method.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Deps are the Server's collaborators. Inbox, Blobs and Logger are required.
type Deps struct {
	Inbox  Inbox
	Blobs  Blobs
	Logger *slog.Logger
	// Availability defaults to always available (then office hours alone decide).
	Availability Availability
	// Typing may be nil: visitors' typing goes nowhere.
	Typing TypingSink
	// Email sends transcripts and forwards replies to visitors who left; nil when email
	// is not configured.
	Email channels.Sender
	// PublicURL is the hub's public base URL; its origin may open the visitor socket
	// (besides the request's own host).
	PublicURL string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// Server is the visitor side of the web chat. Safe for concurrent use.
type Server struct {
	cfg     Config
	sites   map[string]*Site
	inbox   Inbox
	blobs   Blobs
	avail   Availability
	typing  TypingSink
	email   channels.Sender
	log     *slog.Logger
	now     func() time.Time
	signer  signer
	origin  string // the public URL's origin, lower-case, may be empty
	assets  *assets
	hub     *hub
	upgrade websocket.Upgrader

	visitorLimit    *limiter
	ipLimit         *limiter
	transcriptLimit *limiter
	conns           counter

	// base is the context of every socket; Run cancels it when it stops, which closes
	// them all.
	base    context.Context
	stopAll context.CancelFunc
}

type alwaysAvailable struct{}

func (alwaysAvailable) AgentsAvailable(context.Context, string) bool { return true }

// New builds the server. cfg is completed with defaults and validated.
func New(cfg Config, d Deps) (*Server, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if d.Inbox == nil || d.Blobs == nil || d.Logger == nil {
		return nil, errors.New("webchat: Inbox, Blobs and Logger are required")
	}
	s := &Server{
		cfg:    cfg,
		sites:  map[string]*Site{},
		inbox:  d.Inbox,
		blobs:  d.Blobs,
		avail:  d.Availability,
		typing: d.Typing,
		email:  d.Email,
		log:    d.Logger.With("component", "webchat"),
		now:    d.Now,
		hub:    newHub(),
	}
	s.base, s.stopAll = context.WithCancel(context.Background())
	if s.avail == nil {
		s.avail = alwaysAvailable{}
	}
	if s.now == nil {
		s.now = time.Now
	}
	for i := range cfg.Sites {
		s.sites[cfg.Sites[i].Key] = &cfg.Sites[i]
	}
	key := []byte(cfg.SigningKey)
	if len(key) == 0 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("webchat: signing key: %w", err)
		}
	}
	s.signer = signer{key: key}
	if d.PublicURL != "" {
		u, err := url.Parse(d.PublicURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("webchat: public URL %q is not a URL", d.PublicURL)
		}
		s.origin = strings.ToLower(u.Scheme + "://" + u.Host)
	}
	var err error
	if s.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	l := cfg.Limits
	s.visitorLimit = newLimiter(l.VisitorRate, l.VisitorBurst, s.now)
	s.ipLimit = newLimiter(l.IPRate, l.IPBurst, s.now)
	// Transcripts go to an address the visitor typed: three an hour at most, so the chat
	// cannot be turned into a mail cannon.
	s.transcriptLimit = newLimiter(3.0/3600, 3, s.now)
	s.upgrade = websocket.Upgrader{
		ReadBufferSize:    1024,
		WriteBufferSize:   1024,
		WriteBufferPool:   &sync.Pool{},
		HandshakeTimeout:  10 * time.Second,
		CheckOrigin:       func(*http.Request) bool { return true }, // checked by the handler, per site
		EnableCompression: false,
	}
	return s, nil
}

// Routes returns the visitor-side HTTP surface, to mount on the hub's mux.
func (s *Server) Routes() []Route {
	return []Route{
		{"GET /widget.js", http.HandlerFunc(s.widgetShow)},
		{"GET /chat", http.HandlerFunc(s.chatShow)},
		{"GET /chat/static/{file}", http.HandlerFunc(s.staticShow)},
		{"GET /chat/site.json", http.HandlerFunc(s.siteShow)},
		{"GET /chat/ws", http.HandlerFunc(s.socketOpen)},
		{"POST /chat/upload", http.HandlerFunc(s.uploadCreate)},
		{"GET /chat/attachments/{id}", http.HandlerFunc(s.attachmentShow)},
		{"GET /demo/site", http.HandlerFunc(s.demoShow)},
	}
}

// Handler returns the routes on a mux of their own (tests, benchmarks).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, r := range s.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

// site returns the configured site with key, or nil.
func (s *Server) site(key string) *Site { return s.sites[key] }

// online reports whether agents answer site now: inside office hours and available.
func (s *Server) online(ctx context.Context, site *Site) bool {
	return site.Open(s.now()) && s.avail.AgentsAvailable(ctx, site.Key)
}

// originAllowed reports whether a browser page of origin may open site's socket or
// frame its chat: the hub's own origin (the chat iframe itself), or one of the site's
// allowed origins.
func (s *Server) originAllowed(r *http.Request, site *Site, origin string) bool {
	o := normalOrigin(origin)
	if o == "" {
		return false
	}
	if o == s.origin || o == requestOrigin(r) {
		return true
	}
	for _, a := range site.AllowedOrigins {
		if normalOrigin(a) == o {
			return true
		}
	}
	return false
}

// requestOrigin is the origin the request was addressed to.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		scheme = "https"
	}
	return strings.ToLower(scheme + "://" + r.Host)
}

// clientIP is the peer's address (without port).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// firstName is what visitors see of an agent: the first word of the display name.
func firstName(name string) string {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, ' '); i > 0 {
		return name[:i]
	}
	return name
}
