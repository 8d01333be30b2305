package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router/outbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/web/realtime"
)

// hubFixture is a server with the whole live pipeline: store, relay, bus, realtime hub.
type hubFixture struct {
	*apiFixture
	hub *realtime.Hub
}

func newHub(t *testing.T) *hubFixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	wake := make(chan struct{}, 1)
	st, err := store.Open(ctx, store.Config{}, dir, log, store.WithCommitHook(func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := blob.Open(filepath.Join(dir, "blobs"))
	svc := inbox.New(st, b, inbox.Config{}, log)
	bus := queue.NewMemory(queue.Options{})
	hub := realtime.New(realtime.Config{}, st, nil, log)
	relay := outbox.New(st, bus, outbox.Config{Wake: wake, Poll: 10 * time.Millisecond}, log)
	cons := queue.NewConsumer(bus, queue.ConsumerConfig{Stream: inbox.Stream, Group: realtime.Group, Name: "t", Block: 50 * time.Millisecond}, hub.Handle, log)
	done := make(chan struct{}, 2)
	go func() { relay.Run(ctx); done <- struct{}{} }()
	go func() { cons.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	s, err := New(Config{Addr: "127.0.0.1:0"}, Deps{Inbox: svc, Logger: log, Registry: prometheus.NewRegistry(), Hub: hub, Blobs: b})
	if err != nil {
		t.Fatal(err)
	}
	f := &apiFixture{srv: httptest.NewServer(s.Handler()), handler: s.Handler(), svc: svc, tokens: seedUsers(t, svc, testUsers)}
	t.Cleanup(f.srv.Close)
	return &hubFixture{apiFixture: f, hub: hub}
}

// browser is an HTTP client with a cookie jar that does not follow redirects.
type browser struct {
	c    *http.Client
	base string
	csrf string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var dataCSRF = regexp.MustCompile(`data-csrf="([^"]+)"`)

func (b *browser) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	resp, err := b.c.Get(b.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) postForm(t *testing.T, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// login signs in through the form and keeps the page's CSRF token.
func (b *browser) login(t *testing.T, email, password string) *http.Response {
	t.Helper()
	_, page := b.get(t, "/login")
	m := hiddenCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("login page without a form token:\n%s", page)
	}
	resp, _ := b.postForm(t, "/login", url.Values{"email": {email}, "password": {password}, "csrf": {m[1]}, "next": {"/inbox"}})
	if resp.StatusCode == http.StatusSeeOther {
		_, inboxPage := b.get(t, "/inbox")
		if m := dataCSRF.FindStringSubmatch(inboxPage); m != nil {
			b.csrf = m[1]
		}
	}
	return resp
}

func (b *browser) api(t *testing.T, method, path, body string, withCSRF bool) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, b.base+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if withCSRF {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestLoginFlow(t *testing.T) {
	f := newHub(t)
	b := newBrowser(t, f.srv.URL)
	resp, _ := b.get(t, "/inbox")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Fatalf("GET /inbox signed out = %d to %q, want a redirect to the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	// A form posted without the token of the page (login CSRF) is refused.
	resp, page := b.postForm(t, "/login", url.Values{"email": {"agent@x.fr"}, "password": {"motdepasse-solide"}})
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "role=\"alert\"") {
		t.Fatalf("POST /login without token = %d, want 403 with an alert", resp.StatusCode)
	}
	if resp := b.login(t, "agent@x.fr", "wrong-password"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password = %d, want 401", resp.StatusCode)
	}
	resp = b.login(t, "agent@x.fr", "motdepasse-solide")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox" {
		t.Fatalf("login = %d to %q, want 303 to /inbox", resp.StatusCode, resp.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie = %+v, want HttpOnly and SameSite=Lax", session)
	}
	resp, page = b.get(t, "/inbox")
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") || b.csrf == "" {
		t.Fatalf("GET /inbox = %d CSP %q", resp.StatusCode, csp)
	}
	if strings.Contains(page, "<script>") || !strings.Contains(page, `data-user-name="User agent@x.fr"`) {
		t.Fatalf("inbox page has inline script or lacks the user:\n%s", page)
	}
	// Signed in, the login page sends back to the app; a next pointing elsewhere is ignored.
	resp, _ = b.get(t, "/login?next=//evil.example/phish")
	if resp.Header.Get("Location") != "/inbox" {
		t.Fatalf("GET /login?next=//evil… signed in redirects to %q, want /inbox", resp.Header.Get("Location"))
	}
	// Logout needs the CSRF token, then the session is gone.
	resp, _ = b.postForm(t, "/logout", url.Values{})
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /logout without token = %d, want 403", resp.StatusCode)
	}
	resp, _ = b.postForm(t, "/logout", url.Values{"csrf": {b.csrf}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /logout = %d", resp.StatusCode)
	}
	if r := b.api(t, "GET", "/api/v1/me", "", false); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("API after logout = %d, want 401", r.StatusCode)
	}
}

func TestLoginThrottled(t *testing.T) {
	f := newHub(t)
	b := newBrowser(t, f.srv.URL)
	for i := range loginFailsPerEmail {
		if r := b.login(t, "agent@x.fr", fmt.Sprint("wrong-", i)); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d, want 401", i, r.StatusCode)
		}
	}
	r := b.login(t, "agent@x.fr", "motdepasse-solide")
	if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("login after %d failures = %d (Retry-After %q), want 429 even with the right password", loginFailsPerEmail, r.StatusCode, r.Header.Get("Retry-After"))
	}
	// Another account from the same address is not blocked yet.
	if r := newBrowser(t, f.srv.URL).login(t, "sup@x.fr", "motdepasse-solide"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login of another account = %d", r.StatusCode)
	}
}

