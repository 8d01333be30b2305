package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/explain"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

var (
	clfOnce sync.Once
	clfErr  error
	clf     *classify.Classifier
)

func testClassifier(t *testing.T) *classify.Classifier {
	clfOnce.Do(func() {
		raw, err := os.ReadFile("../configs/classifier/train.jsonl")
		if err != nil {
			clfErr = err
			return
		}
		samples, err := classify.ReadSamples(bytes.NewReader(raw))
		if err != nil {
			clfErr = err
			return
		}
		m, err := classify.Train(samples, classify.DefaultCategories, classify.TrainOptions{})
		if err != nil {
			clfErr = err
			return
		}
		clf, clfErr = classify.New(classify.Config{}, m)
	})
	if clfErr != nil {
		t.Fatal(clfErr)
	}
	return clf
}

type routingFixture struct {
	*apiFixture
	rt    *router.Router
	users map[string]inbox.User
	n     int
}

func newRoutingAPI(t *testing.T) *routingFixture {
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
	pres := presence.NewMemory(presence.Config{}, nil)
	rt, err := router.New(router.Config{DefaultTeam: "accueil", Rules: []rules.Rule{
		{Name: "billing", When: rules.Condition{Category: []string{"billing"}}, Then: rules.Action{Team: "compta"}},
	}}, svc, testClassifier(t), teamqueue.NewMemory(router.Available(pres)), pres, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Addr: "127.0.0.1:0", MaxBodyBytes: 4096}, Deps{Inbox: svc, Logger: log, Registry: prometheus.NewRegistry(), Router: rt})
	if err != nil {
		t.Fatal(err)
	}
	f := &routingFixture{apiFixture: &apiFixture{srv: httptest.NewServer(s.Handler()), svc: svc, tokens: map[string]string{}}, rt: rt, users: map[string]inbox.User{}}
	t.Cleanup(f.srv.Close)
	for _, u := range []struct {
		email string
		role  inbox.Role
		team  string
	}{
		{"agent@x.fr", inbox.RoleAgent, "accueil"},
		{"other@x.fr", inbox.RoleAgent, "accueil"},
		{"compta@x.fr", inbox.RoleAgent, "compta"},
		{"sup@x.fr", inbox.RoleSupervisor, ""},
	} {
		var teams []string
		if u.team != "" {
			teams = []string{u.team}
		}
		created, err := svc.CreateUser(ctx, inbox.NewUser{Email: u.email, Name: u.email, Role: u.role, Password: "motdepasse-solide", Teams: teams})
		if err != nil {
			t.Fatal(err)
		}
		f.users[u.email] = created
		tok, _, err := svc.CreateToken(ctx, u.email, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.email] = tok
	}
	return f
}

