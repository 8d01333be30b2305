package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// withPhoneDesk adds a recipient agent (team compta, like other@x.fr) and an admin to
// the API fixture, and returns the recipient's id and the compta team's id.
func withPhoneDesk(t *testing.T, f *apiFixture) (jean, compta int64) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []struct {
		email string
		role  inbox.Role
		team  string
	}{{"jean@x.fr", inbox.RoleAgent, "compta"}, {"admin@x.fr", inbox.RoleAdmin, ""}} {
		var teams []string
		if u.team != "" {
			teams = []string{u.team}
		}
		created, err := f.svc.CreateUser(ctx, inbox.NewUser{Email: u.email, Name: u.email, Role: u.role, Password: "motdepasse-solide", Teams: teams})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := f.svc.CreateToken(ctx, u.email, "test")
		if err != nil {
			t.Fatal(err)
		}
		f.tokens[u.email] = tok
		if u.email == "jean@x.fr" {
			jean, compta = created.ID, created.TeamIDs[0]
		}
	}
	return jean, compta
}

func TestPhoneMessageAPIFlow(t *testing.T) {
	f := newAPI(t)
	jean, compta := withPhoneDesk(t, f)
	body := fmt.Sprintf(`{"caller_name":"Marie Dupont","organisation":"Vélo Club","phone":"06 12 34 56 78","email":"marie@example.fr",
		"recipient_user_id":%d,"subject":"Facture","text":"Rappeler avant midi","urgency":"urgent",
		"callback_before":"2099-11-27T12:00:00+01:00","idempotency_key":"form-42"}`, jean)
	r := f.do(t, "agent@x.fr", "POST", "/api/v1/phone-messages", body)
	if r.status != http.StatusCreated || r.body["phone"] != "+33612345678" || r.body["status"] != "new" || r.body["callback_requested"] != true {
		t.Fatalf("POST /api/v1/phone-messages = %d %s", r.status, r.raw)
	}
	id := int64(r.body["id"].(float64))
	if again := f.do(t, "agent@x.fr", "POST", "/api/v1/phone-messages", body); again.status != http.StatusOK || again.body["id"] != r.body["id"] {
		t.Fatalf("replayed creation = %d %s, want 200 with the same id", again.status, again.raw)
	}
	team := f.do(t, "agent@x.fr", "POST", "/api/v1/phone-messages", fmt.Sprintf(`{"caller_name":"M. Roux","recipient_team_id":%d,"subject":"Devis"}`, compta))
	if team.status != http.StatusCreated {
		t.Fatalf("POST (for a team) = %d %s", team.status, team.raw)
	}
	list := func(who, query string) (int, []any) {
		t.Helper()
		r := f.do(t, who, "GET", "/api/v1/phone-messages"+query, "")
		items, _ := r.body["phone_messages"].([]any)
		return r.status, items
	}
	for _, tt := range []struct {
		who, query string
		status, n  int
	}{
		{"jean@x.fr", "", 200, 1},
		{"jean@x.fr", "?box=team", 200, 1},
		{"other@x.fr", "?box=team", 200, 1},
		{"other@x.fr", "?box=mine", 200, 0},
		{"agent@x.fr", "?box=sent", 200, 2},
		{"sup@x.fr", "?box=all", 200, 2},
		{"agent@x.fr", "?box=all", 403, 0},
		{"sup@x.fr", "?box=overdue", 200, 0},
		{"jean@x.fr", "?status=new", 200, 1},
		{"jean@x.fr", "?status=done", 200, 0},
		{"agent@x.fr", "?box=sent&limit=1", 200, 1},
	} {
		if status, items := list(tt.who, tt.query); status != tt.status || len(items) != tt.n {
			t.Errorf("GET /api/v1/phone-messages%s as %s = %d with %d messages, want %d with %d", tt.query, tt.who, status, len(items), tt.status, tt.n)
		}
	}
	page := f.do(t, "agent@x.fr", "GET", "/api/v1/phone-messages?box=sent&limit=1", "")
	next := f.do(t, "agent@x.fr", "GET", "/api/v1/phone-messages?box=sent&limit=1&cursor="+page.body["next_cursor"].(string), "")
	if items := next.body["phone_messages"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != r.body["id"] || next.body["next_cursor"] != nil {
		t.Fatalf("second page = %s, want the first message and no further cursor", next.raw)
	}
	path := fmt.Sprintf("/api/v1/phone-messages/%d", id)
	for _, tt := range []struct {
		who, method, suffix, body string
		status                    int
		code                      string
	}{
		{"other@x.fr", "GET", "", "", 404, "not_found"},
		{"agent@x.fr", "GET", "", "", 200, ""},
		{"sup@x.fr", "GET", "", "", 200, ""},
		{"admin@x.fr", "GET", "", "", 200, ""},
		{"agent@x.fr", "POST", "/acknowledge", "", 403, "forbidden"},
		{"sup@x.fr", "POST", "/acknowledge", "", 403, "forbidden"},
		{"other@x.fr", "POST", "/acknowledge", "", 404, "not_found"},
		{"jean@x.fr", "POST", "/acknowledge", "", 200, ""},
		{"jean@x.fr", "POST", "/acknowledge", "", 200, ""},
		{"agent@x.fr", "POST", "/callback-done", "", 403, "forbidden"},
		{"other@x.fr", "POST", "/callback-done", "", 404, "not_found"},
		{"jean@x.fr", "POST", "/callback-done", `{"note":"Rappelée"}`, 200, ""},
		{"", "GET", "", "", 401, "unauthorized"},
	} {
		r := f.do(t, tt.who, tt.method, path+tt.suffix, tt.body)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s %s%s as %q = %d %s, want %d %s", tt.method, path, tt.suffix, tt.who, r.status, r.raw, tt.status, tt.code)
		}
	}
	shown := f.do(t, "jean@x.fr", "GET", path, "")
	if shown.body["status"] != "done" || shown.body["callback_note"] != "Rappelée" || shown.body["notifications"] == nil {
		t.Fatalf("GET %s = %s, want done with the note and a notifications list", path, shown.raw)
	}
	// A supervisor may close someone else's callback.
	teamPath := fmt.Sprintf("/api/v1/phone-messages/%d/callback-done", int64(team.body["id"].(float64)))
	if r := f.do(t, "sup@x.fr", "POST", teamPath, ""); r.status != 200 || r.body["callback_done_by"] == nil {
		t.Fatalf("POST %s as supervisor = %d %s", teamPath, r.status, r.raw)
	}
}