func TestCookieAPINeedsCSRF(t *testing.T) {
	f := newHub(t)
	created := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	id := int64(created.body["conversation_id"].(float64))
	b := newBrowser(t, f.srv.URL)
	b.login(t, "agent@x.fr", "motdepasse-solide")
	path := fmt.Sprintf("/api/v1/conversations/%d", id)
	if r := b.api(t, "GET", path, "", false); r.StatusCode != 200 {
		t.Fatalf("GET with the cookie = %d", r.StatusCode)
	}
	if r := b.api(t, "PATCH", path, `{"priority":70}`, false); r.StatusCode != http.StatusForbidden {
		t.Fatalf("PATCH with the cookie but no CSRF token = %d, want 403", r.StatusCode)
	}
	if r := b.api(t, "PATCH", path, `{"priority":70}`, true); r.StatusCode != 200 {
		t.Fatalf("PATCH with the CSRF token = %d", r.StatusCode)
	}
	// Disabling the user ends the session at once.
	admin, _ := f.svc.UserByEmail(context.Background(), "admin@x.fr")
	agent, _ := f.svc.UserByEmail(context.Background(), "agent@x.fr")
	_ = admin
	yes := true
	if _, err := f.svc.UpdateUser(context.Background(), agent.ID, inbox.UserPatch{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if r := b.api(t, "GET", path, "", false); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET after the user was disabled = %d, want 401", r.StatusCode)
	}
}

// wsDial opens the agent socket with a bearer token (or a cookie jar and Origin).
func wsDial(t *testing.T, base, token string, lastID uint64, hdr http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	u := "ws" + strings.TrimPrefix(base, "http") + fmt.Sprintf("/ws/agent?last_event_id=%d", lastID)
	if hdr == nil {
		hdr = http.Header{}
	}
	if token != "" {
		hdr.Set("Authorization", "Bearer "+token)
	}
	return websocket.DefaultDialer.Dial(u, hdr)
}

type wsEvent struct {
	ID             uint64          `json:"id"`
	Type           string          `json:"type"`
	ConversationID int64           `json:"conversation_id"`
	LastEventID    uint64          `json:"last_event_id"`
	Reset          bool            `json:"reset"`
	Message        *inbox.Message  `json:"message"`
	State          string          `json:"state"`
	UserID         int64           `json:"user_id"`
	Raw            json.RawMessage `json:"-"`
}

// readUntil reads events (one per frame, or arrays of them) until pred holds or the
// deadline passes.
func readUntil(t *testing.T, c *websocket.Conn, pred func(wsEvent) bool) []wsEvent {
	t.Helper()
	var got []wsEvent
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("reading the agent socket: %v (got %+v)", err, got)
		}
		var batch []wsEvent
		if len(data) > 0 && data[0] == '[' {
			err = json.Unmarshal(data, &batch)
		} else {
			var e wsEvent
			err = json.Unmarshal(data, &e)
			batch = []wsEvent{e}
		}
		if err != nil {
			t.Fatalf("frame %s: %v", data, err)
		}
		for _, e := range batch {
			got = append(got, e)
			if pred(e) {
				return got
			}
		}
	}
}

