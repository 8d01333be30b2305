package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

type apiFixture struct {
	srv     *httptest.Server
	handler http.Handler
	svc     *inbox.Service
	tokens  map[string]string // email -> token
}

func newAPI(t testing.TB, checks ...Check) *apiFixture {
	t.Helper()
	return newAPIConfigured(t, Config{Addr: "127.0.0.1:0", MaxBodyBytes: 4096}, inbox.Config{}, testUsers[:3], checks...)
}

// newAPIConfigured is newAPI with the server's and the inbox's settings, and users.
func newAPIConfigured(t testing.TB, cfg Config, icfg inbox.Config, users []testUser, checks ...Check) *apiFixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := blob.Open(filepath.Join(dir, "blobs"))
	svc := inbox.New(st, b, icfg, log)
	s, err := New(cfg, Deps{Inbox: svc, Blobs: b, Logger: log, Registry: prometheus.NewRegistry(), Checks: checks})
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	f := &apiFixture{srv: httptest.NewServer(s.Handler()), handler: s.Handler(), svc: svc,
		tokens: seedUsers(t, svc, users)}
	t.Cleanup(f.srv.Close)
	return f
}

// testUser is a user the fixtures create, with the password "motdepasse-solide".
type testUser struct {
	email string
	role  inbox.Role
	team  string
}

var testUsers = []testUser{
	{"agent@x.fr", inbox.RoleAgent, "accueil"},
	{"other@x.fr", inbox.RoleAgent, "compta"},
	{"sup@x.fr", inbox.RoleSupervisor, ""},
	{"admin@x.fr", inbox.RoleAdmin, ""},
}

// seedUsers creates users and returns an API token for each, by email.
func seedUsers(t testing.TB, svc *inbox.Service, users []testUser) map[string]string {
	t.Helper()
	ctx := context.Background()
	tokens := map[string]string{}
	for _, u := range users {
		var teams []string
		if u.team != "" {
			teams = []string{u.team}
		}
		if _, err := svc.CreateUser(ctx, inbox.NewUser{Email: u.email, Name: "User " + u.email, Role: u.role, Password: "motdepasse-solide", Teams: teams}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := svc.CreateToken(ctx, u.email, "test")
		if err != nil {
			t.Fatal(err)
		}
		tokens[u.email] = tok
	}
	return tokens
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *apiFixture) do(t *testing.T, who, method, path, body string) response {
	t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if who != "" {
		req.Header.Set("Authorization", "Bearer "+f.tokens[who])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

const inboundBody = `{"external_id":"ext-1","from":{"name":"Marie","address":"marie@example.fr"},"subject":"Rendez-vous","text":"Bonjour","thread_key":"t1"}`

func TestInboundCreateAndReplay(t *testing.T) {
	f := newAPI(t)
	first := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	if first.status != http.StatusCreated || first.body["message_id"] == nil || first.body["conversation_id"] == nil {
		t.Fatalf("POST /api/v1/inbound = %d %s, want 201 with ids", first.status, first.raw)
	}
	again := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	if again.status != http.StatusOK || again.body["message_id"] != first.body["message_id"] || again.body["conversation_id"] != first.body["conversation_id"] {
		t.Fatalf("replay = %d %s, want 200 with the same ids as %s", again.status, again.raw, first.raw)
	}
	// Same thread key: same conversation.
	next := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", strings.Replace(inboundBody, "ext-1", "ext-2", 1))
	if next.body["conversation_id"] != first.body["conversation_id"] {
		t.Fatalf("second message of thread t1 went to %v, want %v", next.body["conversation_id"], first.body["conversation_id"])
	}
}

func TestInboundBadInput(t *testing.T) {
	f := newAPI(t)
	tests := []struct {
		name, body, ctype string
		status            int
		code, field       string
	}{
		{"invalid json", `{"external_id":`, "application/json", 400, "invalid_json", ""},
		{"not an object", `[1,2]`, "application/json", 400, "wrong_type", ""},
		{"two objects", inboundBody + inboundBody, "application/json", 400, "invalid_json", ""},
		{"empty", ``, "application/json", 400, "invalid_json", ""},
		{"unknown field", `{"external_id":"x","from":{"address":"a@b.fr"},"text":"t","priority":1}`, "application/json", 400, "unknown_field", "priority"},
		{"wrong type", `{"external_id":42,"from":{"address":"a@b.fr"},"text":"t"}`, "application/json", 400, "wrong_type", "external_id"},
		{"missing external id", `{"from":{"address":"a@b.fr"},"text":"t"}`, "application/json", 400, "missing_field", "external_id"},
		{"missing from", `{"external_id":"x","text":"t"}`, "application/json", 400, "missing_field", "from.address"},
		{"missing text", `{"external_id":"x","from":{"address":"a@b.fr"}}`, "application/json", 400, "missing_field", "text"},
		{"bad email", `{"external_id":"x","from":{"address":"a@"},"text":"t"}`, "application/json", 422, "invalid", "from.address"},
		{"too large", `{"external_id":"x","from":{"address":"a@b.fr"},"text":"` + strings.Repeat("a", 5000) + `"}`, "application/json", 413, "payload_too_large", ""},
		{"wrong content type", inboundBody, "text/plain", 415, "unsupported_media_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", f.srv.URL+"/api/v1/inbound", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", tt.ctype)
			req.Header.Set("Authorization", "Bearer "+f.tokens["agent@x.fr"])
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Error errorDetail `json:"error"`
			}
			raw, _ := io.ReadAll(resp.Body)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %q is not the JSON error shape: %v", raw, err)
			}
			if resp.StatusCode != tt.status || body.Error.Code != tt.code || body.Error.Field != tt.field || body.Error.Message == "" {
				t.Fatalf("POST %s = %d %s, want %d code %q field %q", tt.name, resp.StatusCode, raw, tt.status, tt.code, tt.field)
			}
		})
	}
	// Nothing of the above was stored.
	sup, _ := f.svc.UserByEmail(context.Background(), "sup@x.fr")
	list, _, _ := f.svc.Conversations(context.Background(), sup, inbox.ConversationQuery{})
	if len(list) != 0 {
		t.Fatalf("%d conversations stored from bad requests, want 0", len(list))
	}
}

