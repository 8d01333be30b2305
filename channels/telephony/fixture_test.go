package telephony_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

const (
	token     = "test-auth-token"
	accountID = "AC0123456789"
	pbxSecret = "a-long-shared-pbx-secret"
	// publicURL is how the provider reaches the hub: a proxy in front of the test server.
	publicURL = "https://accueil.example.fr"
	ourNumber = "+33140000000"
	caller    = "+33612345678"
)

// paris is the desk's zone; tuesday10 is in office hours, sunday10 is not.
var (
	paris, _  = time.LoadLocation("Europe/Paris")
	tuesday10 = time.Date(2026, 11, 24, 10, 0, 0, 0, paris)
	sunday10  = time.Date(2026, 11, 29, 10, 0, 0, 0, paris)
)

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	srv   *httptest.Server
	svc   *inbox.Service
	store *store.SQLite
	clock *testClock
	cfg   telephony.Config
	sup   inbox.User
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, edit ...func(*telephony.Config)) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{t: tuesday10}
	svc := inbox.New(st, b, inbox.Config{}, quiet(), inbox.WithClock(clock.now))
	cfg := telephony.Config{Enabled: true, AccountSID: accountID, AuthToken: token, DeskNumbers: []string{"+33140000001", "sip:accueil@pbx.example"},
		PBX: telephony.PBXConfig{Secret: pbxSecret}, MaxBodyBytes: 4096}
	for _, e := range edit {
		e(&cfg)
	}
	h, err := telephony.New(cfg, svc, publicURL, quiet(), telephony.WithClock(clock.now))
	if err != nil {
		t.Fatalf("telephony.New() = %v", err)
	}
	mux := http.NewServeMux()
	for _, r := range h.Routes() {
		mux.Handle(r.Pattern, r.Handler)
	}
	f := &fixture{srv: httptest.NewServer(mux), svc: svc, store: st, clock: clock, cfg: cfg.WithDefaults()}
	t.Cleanup(f.srv.Close)
	sup, err := svc.CreateUser(ctx, inbox.NewUser{Email: "sup@x.fr", Name: "Sup", Role: inbox.RoleSupervisor, Password: "motdepasse-solide"})
	if err != nil {
		t.Fatal(err)
	}
	f.sup = sup
	return f
}

type reply struct {
	status int
	body   string
	ctype  string
}

// errorCode is the code of a JSON error answer.
func (r reply) errorCode() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(r.body), &e)
	return e.Error.Code
}

// post sends a form to path as the provider would, signed over the public URL.
func (f *fixture) post(t *testing.T, path string, form url.Values) reply {
	t.Helper()
	return f.postSigned(t, path, form, telephony.Signature(token, publicURL+path, form))
}

func (f *fixture) postSigned(t *testing.T, path string, form url.Values, sig string) reply {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: string(raw), ctype: resp.Header.Get("Content-Type")}
}

// call returns the form of a call webhook.
func call(sid string, extra ...string) url.Values {
	v := url.Values{"CallSid": {sid}, "AccountSid": {accountID}, "From": {caller}, "To": {ourNumber},
		"Direction": {"inbound"}, "CallStatus": {"ringing"}, "ApiVersion": {"2010-04-01"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// conversations returns every conversation, newest activity first, with details.
func (f *fixture) conversations(t *testing.T) []inbox.ConversationDetail {
	t.Helper()
	ctx := context.Background()
	list, _, err := f.svc.Conversations(ctx, f.sup, inbox.ConversationQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var out []inbox.ConversationDetail
	for _, c := range list {
		d, err := f.svc.Conversation(ctx, f.sup, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

func mustRequest(t *testing.T, target, ctype, body, sig string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if sig != "" {
		req.Header.Set("X-Twilio-Signature", sig)
	}
	return req
}
