package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
)

// TestStaffDMs: a direct message to a colleague found by email, with the DM channel
// cached; an address Slack does not know, or no address at all, fails for good; a
// workspace in customer mode only has no staff DMs.
func TestStaffDMs(t *testing.T) {
	if newFixture(t, ModeCustomer).hub.StaffDMs() != nil {
		t.Fatal("StaffDMs() on a customer-only workspace is not nil")
	}
	f := newFixture(t, ModeNotify)
	f.api.addUser("U42", "Julien Bernard", "julien.bernard@mairie.fr", false)
	dms := f.hub.StaffDMs()
	ctx := context.Background()
	send := func(to string) (string, error) {
		return dms.Send(ctx, channels.Outbound{Channel: channels.Slack, To: channels.Identity{Kind: channels.KindEmail, Value: to},
			Subject: "Message de Mme Dupont <!channel>", Text: "Rappeler avant 17 h au 06 12 34 56 78."})
	}
	id, err := send("Julien.Bernard@mairie.fr")
	if err != nil || !strings.Contains(id, "DU42") {
		t.Fatalf("Send() = %q, %v; want a post in DU42", id, err)
	}
	posts := f.api.callsTo("chat.postMessage")
	if len(posts) != 1 || posts[0].Form["channel"] != "DU42" || !strings.HasPrefix(posts[0].Form["text"], "Message de Mme Dupont &lt;!channel&gt;\n\nRappeler") {
		t.Fatalf("chat.postMessage calls = %+v, want the subject (escaped) then the text in the DM", posts)
	}
	if l := f.api.callsTo("users.lookupByEmail"); len(l) != 1 || l[0].Form["email"] != "julien.bernard@mairie.fr" {
		t.Fatalf("users.lookupByEmail calls = %+v", l)
	}
	if _, err := send("julien.bernard@mairie.fr"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.api.callsTo("users.lookupByEmail")) + len(f.api.callsTo("conversations.open")); n != 2 {
		t.Fatalf("%d lookups for a second message, want the cached DM channel", n-2)
	}
	f.clock.add(25 * time.Hour) // past the user cache's time to live
	if _, err := send("julien.bernard@mairie.fr"); err != nil || len(f.api.callsTo("users.lookupByEmail")) != 2 {
		t.Fatalf("after the cache expired: %v, %d lookups", err, len(f.api.callsTo("users.lookupByEmail")))
	}
	if _, err := send("nadia@mairie.fr"); !channels.IsPermanent(err) {
		t.Fatalf("Send(unknown address) = %v, want a permanent error", err)
	}
	_, err = dms.Send(ctx, channels.Outbound{To: channels.Identity{Kind: channels.KindSlack, Value: "U42"}, Text: "x"})
	if !channels.IsPermanent(err) {
		t.Fatalf("Send(to a Slack id) = %v, want a permanent error", err)
	}
	f.api.failNext("users.lookupByEmail", cannedResponse{status: 503, body: "busy"})
	f.clock.add(25 * time.Hour)
	if _, err := send("julien.bernard@mairie.fr"); err == nil || channels.IsPermanent(err) {
		t.Fatalf("Send() while Slack answers 503 = %v, want a temporary error", err)
	}
}