func TestAuthAndRouting(t *testing.T) {
	f := newAPI(t)
	tests := []struct {
		name, method, path, auth string
		status                   int
		code                     string
	}{
		{"no token", "GET", "/api/v1/conversations", "", 401, "unauthorized"},
		{"unknown token", "GET", "/api/v1/conversations", "Bearer fdk_nope", 401, "unauthorized"},
		{"basic auth", "GET", "/api/v1/conversations", "Basic YTpi", 401, "unauthorized"},
		{"unknown route", "GET", "/api/v1/nothing", "", 404, "not_found"},
		// Once an HTML redirect, which an API client does not follow on a POST.
		{"path not clean", "GET", "/api//v1/me", "", 404, "not_found"},
		{"dot in the path", "POST", "/api/v1/./inbound", "", 404, "not_found"},
		{"wrong method", "DELETE", "/api/v1/conversations/1", "", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, f.srv.URL+tt.path, nil)
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body struct {
			Error errorDetail `json:"error"`
		}
		json.Unmarshal(raw, &body)
		if resp.StatusCode != tt.status || body.Error.Code != tt.code {
			t.Errorf("%s: %s %s = %d %s, want %d %s", tt.name, tt.method, tt.path, resp.StatusCode, raw, tt.status, tt.code)
		}
		if tt.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without WWW-Authenticate", tt.name)
		}
	}
}

