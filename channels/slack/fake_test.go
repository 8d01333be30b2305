package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

// fakeSlack is a local server speaking the Slack Web API's JSON for the methods the
// hub calls, recording every call.
type fakeSlack struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu    sync.Mutex
	calls []apiCall
	// users by id: a user.info "user" object.
	users map[string]map[string]any
	// replies by thread ts: conversations.replies messages.
	replies map[string][]map[string]any
	// files by path under /files/.
	files map[string][]byte
	// uploads holds the content uploaded, by file id; shared the files completed, by
	// file id: channel and thread.
	uploads map[string][]byte
	shared  map[string][2]string
	// fail holds canned responses served, once each, before the real one, by method.
	fail map[string][]cannedResponse
	// lose counts, by method, the calls still to carry out and then answer with a 502,
	// as when Slack accepted a message and its answer was lost.
	lose map[string]int
	// posted holds the messages the hub posted, by channel, oldest first.
	posted map[string][]map[string]any
	ts     int
}

type apiCall struct {
	Method string
	Form   map[string]string
}

type cannedResponse struct {
	status     int
	retryAfter string
	body       string
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, token: "xoxb-test-token", users: map[string]map[string]any{},
		replies: map[string][]map[string]any{}, files: map[string][]byte{}, fail: map[string][]cannedResponse{}, ts: 1000,
		uploads: map[string][]byte{}, shared: map[string][2]string{}, lose: map[string]int{}, posted: map[string][]map[string]any{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) url() string { return f.srv.URL + "/api/" }

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	auth := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if strings.HasPrefix(r.URL.Path, "/files/") {
		f.record("files.download", map[string]string{"path": r.URL.Path, "token": auth})
		if c, ok := f.canned("files.download"); ok {
			f.writeCanned(w, c)
			return
		}
		data, ok := f.file(r.URL.Path)
		if auth != f.token || !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Write(data)
		return
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/upload/"); ok {
		// The upload URL files.getUploadURLExternal gave: a multipart "file" part.
		f.record("files upload", map[string]string{"file": id, "token": auth})
		file, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		data, _ := io.ReadAll(file)
		f.mu.Lock()
		f.uploads[id] = data
		f.mu.Unlock()
		fmt.Fprintf(w, "OK - %d", len(data))
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	form := map[string]string{}
	for k, v := range r.Form {
		form[k] = v[0]
	}
	if auth == "" {
		auth = form["token"]
	}
	delete(form, "token")
	f.record(method, form)
	if c, ok := f.canned(method); ok {
		f.writeCanned(w, c)
		return
	}
	if auth != f.token {
		writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.lose[method] > 0 {
		f.lose[method]--
		w = &lostAnswer{ResponseWriter: w}
	}
	switch method {
	case "chat.postMessage":
		if form["channel"] == "CGONE" {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "channel_not_found"})
			return
		}
		f.ts++
		ts := fmt.Sprintf("%d.000100", f.ts)
		m := map[string]any{"type": "message", "ts": ts, "text": form["text"], "bot_id": "BHUB"}
		if form["metadata"] != "" {
			var meta map[string]any
			if err := json.Unmarshal([]byte(form["metadata"]), &meta); err != nil {
				writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_metadata_format"})
				return
			}
			m["metadata"] = meta
		}
		f.post(form["channel"], form["thread_ts"], m)
		writeJSON(w, 200, map[string]any{"ok": true, "channel": form["channel"], "ts": ts})
	case "files.getUploadURLExternal":
		if form["filename"] == "" || form["length"] == "" || form["length"] == "0" {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		f.ts++
		id := fmt.Sprintf("F%d", f.ts)
		writeJSON(w, 200, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(form["files"]), &files); err != nil || len(files) == 0 {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "invalid_arguments"})
			return
		}
		var out []map[string]any
		for _, fl := range files {
			if _, ok := f.uploads[fl.ID]; !ok {
				writeJSON(w, 200, map[string]any{"ok": false, "error": "file_not_found"})
				return
			}
			f.shared[fl.ID] = [2]string{form["channel_id"], form["thread_ts"]}
			out = append(out, map[string]any{"id": fl.ID, "title": fl.Title, "name": fl.Title})
		}
		f.ts++
		f.post(form["channel_id"], form["thread_ts"], map[string]any{"type": "message", "ts": fmt.Sprintf("%d.000100", f.ts),
			"text": form["initial_comment"], "files": out, "upload": true, "bot_id": "BHUB"})
		writeJSON(w, 200, map[string]any{"ok": true, "files": out})
	case "chat.postEphemeral":
		writeJSON(w, 200, map[string]any{"ok": true, "message_ts": "1.1"})
	case "users.info":
		u, ok := f.users[form["user"]]
		if !ok {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeJSON(w, 200, map[string]any{"ok": true, "user": u})
	case "users.lookupByEmail":
		for _, u := range f.users {
			if p, _ := u["profile"].(map[string]any); p != nil && strings.EqualFold(fmt.Sprint(p["email"]), form["email"]) {
				writeJSON(w, 200, map[string]any{"ok": true, "user": u})
				return
			}
		}
		writeJSON(w, 200, map[string]any{"ok": false, "error": "users_not_found"})
	case "conversations.open":
		if _, ok := f.users[form["users"]]; !ok {
			writeJSON(w, 200, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		writeJSON(w, 200, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + form["users"]}})
	case "conversations.replies":
		msgs := f.replies[form["ts"]]
		for _, m := range f.posted[form["channel"]] {
			if m["thread_ts"] == form["ts"] {
				msgs = append(msgs, m)
			}
		}
		writeJSON(w, 200, map[string]any{"ok": true, "messages": withMetadata(msgs, form), "has_more": false})
	case "conversations.history":
		var msgs []map[string]any
		for _, m := range f.posted[form["channel"]] {
			if m["thread_ts"] == nil {
				msgs = append([]map[string]any{m}, msgs...) // newest first
			}
		}
		writeJSON(w, 200, map[string]any{"ok": true, "messages": withMetadata(msgs, form), "has_more": false})
	case "files.info":
		writeJSON(w, 200, map[string]any{"ok": true, "file": map[string]any{"id": form["file"], "mimetype": "text/plain",
			"url_private_download": f.srv.URL + "/files/" + form["file"]}})
	default:
		writeJSON(w, 200, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

// post keeps m as posted in channel, in thread threadTS if not empty. The caller
// holds f.mu.
func (f *fakeSlack) post(channel, threadTS string, m map[string]any) {
	if threadTS != "" {
		m["thread_ts"] = threadTS
	}
	f.posted[channel] = append(f.posted[channel], m)
}

// withMetadata returns msgs as Slack answers them: with their metadata only when
// the call asked for it (include_all_metadata).
func withMetadata(msgs []map[string]any, form map[string]string) []map[string]any {
	if form["include_all_metadata"] == "1" {
		return msgs
	}
	out := make([]map[string]any, len(msgs))
	for i, m := range msgs {
		c := map[string]any{}
		for k, v := range m {
			if k != "metadata" {
				c[k] = v
			}
		}
		out[i] = c
	}
	return out
}

// lostAnswer answers a call carried out with a 502, whatever it wrote.
type lostAnswer struct {
	http.ResponseWriter
	done bool
}

func (l *lostAnswer) WriteHeader(int) {}
func (l *lostAnswer) Write(b []byte) (int, error) {
	if !l.done {
		l.done = true
		l.ResponseWriter.WriteHeader(http.StatusBadGateway)
		io.WriteString(l.ResponseWriter, "<html>502 Bad Gateway</html>")
	}
	return len(b), nil
}

// loseNext makes the next n calls of method succeed and their answers get lost.
func (f *fakeSlack) loseNext(method string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose[method] += n
}

// postedIn returns the messages posted in channel.
func (f *fakeSlack) postedIn(channel string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posted[channel])
}

func (f *fakeSlack) record(method string, form map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, apiCall{Method: method, Form: form})
}

func (f *fakeSlack) canned(method string) (cannedResponse, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.fail[method]
	if len(q) == 0 {
		return cannedResponse{}, false
	}
	f.fail[method] = q[1:]
	return q[0], true
}

func (f *fakeSlack) writeCanned(w http.ResponseWriter, c cannedResponse) {
	if c.retryAfter != "" {
		w.Header().Set("Retry-After", c.retryAfter)
	}
	w.WriteHeader(c.status)
	io.WriteString(w, c.body)
}

func (f *fakeSlack) file(path string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.files[path]
	return d, ok
}

// failNext queues canned responses for method.
func (f *fakeSlack) failNext(method string, rs ...cannedResponse) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], rs...)
}