// message ingests and routes a message, returning its conversation id.
func (f *routingFixture) message(t *testing.T, subject, text string) int64 {
	t.Helper()
	f.n++
	res, err := f.svc.Ingest(context.Background(), channels.Envelope{Channel: channels.Email, ExternalID: fmt.Sprintf("<%d@x>", f.n),
		From: channels.Identity{Kind: channels.KindEmail, Value: fmt.Sprintf("c%d@example.fr", f.n)}, Subject: subject, Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.rt.Route(context.Background(), res.ConversationID); err != nil {
		t.Fatal(err)
	}
	return res.ConversationID
}

func (r response) check(t *testing.T, what string, status int, code string) {
	t.Helper()
	if r.status != status || (code != "" && r.errorCode() != code) {
		t.Errorf("%s = %d %s, want %d %s", what, r.status, r.raw, status, code)
	}
}

func TestQueueTake(t *testing.T) {
	f := newRoutingAPI(t)
	f.do(t, "agent@x.fr", "POST", "/api/v1/queue/take", "").check(t, "take with nothing queued", 200, "")
	if r := f.do(t, "agent@x.fr", "POST", "/api/v1/queue/take", ""); r.body["taken"] != false {
		t.Errorf("take with nothing queued = %s, want taken false", r.raw)
	}
	id := f.message(t, "Horaires", "Bonjour, quels sont vos horaires le samedi ?")
	r := f.do(t, "agent@x.fr", "POST", "/api/v1/queue/take", "")
	conv, _ := r.body["conversation"].(map[string]any)
	if r.status != 200 || r.body["taken"] != true || conv["id"] != float64(id) || conv["assignee_id"] != float64(f.users["agent@x.fr"].ID) {
		t.Fatalf("take = %d %s, want conversation %d assigned to the caller", r.status, r.raw, id)
	}
	if r := f.do(t, "other@x.fr", "POST", "/api/v1/queue/take", ""); r.body["taken"] != false {
		t.Errorf("second take = %s, want nothing left", r.raw)
	}
	f.do(t, "", "POST", "/api/v1/queue/take", "").check(t, "take without a token", 401, "unauthorized")
	f.do(t, "agent@x.fr", "GET", "/api/v1/queue/take", "").check(t, "GET take", 405, "method_not_allowed")
}

func TestRoutingUnavailableWithoutRouter(t *testing.T) {
	f := newAPI(t)
	f.do(t, "agent@x.fr", "POST", "/api/v1/queue/take", "").check(t, "take without a router", 503, "unavailable")
}

func TestHandoffEndpoints(t *testing.T) {
	f := newRoutingAPI(t)
	id := f.message(t, "Question", "Bonjour, où se trouve le service urbanisme ?")
	f.do(t, "agent@x.fr", "POST", "/api/v1/queue/take", "")
	other := f.users["other@x.fr"].ID
	path := fmt.Sprintf("/api/v1/conversations/%d/handoffs", id)
	tests := []struct {
		name, body, who string
		status          int
		code, field     string
	}{
		{"missing kind", `{"reason":"r","note":"n"}`, "agent@x.fr", 400, "missing_field", "kind"},
		{"missing reason", `{"kind":"agent","to_user_id":1,"note":"n"}`, "agent@x.fr", 400, "missing_field", "reason"},
		{"missing note", `{"kind":"agent","to_user_id":1,"reason":"r"}`, "agent@x.fr", 400, "missing_field", "note"},
		{"unknown field", `{"kind":"agent","to":"x","reason":"r","note":"n"}`, "agent@x.fr", 400, "unknown_field", "to"},
		{"bad kind", `{"kind":"boss","reason":"r","note":"n"}`, "agent@x.fr", 422, "invalid", "kind"},
		{"to nobody", `{"kind":"agent","to_user_id":999,"reason":"r","note":"n"}`, "agent@x.fr", 422, "invalid", "to_user_id"},
		{"to self", fmt.Sprintf(`{"kind":"agent","to_user_id":%d,"reason":"r","note":"n"}`, f.users["agent@x.fr"].ID), "agent@x.fr", 422, "invalid", "to_user_id"},
		{"not the holder", fmt.Sprintf(`{"kind":"agent","to_user_id":%d,"reason":"r","note":"n"}`, f.users["compta@x.fr"].ID), "other@x.fr", 403, "forbidden", ""},
		{"cannot see it", fmt.Sprintf(`{"kind":"agent","to_user_id":%d,"reason":"r","note":"n"}`, other), "compta@x.fr", 404, "not_found", ""},
	}
	for _, tt := range tests {
		r := f.do(t, tt.who, "POST", path, tt.body)
		field, _ := r.body["error"].(map[string]any)["field"].(string)
		if r.status != tt.status || r.errorCode() != tt.code || field != tt.field {
			t.Errorf("%s: POST handoff = %d %s, want %d %s %s", tt.name, r.status, r.raw, tt.status, tt.code, tt.field)
		}
	}
	f.do(t, "agent@x.fr", "POST", "/api/v1/conversations/999/handoffs", `{"kind":"supervisor","reason":"r","note":"n"}`).check(t, "handoff of an unknown conversation", 404, "not_found")
	f.do(t, "agent@x.fr", "POST", "/api/v1/conversations/abc/handoffs", `{"kind":"supervisor","reason":"r","note":"n"}`).check(t, "handoff of a bad id", 404, "not_found")
	good := fmt.Sprintf(`{"kind":"agent","to_user_id":%d,"reason":"langue","note":"Parle anglais, cherche le service urbanisme"}`, other)
	created := f.do(t, "agent@x.fr", "POST", path, good)
	created.check(t, "POST handoff", 201, "")
	f.do(t, "agent@x.fr", "POST", path, good).check(t, "second pending handoff", 409, "conflict")
	hid := int64(created.body["id"].(float64))
	f.do(t, "agent@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%d/accept", hid), "").check(t, "accept by the requester", 403, "forbidden")
	f.do(t, "compta@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%d/accept", hid), "").check(t, "accept by a bystander", 404, "not_found")
	list := f.do(t, "other@x.fr", "GET", "/api/v1/handoffs?status=pending", "")
	if hs, _ := list.body["handoffs"].([]any); list.status != 200 || len(hs) != 1 || hs[0].(map[string]any)["note"] != "Parle anglais, cherche le service urbanisme" {
		t.Errorf("GET handoffs = %d %s, want the pending one with its note", list.status, list.raw)
	}
	acc := f.do(t, "other@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%d/accept", hid), "")
	acc.check(t, "accept by the receiver", 200, "")
	if c, _ := acc.body["conversation"].(map[string]any); c["assignee_id"] != float64(other) {
		t.Errorf("accept = %s, want the conversation assigned to the receiver", acc.raw)
	}
	f.do(t, "other@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%d/accept", hid), "").check(t, "accept again", 409, "conflict")
	f.do(t, "other@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%d/decline", hid), `{"note":"trop tard"}`).check(t, "decline answered", 409, "conflict")
	teamID := f.users["compta@x.fr"].TeamIDs[0]
	th := f.do(t, "other@x.fr", "POST", path, fmt.Sprintf(`{"kind":"team","to_team_id":%d,"reason":"facture","note":"Montant contesté"}`, teamID))
	th.check(t, "team handoff", 201, "")
	f.do(t, "compta@x.fr", "POST", fmt.Sprintf("/api/v1/handoffs/%v/decline", th.body["id"]), "").check(t, "decline a team handoff", 422, "invalid")
	take := f.do(t, "compta@x.fr", "POST", "/api/v1/queue/take", "")
	if h, _ := take.body["handoff"].(map[string]any); take.body["taken"] != true || h["note"] != "Montant contesté" {
		t.Errorf("take after a team handoff = %s, want the conversation with the handoff note", take.raw)
	}
	for _, q := range []string{"status=lost", "conversation=x", "since=yesterday", "limit=0", "limit=501"} {
		f.do(t, "sup@x.fr", "GET", "/api/v1/handoffs?"+q, "").check(t, "GET handoffs?"+q, 400, "invalid")
	}
	sup := f.do(t, "sup@x.fr", "GET", fmt.Sprintf("/api/v1/handoffs?conversation=%d", id), "")
	if hs, _ := sup.body["handoffs"].([]any); len(hs) != 2 || hs[1].(map[string]any)["time_to_accept_seconds"] == nil {
		t.Errorf("supervisor's list = %s, want both handoffs, the first accepted with its time", sup.raw)
	}
}