func TestConversationEndpoints(t *testing.T) {
	f := newAPI(t)
	created := f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	id := int64(created.body["conversation_id"].(float64))
	path := fmt.Sprintf("/api/v1/conversations/%d", id)

	list := f.do(t, "agent@x.fr", "GET", "/api/v1/conversations?status=open&sort=priority", "")
	convs, _ := list.body["conversations"].([]any)
	if list.status != 200 || len(convs) != 1 {
		t.Fatalf("GET conversations = %d %s", list.status, list.raw)
	}
	show := f.do(t, "agent@x.fr", "GET", path, "")
	msgs, _ := show.body["messages"].([]any)
	events, _ := show.body["events"].([]any)
	if show.status != 200 || len(msgs) != 1 || len(events) != 1 || show.body["contact"] == nil {
		t.Fatalf("GET %s = %d %s", path, show.status, show.raw)
	}
	// A time that does not parse is named, where the answer once said only that the
	// body could not be read.
	for _, when := range []string{`"notadate"`, `""`} {
		r := f.do(t, "agent@x.fr", "PATCH", path, `{"status":"snoozed","snoozed_until":`+when+`}`)
		if e, _ := r.body["error"].(map[string]any); r.status != 400 || r.errorCode() != "invalid" || e["field"] != "snoozed_until" {
			t.Errorf("PATCH snoozed_until %s = %d %s, want 400 invalid on snoozed_until", when, r.status, r.raw)
		}
	}
	// A read marker past the conversation's messages would hide its next ones for good.
	for _, mid := range []int64{999999, -1} {
		r := f.do(t, "agent@x.fr", "POST", path+"/read", fmt.Sprintf(`{"message_id":%d}`, mid))
		if e, _ := r.body["error"].(map[string]any); r.status != 422 || e["field"] != "message_id" {
			t.Errorf("POST %s/read message %d = %d %s, want 422 on message_id", path, mid, r.status, r.raw)
		}
	}
	reply := f.do(t, "agent@x.fr", "POST", path+"/messages", `{"text":"Bien reçu, nous revenons vers vous."}`)
	if reply.status != 201 || reply.body["kind"] != "out" || reply.body["delivery_status"] != "queued" {
		t.Fatalf("POST messages = %d %s", reply.status, reply.raw)
	}
	note := f.do(t, "agent@x.fr", "POST", path+"/messages", `{"text":"<script>alert(1)</script>","note":true}`)
	if note.status != 201 || note.body["kind"] != "note" {
		t.Fatalf("POST note = %d %s", note.status, note.raw)
	}
	if strings.Contains(note.raw, "<script>") {
		t.Fatalf("note echoed raw markup %s; JSON must escape < and >", note.raw)
	}
	patch := f.do(t, "agent@x.fr", "PATCH", path, `{"status":"pending","priority":60,"tags":["RDV"]}`)
	if patch.status != 200 || patch.body["status"] != "pending" || patch.body["priority"] != float64(60) {
		t.Fatalf("PATCH = %d %s", patch.status, patch.raw)
	}
	// Move it to another team: the agent loses sight of it, the other team's agent gains it.
	teams, _ := f.svc.Teams(context.Background())
	var compta int64
	for _, tm := range teams {
		if tm.Slug == "compta" {
			compta = tm.ID
		}
	}
	if r := f.do(t, "sup@x.fr", "PATCH", path, fmt.Sprintf(`{"team_id":%d}`, compta)); r.status != 200 {
		t.Fatalf("PATCH team as supervisor = %d %s", r.status, r.raw)
	}
	for who, want := range map[string]int{"agent@x.fr": 404, "other@x.fr": 200, "sup@x.fr": 200} {
		if r := f.do(t, who, "GET", path, ""); r.status != want {
			t.Errorf("GET %s as %s = %d, want %d", path, who, r.status, want)
		}
	}
	bad := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/api/v1/conversations/abc", "", 404, "not_found"},
		{"GET", "/api/v1/conversations/999999", "", 404, "not_found"},
		{"PATCH", path, `{"status":"closed"}`, 422, "invalid"},
		{"PATCH", path, `{"priority":"high"}`, 400, "wrong_type"},
		{"PATCH", path, `{"colour":"red"}`, 400, "unknown_field"},
		{"POST", path + "/messages", `{"text":""}`, 422, "invalid"},
		{"POST", "/api/v1/conversations/999999/messages", `{"text":"x"}`, 404, "not_found"},
		{"GET", "/api/v1/conversations?limit=abc", "", 400, "invalid"},
		{"GET", "/api/v1/conversations?limit=1000", "", 422, "invalid"},
		{"GET", "/api/v1/conversations?limit=0", "", 400, "invalid"},
		{"GET", "/api/v1/conversations?cursor=!!", "", 400, "invalid"},
		{"GET", "/api/v1/conversations?team=-3", "", 400, "invalid"},
	}
	for _, b := range bad {
		r := f.do(t, "sup@x.fr", b.method, b.path, b.body)
		if r.status != b.status || r.errorCode() != b.code {
			t.Errorf("%s %s %s = %d %s, want %d %s", b.method, b.path, b.body, r.status, r.raw, b.status, b.code)
		}
	}
}