func (f *fakeSlack) addUser(id, name, email string, bot bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = map[string]any{"id": id, "name": strings.ToLower(name), "real_name": name, "is_bot": bot,
		"profile": map[string]any{"real_name": name, "email": email}}
}

// callsTo returns the recorded calls of method.
func (f *fakeSlack) callsTo(method string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

const (
	testSecret = "test-signing-secret"
	teamID     = "T0001"
	mirrorCh   = "CMIRROR"
)

// fixture is a hub over a real SQLite store and inbox, calling a fakeSlack, with a
// fake clock and recorded sleeps.
type fixture struct {
	t     testing.TB
	hub   *Hub
	svc   *inbox.Service
	st    *store.SQLite
	api   *fakeSlack
	clock *clock

	mu     sync.Mutex
	sleeps []time.Duration
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newFixture(t testing.TB, mode string, mutate ...func(*Config)) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{}, dir, quietLog())
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, api: newFakeSlack(t), clock: &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}}
	f.svc = inbox.New(st, b, inbox.Config{}, quietLog(), inbox.WithClock(f.clock.now))
	ws := Workspace{TeamID: teamID, Name: "mairie", Mode: mode, SigningSecret: testSecret, BotToken: f.api.token, APIURL: f.api.url(), PostAsAgent: true}
	if strings.Contains(mode, "agent") || strings.Contains(mode, "notify") {
		ws.MirrorChannel = mirrorCh
	}
	cfg := Config{Workspaces: []Workspace{ws}}
	for _, m := range mutate {
		m(&cfg)
	}
	f.hub, err = New(cfg, f.svc, st, quietLog(), WithClock(f.clock.now), WithSleep(func(ctx context.Context, d time.Duration) error {
		f.mu.Lock()
		f.sleeps = append(f.sleeps, d)
		f.mu.Unlock()
		return ctx.Err()
	}))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return f
}