func TestAgentSocket(t *testing.T) {
	f := newHub(t)
	if _, resp, err := wsDial(t, f.srv.URL, "", 0, nil); err == nil || resp.StatusCode != 401 {
		t.Fatalf("socket without credentials: err %v status %v, want 401", err, resp)
	}
	// A browser session from another site's page is refused.
	b := newBrowser(t, f.srv.URL)
	b.login(t, "agent@x.fr", "motdepasse-solide")
	u, _ := url.Parse(f.srv.URL)
	hdr := http.Header{"Origin": {"https://evil.example"}}
	for _, c := range b.c.Jar.Cookies(u) {
		hdr.Add("Cookie", c.Name+"="+c.Value)
	}
	if _, resp, err := wsDial(t, f.srv.URL, "", 0, hdr); err == nil || resp.StatusCode != 403 {
		t.Fatalf("socket with the cookie from a foreign origin: err %v status %v, want 403", err, resp)
	}
	hdr.Set("Origin", f.srv.URL)
	own, _, err := wsDial(t, f.srv.URL, "", 0, hdr)
	if err != nil {
		t.Fatalf("socket with the cookie from the hub's origin: %v", err)
	}
	own.Close()

	agent, _, err := wsDial(t, f.srv.URL, f.tokens["agent@x.fr"], 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	other, _, err := wsDial(t, f.srv.URL, f.tokens["other@x.fr"], 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	readUntil(t, agent, func(e wsEvent) bool { return e.Type == "hello" })
	readUntil(t, other, func(e wsEvent) bool { return e.Type == "hello" })

	teams, _ := f.svc.Teams(context.Background())
	team := map[string]int64{}
	for _, tm := range teams {
		team[tm.Slug] = tm.ID
	}
	created := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	id := int64(created.body["conversation_id"].(float64))
	got := readUntil(t, agent, func(e wsEvent) bool { return e.Type == inbox.TopicMessageCreated })
	last := got[len(got)-1]
	if last.ConversationID != id || last.ID == 0 {
		t.Fatalf("agent got %+v, want message.created of conversation %d with an event id", last, id)
	}
	// Routed to accueil: from now on the compta agent must hear nothing of it.
	f.do(t, "sup@x.fr", "PATCH", fmt.Sprintf("/api/v1/conversations/%d", id), fmt.Sprintf(`{"team_id":%d}`, team["accueil"]))
	routed := readUntil(t, agent, func(e wsEvent) bool { return e.Type == inbox.TopicConversationUpdated })
	routedID := routed[len(routed)-1].ID
	// Viewing the conversation brings message bodies with the events.
	agent.WriteJSON(map[string]any{"type": "viewing", "conversation_id": id})
	time.Sleep(50 * time.Millisecond)
	f.do(t, "agent@x.fr", "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", id), `{"text":"Note <b>interne</b>","note":true}`)
	got = readUntil(t, agent, func(e wsEvent) bool { return e.Type == inbox.TopicMessageCreated && e.Message != nil })
	if m := got[len(got)-1].Message; m.Text != "Note <b>interne</b>" || m.Kind != inbox.KindNote {
		t.Fatalf("viewer got message %+v", m)
	}
	// Moving the conversation to compta: the compta agent now hears of it, and heard
	// nothing while it was accueil's.
	f.do(t, "sup@x.fr", "PATCH", fmt.Sprintf("/api/v1/conversations/%d", id), fmt.Sprintf(`{"team_id":%d}`, team["compta"]))
	got = readUntil(t, other, func(e wsEvent) bool { return e.Type == inbox.TopicConversationUpdated && e.ID > routedID })
	for _, e := range got {
		if e.ID >= routedID && e.Type == inbox.TopicMessageCreated {
			t.Fatalf("compta agent received %+v while the conversation was accueil's", e)
		}
	}
	upd := got[len(got)-1].ID
	// The accueil agent is told it left (they saw it before the move)...
	readUntil(t, agent, func(e wsEvent) bool { return e.Type == inbox.TopicConversationUpdated })
	agent.Close()
	// ... and hears nothing more of it; a reconnection resumes with exactly what was missed.
	f.do(t, "sup@x.fr", "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", id), `{"text":"hidden from accueil","note":true}`)
	f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", strings.Replace(strings.Replace(inboundBody, "ext-1", "ext-2", 1), `"t1"`, `"t2"`, 1))
	time.Sleep(200 * time.Millisecond)
	again, _, err := wsDial(t, f.srv.URL, f.tokens["agent@x.fr"], upd, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	got = readUntil(t, again, func(e wsEvent) bool { return e.Type == inbox.TopicMessageCreated })
	var resumed []wsEvent
	for _, e := range got {
		if e.ID != 0 {
			resumed = append(resumed, e)
			if e.ConversationID == id {
				t.Fatalf("resumed agent got %+v about a conversation no longer theirs", e)
			}
		}
		if e.Type == "hello" && e.Reset {
			t.Fatal("resume within the buffer asked for a reset")
		}
	}
	if len(resumed) != 2 || resumed[0].Type != inbox.TopicConversationCreated || resumed[0].ID <= upd {
		t.Fatalf("resumed events %+v, want the new conversation's created and message events after %d", resumed, upd)
	}
}