func TestConversationListCursor(t *testing.T) {
	f := newAPI(t)
	for i := range 5 {
		f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", fmt.Sprintf(`{"external_id":"p%d","from":{"address":"p%d@x.fr"},"text":"t"}`, i, i))
	}
	seen := map[any]bool{}
	url := "/api/v1/conversations?limit=2"
	for range 10 {
		r := f.do(t, "sup@x.fr", "GET", url, "")
		for _, c := range r.body["conversations"].([]any) {
			seen[c.(map[string]any)["id"]] = true
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		url = "/api/v1/conversations?limit=2&cursor=" + next
	}
	if len(seen) != 5 {
		t.Fatalf("paging with limit=2 saw %d conversations, want 5", len(seen))
	}
	r := f.do(t, "sup@x.fr", "GET", "/api/v1/conversations?limit=2", "")
	next := r.body["next_cursor"].(string)
	if r := f.do(t, "sup@x.fr", "GET", "/api/v1/conversations?sort=priority&cursor="+next, ""); r.status != 400 {
		t.Fatalf("cursor of one sort used with another = %d, want 400", r.status)
	}
}

func TestHealthAndReadiness(t *testing.T) {
	down := errors.New("connection refused")
	f := newAPI(t, Check{Name: "store", Fn: func(context.Context) error { return nil }}, Check{Name: "redis", Fn: func(context.Context) error { return down }})
	if r := f.do(t, "", "GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("/healthz = %d", r.status)
	}
	r := f.do(t, "", "GET", "/readyz", "")
	checks, _ := r.body["checks"].(map[string]any)
	if r.status != 503 || checks["store"] != "ok" || checks["redis"] != "connection refused" {
		t.Fatalf("/readyz with Redis down = %d %s, want 503 naming redis", r.status, r.raw)
	}
	f.do(t, "agent@x.fr", "POST", "/api/v1/inbound", inboundBody)
	m := f.do(t, "", "GET", "/metrics", "")
	if m.status != 200 || !strings.Contains(m.raw, `frontdesk_http_request_duration_seconds_count{code="201",route="POST /api/v1/inbound"} 1`) {
		t.Fatalf("/metrics lacks the inbound request:\n%s", m.raw)
	}
}

// TestTeamCreateConflict: a slug already taken answers 409 and leaves the team as it
// was, where the new name was once dropped behind a 201.
func TestTeamCreateConflict(t *testing.T) {
	f := newAPIConfigured(t, Config{Addr: "127.0.0.1:0", MaxBodyBytes: 4096}, inbox.Config{}, testUsers)
	if r := f.do(t, "admin@x.fr", "POST", "/api/v1/teams", `{"slug":"etat-civil","name":"État civil"}`); r.status != 201 || r.body["name"] != "État civil" {
		t.Fatalf("POST /api/v1/teams = %d %s, want 201", r.status, r.raw)
	}
	r := f.do(t, "admin@x.fr", "POST", "/api/v1/teams", `{"slug":"etat-civil","name":"Autre"}`)
	if r.status != 409 || r.errorCode() != "conflict" {
		t.Fatalf("POST /api/v1/teams again = %d %s, want 409 conflict", r.status, r.raw)
	}
	r = f.do(t, "admin@x.fr", "POST", "/api/v1/teams", `{"slug":"État Civil","name":"X"}`)
	if e, _ := r.body["error"].(map[string]any); r.status != 422 || e["field"] != "slug" {
		t.Fatalf("POST /api/v1/teams with a bad slug = %d %s, want 422 on slug", r.status, r.raw)
	}
	// A user's team list names existing teams: a typo no longer creates one.
	r = f.do(t, "admin@x.fr", "POST", "/api/v1/users", `{"email":"n@x.fr","name":"N","role":"agent","password":"motdepasse-solide","teams":["etat-civil","nope"]}`)
	if e, _ := r.body["error"].(map[string]any); r.status != 422 || e["field"] != "teams" {
		t.Fatalf("POST /api/v1/users with an unknown team = %d %s, want 422 on teams", r.status, r.raw)
	}
	if r := f.do(t, "admin@x.fr", "POST", "/api/v1/users", `{"email":"n@x.fr","name":"N","role":"agent","password":"motdepasse-solide","teams":["etat-civil"]}`); r.status != 201 {
		t.Fatalf("POST /api/v1/users = %d %s, want 201", r.status, r.raw)
	}
	list := f.do(t, "admin@x.fr", "GET", "/api/v1/teams", "")
	if !strings.Contains(list.raw, `"État civil"`) || strings.Contains(list.raw, `"Autre"`) || strings.Contains(list.raw, `"nope"`) {
		t.Fatalf("GET /api/v1/teams = %s, want the first name kept", list.raw)
	}
}