// post sends body to the receiver, signed now with the test secret, and returns the
// response.
func (f *fixture) post(body string, hdr ...string) *httptest.ResponseRecorder {
	ts := strconv.FormatInt(f.clock.now().Unix(), 10)
	r := httptest.NewRequest(http.MethodPost, "/hooks/slack/events", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(HeaderTimestamp, ts)
	r.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.hub.Handler().ServeHTTP(w, r)
	return w
}

// deliver posts an event and fails the test unless it is acknowledged with 200.
func (f *fixture) deliver(body string, hdr ...string) {
	f.t.Helper()
	if w := f.post(body, hdr...); w.Code != http.StatusOK {
		f.t.Fatalf("POST event = %d %s, want 200", w.Code, w.Body)
	}
}

// drain processes every stored event due now.
func (f *fixture) drain() int {
	f.t.Helper()
	n, err := f.hub.drain(context.Background())
	if err != nil {
		f.t.Fatalf("drain() = %v", err)
	}
	return n
}

// messageEvent builds an event_callback body carrying a message event.
func messageEvent(eventID string, ev map[string]any, extra ...map[string]any) string {
	cb := map[string]any{"type": "event_callback", "team_id": teamID, "api_app_id": "A1", "event_id": eventID, "event_time": 1, "event": ev}
	for _, e := range extra {
		for k, v := range e {
			cb[k] = v
		}
	}
	b, _ := json.Marshal(cb)
	return string(b)
}

// dm is a direct message event from user.
func dm(user, ts, text string) map[string]any {
	return map[string]any{"type": "message", "channel": "D0001", "channel_type": "im", "user": user, "text": text, "ts": ts}
}

// sharedMessage is the Events API callback of user's message at ts in the Slack
// Connect channel CSHARED.
func sharedMessage(eventID, user, ts, text string) string {
	return messageEvent(eventID, map[string]any{"type": "message", "channel": "CSHARED", "channel_type": "channel", "user": user,
		"text": text, "ts": ts}, map[string]any{"is_ext_shared_channel": true})
}

// pending returns the stored events not done.
func (f *fixture) pending() []inbox.SlackEvent {
	evs, err := f.st.PendingSlackEvents(context.Background(), f.clock.now().Add(24*time.Hour), 100)
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

// conversations returns every conversation, newest first.
func (f *fixture) conversations() []inbox.Conversation {
	list, err := f.st.Conversations(context.Background(), inbox.ConversationQuery{Limit: 100, Sort: inbox.SortRecent})
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}
