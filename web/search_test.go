package web

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/search"
)

// newSearchAPI is a server with a real store, inbox and search index, holding a few
// messages: one in the agent's team, one in another team, one in the shared queue.
func newSearchAPI(t *testing.T, extra ...channels.Envelope) *apiFixture {
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
	svc := inbox.New(st, b, inbox.Config{}, log)
	idx, err := search.Open(filepath.Join(dir, "index"), search.Options{Directory: st, DefaultCountry: "33", Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { idx.Close() })
	s, err := New(Config{Addr: "127.0.0.1:0", MaxBodyBytes: 4096}, Deps{Inbox: svc, Logger: log,
		Registry: prometheus.NewRegistry(), Search: idx, SavedSearches: svc})
	if err != nil {
		t.Fatal(err)
	}
	f := &apiFixture{srv: httptest.NewServer(s.Handler()), svc: svc, tokens: map[string]string{}}
	t.Cleanup(f.srv.Close)
	for _, u := range []struct {
		email string
		role  inbox.Role
		team  string
	}{{"agent@x.fr", inbox.RoleAgent, "accueil"}, {"sup@x.fr", inbox.RoleSupervisor, ""}} {
		var teams []string
		if u.team != "" {
			teams = []string{u.team}
		}
		if _, err := svc.CreateUser(ctx, inbox.NewUser{Email: u.email, Name: u.email, Role: u.role, Password: "motdepasse-solide", Teams: teams}); err != nil {
			t.Fatal(err)
		}
		if f.tokens[u.email], _, err = svc.CreateToken(ctx, u.email, "test"); err != nil {
			t.Fatal(err)
		}
	}
	sup, _ := svc.UserByEmail(ctx, "sup@x.fr")
	accueil, _ := svc.EnsureTeam(ctx, "accueil", "Accueil")
	compta, _ := svc.EnsureTeam(ctx, "compta", "Compta")
	for i, m := range []struct {
		text string
		team int64
	}{
		{"Ma <b>réclamation</b> au sujet de la facture", accueil.ID},
		{"=HYPERLINK(\"http://evil\") réclamation comptable", compta.ID},
		{"Une réclamation sans équipe", 0},
	} {
		res, err := svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "e" + string(rune('a'+i)),
			From: channels.Identity{Kind: channels.KindEmail, Value: "c" + string(rune('a'+i)) + "@example.fr", Name: "-Contact"}, Text: m.text, Language: "fr"})
		if err != nil {
			t.Fatal(err)
		}
		if m.team != 0 {
			if _, err := svc.UpdateConversation(ctx, sup, res.ConversationID, inbox.Patch{TeamID: &m.team}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, env := range extra {
		if _, err := svc.Ingest(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := search.NewIndexer(idx, st, nil, search.Config{}, "test", log).CatchUp(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSearchList(t *testing.T) {
	f := newSearchAPI(t)
	q := "/api/v1/search?q=" + url.QueryEscape("réclamations")
	sup := f.do(t, "sup@x.fr", "GET", q, "")
	if sup.status != http.StatusOK || sup.body["total"] != 3.0 || sup.body["took_ms"] == nil || sup.body["sort"] != "relevance" {
		t.Fatalf("GET %s as supervisor = %d %s, want 200 with 3 hits", q, sup.status, sup.raw)
	}
	if strings.Contains(sup.raw, "<b>") || !strings.Contains(sup.raw, `\u003cb\u003e`) {
		t.Fatalf("GET %s: body %s, want the message's HTML escaped in JSON", q, sup.raw)
	}
	facets, _ := sup.body["facets"].(map[string]any)
	if facets["team"] == nil || facets["channel"] == nil {
		t.Fatalf("GET %s: facets %v, want team and channel", q, facets)
	}
	agent := f.do(t, "agent@x.fr", "GET", q, "")
	if agent.status != http.StatusOK || agent.body["total"] != 2.0 || strings.Contains(agent.raw, "comptable") {
		t.Fatalf("GET %s as agent = %d %s, want 2 hits, none of the other team", q, agent.status, agent.raw)
	}
	hits, _ := agent.body["hits"].([]any)
	first, _ := hits[0].(map[string]any)
	if seg, _ := first["snippet"].([]any); len(seg) == 0 {
		t.Fatalf("GET %s: hit %v has no snippet", q, first)
	}
	paged := f.do(t, "sup@x.fr", "GET", "/api/v1/search?sort=newest&limit=2&facets=false", "")
	next, _ := paged.body["next_cursor"].(string)
	if paged.status != http.StatusOK || next == "" || paged.body["facets"] != nil {
		t.Fatalf("GET first page = %d %s, want a next_cursor and no facets", paged.status, paged.raw)
	}
	rest := f.do(t, "sup@x.fr", "GET", "/api/v1/search?sort=newest&limit=2&facets=false&cursor="+next, "")
	if h, _ := rest.body["hits"].([]any); rest.status != http.StatusOK || len(h) != 1 {
		t.Fatalf("GET second page = %d %s, want the last hit", rest.status, rest.raw)
	}

	bad := []struct{ path, field string }{
		{"/api/v1/search?limit=abc", "limit"},
		{"/api/v1/search?limit=1000", "limit"},
		{"/api/v1/search?limit=0", "limit"},
		{"/api/v1/search?colour=blue", "colour"},
		{"/api/v1/search?q=a&q=b", "q"},
		{"/api/v1/search?q=" + strings.Repeat("x", search.MaxQueryBytes+1), "q"},
		{"/api/v1/search?q=team:inconnue", "q"},
		{"/api/v1/search?team=abc", "team"},
		{"/api/v1/search?from=hier", "from"},
		{"/api/v1/search?cursor=zzz", "cursor"},
		{"/api/v1/search?sort=best", "sort"},
		{"/api/v1/search?facets=maybe", "facets"},
		{"/api/v1/search?from=2026-03-02&to=2026-03-01", "to"},
		// Dates the index cannot hold once answered 500.
		{"/api/v1/search?from=9999-12-31", "from"},
		{"/api/v1/search?to=1600-01-01", "to"},
		{"/api/v1/search?q=after:9999-01-01", "q"},
		{"/api/v1/search?q=before:1000-01-01", "q"},
	}
	for _, tt := range bad {
		r := f.do(t, "sup@x.fr", "GET", tt.path, "")
		e, _ := r.body["error"].(map[string]any)
		if r.status != http.StatusBadRequest || r.errorCode() != "invalid" || e["field"] != tt.field {
			t.Errorf("GET %.60s = %d %s, want 400 invalid on %s", tt.path, r.status, r.raw, tt.field)
		}
	}
	if r := f.do(t, "", "GET", "/api/v1/search", ""); r.status != http.StatusUnauthorized {
		t.Fatalf("GET /api/v1/search without a token = %d, want 401", r.status)
	}
}

func TestSearchExport(t *testing.T) {
	f := newSearchAPI(t)
	if r := f.do(t, "agent@x.fr", "GET", "/api/v1/search/export.csv?q=r%C3%A9clamation", ""); r.status != http.StatusForbidden {
		t.Fatalf("export as agent = %d, want 403", r.status)
	}
	if r := f.do(t, "sup@x.fr", "GET", "/api/v1/search/export.csv?q=team:nulle", ""); r.status != http.StatusBadRequest {
		t.Fatalf("export with a bad query = %d %s, want 400", r.status, r.raw)
	}
	r := f.do(t, "sup@x.fr", "GET", "/api/v1/search/export.csv?q=r%C3%A9clamation", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export = %d %s", r.status, r.header.Get("Content-Type"))
	}
	// A byte order mark first, for spreadsheets to read UTF-8.
	body, ok := strings.CutPrefix(r.raw, "\uFEFF")
	if !ok {
		t.Fatalf("export does not start with a byte order mark: %q", r.raw[:min(len(r.raw), 20)])
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 4 || rows[0][0] != "message_id" {
		t.Fatalf("export CSV = %v rows, %v; want a header and 3 rows:\n%s", len(rows), err, r.raw)
	}
	for _, row := range rows[1:] {
		for _, c := range row {
			if c != "" && strings.ContainsRune("=+-@", rune(c[0])) {
				t.Fatalf("export cell %q starts with a formula character", c)
			}
		}
		if row[14] != "'-Contact" {
			t.Fatalf("export contact_name %q, want '-Contact", row[14])
		}
		// Teams are named beside their ids.
		if want := map[string]string{"": "", "1": "accueil", "2": "Compta"}[row[6]]; row[7] != want || row[6] != "" && row[7] == "" {
			t.Fatalf("export team %q (id %q), want %q", row[7], row[6], want)
		}
	}
	if !strings.Contains(r.raw, `'=HYPERLINK`) {
		t.Fatalf("export: the formula text was not defused:\n%s", r.raw)
	}
}

func TestSavedSearches(t *testing.T) {
	f := newSearchAPI(t)
	c := f.do(t, "sup@x.fr", "POST", "/api/v1/search/saved", `{"name":"Réclamations ouvertes","params":"q=r%C3%A9clamation&status=open&cursor=abc"}`)
	if c.status != http.StatusCreated || c.body["params"] != "q=r%C3%A9clamation&status=open" {
		t.Fatalf("POST saved = %d %s, want 201 without the cursor", c.status, c.raw)
	}
	if d := f.do(t, "sup@x.fr", "POST", "/api/v1/search/saved", `{"name":"Réclamations ouvertes","params":""}`); d.status != http.StatusConflict {
		t.Fatalf("POST saved (same name) = %d, want 409", d.status)
	}
	// What the search would refuse is not saved: it could never be run.
	for _, body := range []string{`{"name":"a","params":"zzz=1"}`, `{"name":"b","params":"q=a&q=b"}`,
		`{"name":"c","params":"from=9999-12-31"}`, `{"name":"d","params":"q=team:inconnue"}`, `{"name":"e","params":"sort=best"}`} {
		r := f.do(t, "sup@x.fr", "POST", "/api/v1/search/saved", body)
		if e, _ := r.body["error"].(map[string]any); r.status != http.StatusUnprocessableEntity || e["field"] != "params" {
			t.Errorf("POST saved %s = %d %s, want 422 on params", body, r.status, r.raw)
		}
	}
	for _, body := range []string{`{"params":"q=x"}`, `{"name":"x","params":"%zz"}`, `{"name":"` + strings.Repeat("n", 101) + `"}`, `{"name":1}`} {
		if r := f.do(t, "sup@x.fr", "POST", "/api/v1/search/saved", body); r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
			t.Errorf("POST saved %s = %d %s, want 400 or 422", body, r.status, r.raw)
		}
	}
	l := f.do(t, "sup@x.fr", "GET", "/api/v1/search/saved", "")
	if list, _ := l.body["saved_searches"].([]any); l.status != http.StatusOK || len(list) != 1 {
		t.Fatalf("GET saved = %d %s, want one", l.status, l.raw)
	}
	if l := f.do(t, "agent@x.fr", "GET", "/api/v1/search/saved", ""); strings.Contains(l.raw, "ouvertes") {
		t.Fatalf("GET saved as another user = %s, want none of the supervisor's", l.raw)
	}
	path := "/api/v1/search/saved/" + jsonID(c.body["id"])
	if r := f.do(t, "agent@x.fr", "DELETE", path, ""); r.status != http.StatusNotFound {
		t.Fatalf("DELETE another user's saved search = %d, want 404", r.status)
	}
	if r := f.do(t, "sup@x.fr", "DELETE", path, ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE own saved search = %d %s, want 204", r.status, r.raw)
	}
	if r := f.do(t, "sup@x.fr", "DELETE", path, ""); r.status != http.StatusNotFound {
		t.Fatalf("DELETE it again = %d, want 404", r.status)
	}
}

func jsonID(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}

// TestSearchNamesContacts: a hit of a contact without a name (a website visitor) is
// named as the inbox's list names them, by their visitor id, not left blank.
func TestSearchNamesContacts(t *testing.T) {
	f := newSearchAPI(t, channels.Envelope{Channel: channels.Webchat, ExternalID: "w1",
		From: channels.Identity{Kind: channels.KindVisitor, Value: "visitor-b21e07"}, Text: "J'ai perdu mon parapluie", Language: "fr"})
	r := f.do(t, "sup@x.fr", "GET", "/api/v1/search?q=parapluie", "")
	hits, _ := r.body["hits"].([]any)
	if r.status != http.StatusOK || len(hits) != 1 {
		t.Fatalf("GET search parapluie = %d %s, want one hit", r.status, r.raw)
	}
	if h, _ := hits[0].(map[string]any); h["contact_name"] != "visitor-b21e07" {
		t.Fatalf("hit of a nameless visitor has contact_name %v, want visitor-b21e07", h["contact_name"])
	}
	named := f.do(t, "sup@x.fr", "GET", "/api/v1/search?q=facture", "")
	if !strings.Contains(named.raw, `"contact_name":"-Contact"`) {
		t.Fatalf("GET search facture = %s, want the name people gave kept", named.raw)
	}
}
