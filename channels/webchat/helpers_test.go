package webchat

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

// clock is a settable clock for rate limits and grace periods.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// mailbox is an email channels.Sender that records what it was asked to send.
type mailbox struct {
	mu   sync.Mutex
	sent []channels.Outbound
	err  error
}

func (m *mailbox) Send(_ context.Context, out channels.Outbound) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return "", m.err
	}
	m.sent = append(m.sent, out)
	return "mail-1", nil
}

func (m *mailbox) all() []channels.Outbound {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]channels.Outbound(nil), m.sent...)
}

// typingLog is a TypingSink recording calls.
type typingLog struct {
	mu    sync.Mutex
	calls []string
}

func (l *typingLog) VisitorTyping(conv int64, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, map[bool]string{true: "on", false: "off"}[on])
}

// fixture is a real hub's visitor side: SQLite store and blobs in a temp dir, the inbox
// service, the webchat server on an httptest server.
type fixture struct {
	t      testing.TB
	svc    *inbox.Service
	chat   *Server
	srv    *httptest.Server
	clock  *clock
	mail   *mailbox
	typing *typingLog
	agent  inbox.User
	// cut, while set, refuses new visitor sockets (a network cut).
	cut atomic.Bool
}

// dropSockets closes the live sockets of the visitor with token on site, as a network
// cut does.
func (f *fixture) dropSockets(site, token string) int {
	socks := f.chat.hub.sockets(visitorKey{site, visitorID(token)})
	for _, c := range socks {
		c.ws.Close()
	}
	return len(socks)
}

// newFixture builds a fixture; change adjusts the configuration (sites, limits).
func newFixture(t testing.TB, change func(*Config, *Deps)) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{}, dir, log)
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}, mail: &mailbox{}, typing: &typingLog{}}
	f.svc = inbox.New(st, b, inbox.Config{}, log, inbox.WithClock(f.clock.now))
	cfg := Config{Sites: []Site{
		{Key: "demo", Name: "Mairie de Villeneuve"},
		{Key: "other", Name: "Other site", AllowedOrigins: []string{"https://www.example.fr"}},
	}}
	deps := Deps{Inbox: f.svc, Blobs: b, Logger: log, Now: f.clock.now, Email: f.mail, Typing: f.typing}
	if change != nil {
		change(&cfg, &deps)
	}
	if f.chat, err = New(cfg, deps); err != nil {
		t.Fatalf("New() = %v", err)
	}
	h := f.chat.Handler()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.cut.Load() && r.URL.Path == "/chat/ws" {
			http.Error(w, "cut", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	if f.agent, err = f.svc.CreateUser(context.Background(), inbox.NewUser{Email: "camille@example.fr", Name: "Camille Martin", Role: inbox.RoleAdmin, Password: "password-for-tests"}); err != nil {
		t.Fatalf("CreateUser() = %v", err)
	}
	return f
}

// visitor is a raw websocket client speaking the protocol.
type visitor struct {
	t     testing.TB
	ws    *websocket.Conn
	token string
	id    string
	conv  int64
}

// dial opens a socket for site with the hub's own origin.
func (f *fixture) dial(site string) *websocket.Conn {
	f.t.Helper()
	ws, resp, err := f.dialOrigin(site, f.srv.URL)
	if err != nil {
		f.t.Fatalf("dial(%s) = %v (status %v)", site, err, status(resp))
	}
	return ws
}

func (f *fixture) dialOrigin(site, origin string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/chat/ws?site=" + site
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return websocket.DefaultDialer.Dial(u, h)
}

func status(r *http.Response) any {
	if r == nil {
		return nil
	}
	return r.StatusCode
}

// hello connects a visitor (new when token is empty) and reads the welcome and the
// replay.
func (f *fixture) hello(site, token string, since int64) (*visitor, Welcome, []ServerMessage) {
	f.t.Helper()
	v := &visitor{t: f.t, ws: f.dial(site)}
	f.t.Cleanup(func() { v.ws.Close() })
	v.send(map[string]any{"type": "hello", "token": token, "since": since, "lang": "fr"})
	var w Welcome
	v.read(&w)
	if w.Type != TypeWelcome {
		f.t.Fatalf("first frame after hello = %+v, want welcome", w)
	}
	v.token, v.id, v.conv = w.Token, w.Visitor, w.Conv
	var replay []ServerMessage
	for range w.Replayed {
		var m ServerMessage
		v.read(&m)
		replay = append(replay, m)
	}
	return v, w, replay
}

func (v *visitor) send(frame any) {
	v.t.Helper()
	if err := v.ws.WriteJSON(frame); err != nil {
		v.t.Fatalf("write %v: %v", frame, err)
	}
}

// read reads the next frame into out (and returns its raw form).
func (v *visitor) read(out any) []byte {
	v.t.Helper()
	v.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, data, err := v.ws.ReadMessage()
	if err != nil {
		v.t.Fatalf("read frame: %v", err)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			v.t.Fatalf("frame %s: %v", data, err)
		}
	}
	return data
}

// message sends a message and returns its ack.
func (v *visitor) message(cid, text string) Ack {
	v.t.Helper()
	v.send(map[string]string{"type": "message", "cid": cid, "text": text})
	var a Ack
	raw := v.read(&a)
	if a.Type != TypeAck || a.ClientID != cid {
		v.t.Fatalf("message %s: got %s, want its ack", cid, raw)
	}
	return a
}

// errorFrame reads the next frame and checks it is an error with code.
func (v *visitor) errorFrame(code string) ErrorFrame {
	v.t.Helper()
	var e ErrorFrame
	raw := v.read(&e)
	if e.Type != TypeError || e.Code != code {
		v.t.Fatalf("got %s, want an error frame %q", raw, code)
	}
	return e
}

// alive checks the socket still answers a ping.
func (v *visitor) alive() {
	v.t.Helper()
	v.send(map[string]string{"type": "ping"})
	var p simpleFrame
	if raw := v.read(&p); p.Type != TypePong {
		v.t.Fatalf("ping answered %s, want pong", raw)
	}
}

// reply has the agent answer the visitor's conversation and delivers it through the
// Sender as the outbound worker would.
func (f *fixture) reply(conv int64, text string, files ...channels.Attachment) (inbox.Message, string) {
	f.t.Helper()
	ctx := context.Background()
	m, err := f.svc.Reply(ctx, f.agent, conv, inbox.ReplyInput{Text: text, Attachments: files})
	if err != nil {
		f.t.Fatalf("Reply() = %v", err)
	}
	o, err := f.svc.OutgoingMessage(ctx, m.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	sent, err := f.svc.OutgoingFiles(ctx, o.Message)
	if err != nil {
		f.t.Fatal(err)
	}
	out := channels.Outbound{MessageID: m.ID, ConversationID: conv, Channel: channels.Webchat,
		Account: o.Conversation.Account, AuthorName: f.agent.Name, Text: text, Attachments: sent,
		To: channels.Identity{Kind: channels.KindVisitor, Value: o.Conversation.ThreadKey}}
	ext, err := f.chat.Sender().Send(ctx, out)
	if err != nil {
		f.t.Fatalf("Send() = %v", err)
	}
	return m, ext
}
