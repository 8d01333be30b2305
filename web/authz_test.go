package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestAuthorizationMatrix tries every API endpoint as each kind of caller and checks the
// status: unauthenticated, an agent of another team, the agent of the conversation's
// team, a supervisor and an admin.
func TestAuthorizationMatrix(t *testing.T) {
	f := newHub(t)
	ctx := context.Background()
	teams, _ := f.svc.Teams(ctx)
	team := map[string]int64{}
	for _, tm := range teams {
		team[tm.Slug] = tm.ID
	}
	res, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "<m@x>",
		From: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, Subject: "Dossier", Text: "Bonjour",
		Attachments: []channels.Attachment{{Filename: "scan.png", ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\nfake")}}})
	if err != nil {
		t.Fatal(err)
	}
	sup, _ := f.svc.UserByEmail(ctx, "sup@x.fr")
	accueil := team["accueil"]
	if _, err := f.svc.UpdateConversation(ctx, sup, res.ConversationID, inbox.Patch{TeamID: &accueil}); err != nil {
		t.Fatal(err)
	}
	d, _ := f.svc.Conversation(ctx, sup, res.ConversationID)
	att := d.Messages[0].Attachments[0].ID
	agent, _ := f.svc.UserByEmail(ctx, "agent@x.fr")
	conv := fmt.Sprintf("/api/v1/conversations/%d", res.ConversationID)

	callers := []string{"", "other@x.fr", "agent@x.fr", "sup@x.fr", "admin@x.fr"}
	tests := []struct {
		method, path, body string
		want               [5]int
	}{
		{"POST", "/api/v1/inbound", `{"external_id":"%s","from":{"address":"a@b.fr"},"text":"t"}`, [5]int{401, 201, 201, 201, 201}},
		{"GET", "/api/v1/me", "", [5]int{401, 200, 200, 200, 200}},
		{"GET", "/api/v1/inbox/counts", "", [5]int{401, 200, 200, 200, 200}},
		{"GET", "/api/v1/conversations", "", [5]int{401, 200, 200, 200, 200}},
		{"GET", conv, "", [5]int{401, 404, 200, 200, 200}},
		{"PATCH", conv, `{"priority":40}`, [5]int{401, 404, 200, 200, 200}},
		{"POST", conv + "/messages", `{"text":"ok","note":true}`, [5]int{401, 404, 201, 201, 201}},
		{"POST", conv + "/read", fmt.Sprintf(`{"message_id":%d}`, res.MessageID), [5]int{401, 404, 204, 204, 204}},
		{"GET", fmt.Sprintf("/api/v1/attachments/%d", att), "", [5]int{401, 404, 200, 200, 200}},
		{"GET", "/api/v1/users", "", [5]int{401, 403, 403, 200, 200}},
		{"POST", "/api/v1/users", `{"email":"%s@x.fr","name":"N","role":"agent","password":"motdepasse-solide"}`, [5]int{401, 403, 403, 403, 201}},
		{"PATCH", fmt.Sprintf("/api/v1/users/%d", agent.ID), `{"languages":["fr","en"]}`, [5]int{401, 403, 403, 403, 200}},
		{"GET", "/api/v1/teams", "", [5]int{401, 200, 200, 200, 200}},
		{"POST", "/api/v1/teams", `{"slug":"t-%s","name":"T"}`, [5]int{401, 403, 403, 403, 201}},
		{"GET", "/api/v1/contacts?identity=marie@example.fr", "", [5]int{401, 403, 403, 403, 200}},
		{"GET", fmt.Sprintf("/api/v1/contacts/%d/export?reason=r", res.ContactID), "", [5]int{401, 403, 403, 403, 200}},
		{"POST", "/api/v1/contacts/999999/erase", `{"reason":"r"}`, [5]int{401, 403, 403, 403, 404}},
		{"GET", "/api/v1/audit", "", [5]int{401, 403, 403, 403, 200}},
	}
	n := 0
	for _, tt := range tests {
		for i, who := range callers {
			n++
			body := tt.body
			if strings.Contains(body, "%s") {
				body = fmt.Sprintf(body, fmt.Sprint("u", n))
			}
			r := f.do(t, who, tt.method, tt.path, body)
			if r.status != tt.want[i] {
				t.Errorf("%s %s as %q = %d %s, want %d", tt.method, tt.path, who, r.status, r.raw, tt.want[i])
			}
			if r.status >= 400 && r.errorCode() == "" {
				t.Errorf("%s %s as %q: %d without the JSON error shape", tt.method, tt.path, who, r.status)
			}
		}
	}
	// Nothing leaks through lists and counts either.
	r := f.do(t, "other@x.fr", "GET", "/api/v1/conversations?status=open,pending,resolved,snoozed", "")
	for _, c := range r.body["conversations"].([]any) {
		if int64(c.(map[string]any)["id"].(float64)) == res.ConversationID {
			t.Fatal("the other team's agent lists the conversation")
		}
	}
	for _, who := range callers[1:] {
		if _, resp, err := wsDial(t, f.srv.URL, f.tokens[who], 0, nil); err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
			t.Errorf("agent socket as %s: %v", who, err)
		}
	}
}