func TestPhoneMessageAPIBadInput(t *testing.T) {
	f := newAPI(t)
	jean, _ := withPhoneDesk(t, f)
	ok := func(extra string) string {
		return fmt.Sprintf(`{"caller_name":"X","recipient_user_id":%d,"subject":"s"%s}`, jean, extra)
	}
	tests := []struct {
		name, body  string
		status      int
		code, field string
	}{
		{"malformed", `{"subject":`, 400, "invalid_json", ""},
		{"unknown field", ok(`,"priority":3`), 400, "unknown_field", "priority"},
		{"wrong type", ok(`,"callback_requested":"yes"`), 400, "wrong_type", "callback_requested"},
		{"no subject", fmt.Sprintf(`{"caller_name":"X","recipient_user_id":%d}`, jean), 400, "missing_field", "subject"},
		{"no recipient", `{"caller_name":"X","subject":"s"}`, 400, "missing_field", "recipient_user_id"},
		{"bad time", ok(`,"callback_before":"demain midi"`), 400, "invalid", "callback_before"},
		{"past time", ok(`,"callback_before":"2001-01-01T10:00:00Z"`), 422, "invalid", "callback_before"},
		// Past year 9999 in UTC: once stored, then every list answered 200 with no body.
		{"time JSON cannot write", ok(`,"callback_before":"9999-12-31T23:59:59-10:00"`), 422, "invalid", "callback_before"},
		{"bad phone", ok(`,"phone":"le standard"`), 422, "invalid", "phone"},
		{"bad urgency", ok(`,"urgency":"asap"`), 422, "invalid", "urgency"},
		{"both recipients", ok(`,"recipient_team_id":1`), 422, "invalid", "recipient"},
		{"unknown recipient", `{"caller_name":"X","recipient_user_id":999,"subject":"s"}`, 422, "invalid", "recipient_user_id"},
		{"unseen conversation", ok(`,"conversation_id":999`), 422, "invalid", "conversation_id"},
		{"too large", ok(`,"text":"` + strings.Repeat("a", 5000) + `"`), 413, "payload_too_large", ""},
	}
	for _, tt := range tests {
		r := f.do(t, "agent@x.fr", "POST", "/api/v1/phone-messages", tt.body)
		e, _ := r.body["error"].(map[string]any)
		field, _ := e["field"].(string)
		if r.status != tt.status || r.errorCode() != tt.code || field != tt.field {
			t.Errorf("%s: POST = %d %s, want %d %s (field %q)", tt.name, r.status, r.raw, tt.status, tt.code, tt.field)
		}
	}
	for _, box := range []string{"", "?box=sent", "?box=all"} {
		if r := f.do(t, "sup@x.fr", "GET", "/api/v1/phone-messages"+box, ""); r.status != 200 || r.body == nil {
			t.Errorf("GET /api/v1/phone-messages%s after the refusals = %d %q, want 200 with a body", box, r.status, r.raw)
		}
	}
	for _, q := range []string{"?box=inbox", "?limit=x", "?limit=1000", "?limit=0", "?status=read", "?cursor=abc", "?contact=-1"} {
		r := f.do(t, "agent@x.fr", "GET", "/api/v1/phone-messages"+q, "")
		if r.status != 400 && r.status != 422 {
			t.Errorf("GET /api/v1/phone-messages%s = %d %s, want 400 or 422", q, r.status, r.raw)
		}
	}
	for _, p := range []string{"/api/v1/phone-messages/abc", "/api/v1/phone-messages/999"} {
		if r := f.do(t, "sup@x.fr", "GET", p, ""); r.status != 404 {
			t.Errorf("GET %s = %d, want 404", p, r.status)
		}
	}
	if r := f.do(t, "sup@x.fr", "DELETE", "/api/v1/phone-messages/1", ""); r.status != 405 || r.errorCode() != "method_not_allowed" {
		t.Errorf("DELETE = %d %s, want 405", r.status, r.raw)
	}
}
