package web

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
)

// TestContactDataRequests: an administrator finds a contact from a phone number as the
// caller says it, exports it as a download, erases it; every bad request gets its own
// status and code, and the audit log shows both operations.
func TestContactDataRequests(t *testing.T) {
	f := newHub(t).apiFixture
	in, err := f.svc.Ingest(context.Background(), channels.Envelope{Channel: channels.SMS, ExternalID: "sms-1",
		From: channels.Identity{Kind: channels.KindPhone, Value: "06 12 34 56 78", Name: "Marie"}, Text: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	found := f.do(t, "admin@x.fr", "GET", "/api/v1/contacts?identity="+url.QueryEscape("+33 6 12 34 56 78"), "")
	if found.status != 200 || found.body["id"] != float64(in.ContactID) {
		t.Fatalf("find by phone = %d %s, want contact %d", found.status, found.raw, in.ContactID)
	}
	id := in.ContactID
	for _, tt := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/api/v1/contacts", "", 400, "missing_field"},
		{"GET", "/api/v1/contacts?identity=marie", "", 400, "invalid"},
		{"GET", "/api/v1/contacts?identity=nobody@example.fr", "", 404, "not_found"},
		{"GET", "/api/v1/contacts?identity=x&kind=fax", "", 422, "invalid"},
		{"GET", "/api/v1/contacts/abc/export", "", 404, "not_found"},
		{"GET", "/api/v1/contacts/424242/export?reason=r", "", 404, "not_found"},
		// The audit log keeps why: an export without a reason is refused, as an erasure is.
		{"GET", fmt.Sprintf("/api/v1/contacts/%d/export", id), "", 400, "missing_field"},
		{"GET", fmt.Sprintf("/api/v1/contacts/%d/export?reason=+", id), "", 400, "missing_field"},
		{"GET", fmt.Sprintf("/api/v1/contacts/%d/export?reason=a%%0Ab", id), "", 422, "invalid"},
		{"POST", fmt.Sprintf("/api/v1/contacts/%d/erase", id), `{}`, 400, "missing_field"},
		{"POST", fmt.Sprintf("/api/v1/contacts/%d/erase", id), `{"reason":`, 400, "invalid_json"},
		{"POST", fmt.Sprintf("/api/v1/contacts/%d/erase", id), `{"reason":"` + strings.Repeat("x", 600) + `"}`, 422, "invalid"},
		{"GET", "/api/v1/audit?before=-1", "", 400, "invalid"},
		{"GET", "/api/v1/audit?limit=500", "", 400, "invalid"},
	} {
		// The field named is this request's parameter, not a sender's (from.kind).
		if tt.path == "/api/v1/contacts?identity=x&kind=fax" {
			r := f.do(t, "admin@x.fr", tt.method, tt.path, tt.body)
			if e, _ := r.body["error"].(map[string]any); e["field"] != "kind" {
				t.Errorf("GET %s names field %v, want kind", tt.path, e["field"])
			}
		}
		r := f.do(t, "admin@x.fr", tt.method, tt.path, tt.body)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, r.status, r.raw, tt.status, tt.code)
		}
	}

	x := f.do(t, "admin@x.fr", "GET", fmt.Sprintf("/api/v1/contacts/%d/export?reason=demande+12", id), "")
	if x.status != 200 || !strings.Contains(x.header.Get("Content-Disposition"), fmt.Sprintf(`filename="contact-%d.json"`, id)) ||
		len(x.body["conversations"].([]any)) != 1 || !strings.Contains(x.raw, "Bonjour") {
		t.Fatalf("export = %d %v %s", x.status, x.header, x.raw)
	}
	e := f.do(t, "admin@x.fr", "POST", fmt.Sprintf("/api/v1/contacts/%d/erase", id), `{"reason":"demande d'effacement 13"}`)
	if e.status != 200 || e.body["conversations"] != float64(1) || e.body["messages"] != float64(1) {
		t.Fatalf("erase = %d %s", e.status, e.raw)
	}
	conv := fmt.Sprintf("/api/v1/conversations/%d", in.ConversationID)
	if r := f.do(t, "admin@x.fr", "GET", conv, ""); r.status != 404 {
		t.Fatalf("GET erased conversation = %d %s, want 404", r.status, r.raw)
	}
	if r := f.do(t, "admin@x.fr", "POST", fmt.Sprintf("/api/v1/contacts/%d/erase", id), `{"reason":"again"}`); r.status != 404 {
		t.Fatalf("erase again = %d %s, want 404", r.status, r.raw)
	}
	audit := f.do(t, "admin@x.fr", "GET", "/api/v1/audit?limit=1", "")
	entries, _ := audit.body["entries"].([]any)
	if audit.status != 200 || len(entries) != 1 || audit.body["next"] == nil || entries[0].(map[string]any)["action"] != "contact.erased" {
		t.Fatalf("audit page 1 = %d %s", audit.status, audit.raw)
	}
	next := f.do(t, "admin@x.fr", "GET", fmt.Sprintf("/api/v1/audit?before=%v", audit.body["next"]), "")
	entries, _ = next.body["entries"].([]any)
	if next.status != 200 || len(entries) != 1 || entries[0].(map[string]any)["reason"] != "demande 12" || strings.Contains(next.raw, "Marie") {
		t.Fatalf("audit page 2 = %d %s", next.status, next.raw)
	}
}