func TestClassificationRoutingDryRunOverviewPresence(t *testing.T) {
	f := newRoutingAPI(t)
	id := f.message(t, "Question", "Bonjour, quels sont vos horaires ?")
	path := fmt.Sprintf("/api/v1/conversations/%d/classification", id)
	f.do(t, "agent@x.fr", "PUT", path, `{"category":"lottery"}`).check(t, "correct to an unknown category", 422, "invalid")
	f.do(t, "agent@x.fr", "PUT", path, `{}`).check(t, "empty correction", 422, "invalid")
	f.do(t, "agent@x.fr", "PUT", path, `{"category":1}`).check(t, "correction of the wrong type", 400, "wrong_type")
	f.do(t, "compta@x.fr", "PUT", path, `{"category":"complaint"}`).check(t, "correction by an agent who cannot see it", 404, "not_found")
	if r := f.do(t, "agent@x.fr", "PUT", path, `{"category":"complaint","tension":"tense"}`); r.status != 200 || r.body["category"] != "complaint" {
		t.Errorf("correct = %d %s", r.status, r.raw)
	}
	rv := f.do(t, "agent@x.fr", "GET", fmt.Sprintf("/api/v1/conversations/%d/routing", id), "")
	if st, _ := rv.body["state"].(map[string]any); rv.status != 200 || st["corrected"] != true || rv.body["priority"] == nil {
		t.Errorf("GET routing = %d %s", rv.status, rv.raw)
	}
	// The explanations are structured: a code, its arguments, the English text.
	var shown struct {
		State struct {
			Explanation map[string]explain.Reason `json:"explanation"`
		} `json:"state"`
		Priority struct {
			Factors []struct {
				Code, Value, Name string
				Points            int
			} `json:"factors"`
		} `json:"priority"`
	}
	if err := json.Unmarshal([]byte(rv.raw), &shown); err != nil {
		t.Fatalf("GET routing = %s: %v", rv.raw, err)
	}
	ex := shown.State.Explanation
	if ex["category"].Code != "category.corrected" || ex["tension"].Code == "" || ex["route"].Code == "" ||
		ex["priority"].Code != "priority" || ex["language"].Args["language"] != "fr" {
		t.Errorf("GET routing explanations = %+v, want structured reasons (category corrected)", ex)
	}
	fs := shown.Priority.Factors
	if len(fs) < 2 || fs[0].Code != "base" || fs[1].Code != "category" || fs[1].Value != "complaint" || fs[1].Name != "category Complaint +20" {
		t.Errorf("GET routing priority factors = %+v, want base then category complaint with codes", fs)
	}
	f.do(t, "compta@x.fr", "GET", fmt.Sprintf("/api/v1/conversations/%d/routing", id), "").check(t, "routing of an invisible conversation", 404, "not_found")

	probe := `{"subject":"Facture","text":"Bonjour, ma facture est fausse, pouvez-vous la corriger ?","channel":"email"}`
	f.do(t, "agent@x.fr", "POST", "/api/v1/routing/dry-run", probe).check(t, "dry-run by an agent", 403, "forbidden")
	d := f.do(t, "sup@x.fr", "POST", "/api/v1/routing/dry-run", probe)
	if rs, _ := d.body["rules"].([]any); d.status != 200 || d.body["team"] != "compta" || len(rs) != 1 || !strings.Contains(d.raw, `"held":true`) {
		t.Errorf("dry-run = %d %s, want billing to compta with the rule trace", d.status, d.raw)
	}
	// The dry-run carries each explanation structured, and in English for API users.
	var dry struct {
		Classification struct {
			Explanation map[string]struct {
				Code, Text string
			} `json:"explanation"`
		} `json:"classification"`
		Decision struct {
			Why    string         `json:"why"`
			Reason explain.Reason `json:"reason"`
		} `json:"decision"`
		Rules []struct {
			Checks []struct {
				Held   bool           `json:"held"`
				Why    string         `json:"why"`
				Reason explain.Reason `json:"reason"`
			} `json:"checks"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(d.raw), &dry); err != nil || len(dry.Rules) != 1 || len(dry.Rules[0].Checks) != 1 {
		t.Fatalf("dry-run = %s: %v", d.raw, err)
	}
	if c := dry.Classification.Explanation["category"]; c.Code != "category.model" || !strings.HasPrefix(c.Text, "category Billing (") {
		t.Errorf("dry-run category explanation = %+v, want category.model with its English text", c)
	}
	if dec := dry.Decision; dec.Reason.Code != "route.rule_if" || dec.Why != "rule billing: category Billing" {
		t.Errorf("dry-run decision = %+v, want route.rule_if and its English why", dec)
	}
	if ck := dry.Rules[0].Checks[0]; !ck.Held || ck.Reason.Code != "check.in" || ck.Reason.Args["field"] != "category" || ck.Why != "category is Billing, one of Billing" {
		t.Errorf("dry-run check = %+v, want check.in on the category, with its English why", ck)
	}
	f.do(t, "sup@x.fr", "POST", "/api/v1/routing/dry-run", `{"text":""}`).check(t, "dry-run of nothing", 422, "invalid")
	f.do(t, "sup@x.fr", "POST", "/api/v1/routing/dry-run", `{"text":"x","channel":"fax"}`).check(t, "dry-run on a bad channel", 422, "invalid")
	f.do(t, "sup@x.fr", "POST", "/api/v1/routing/dry-run", `{"text":"x","at":"noon"}`).check(t, "dry-run at a bad time", 400, "invalid")
	// Its deadlines once overflowed year 9999, and the answer was a 200 with no body.
	f.do(t, "sup@x.fr", "POST", "/api/v1/routing/dry-run", `{"text":"x","at":"9999-12-31T00:00:00Z"}`).check(t, "dry-run at year 9999", 422, "invalid")

	f.do(t, "agent@x.fr", "GET", "/api/v1/overview", "").check(t, "overview by an agent", 403, "forbidden")
	ov := f.do(t, "sup@x.fr", "GET", "/api/v1/overview", "")
	if qs, _ := ov.body["queues"].([]any); ov.status != 200 || len(qs) < 2 || ov.body["sla"] == nil || ov.body["handoffs"] == nil {
		t.Errorf("overview = %d %s", ov.status, ov.raw)
	}

	f.do(t, "agent@x.fr", "PUT", "/api/v1/presence", `{}`).check(t, "presence without status", 400, "missing_field")
	f.do(t, "agent@x.fr", "PUT", "/api/v1/presence", `{"status":"busy"}`).check(t, "presence busy", 422, "invalid")
	if r := f.do(t, "agent@x.fr", "PUT", "/api/v1/presence", `{"status":"online"}`); r.status != 200 || r.body["status"] != "online" {
		t.Errorf("presence online = %d %s", r.status, r.raw)
	}
	if r := f.do(t, "agent@x.fr", "PUT", "/api/v1/presence", `{"status":"offline"}`); r.status != 200 || r.body["status"] != "offline" {
		t.Errorf("presence offline = %d %s", r.status, r.raw)
	}
	var _ = http.StatusOK
}
