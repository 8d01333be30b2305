package slack

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestCustomerDMToInbox: a DM becomes a conversation with the sender's Slack name,
// users.info is called once per user, later DMs join the conversation, and the app's
// own and other bots' messages are ignored.
func TestCustomerDMToInbox(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.api.addUser("UBOT", "Helper Bot", "", true)
	f.deliver(messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour &lt;3 <https://mairie.fr|la mairie>")))
	f.deliver(messageEvent("Ev2", dm("U1", "1700000060.000100", "Vous êtes là ?")))
	bot := dm("", "1700000061.000100", "I am the app")
	bot["bot_id"] = "B1"
	f.deliver(messageEvent("Ev3", bot))
	f.deliver(messageEvent("Ev4", dm("UBOT", "1700000062.000100", "I am a bot user")))
	join := dm("U1", "1700000063.000100", "joined")
	join["subtype"] = "channel_join"
	f.deliver(messageEvent("Ev5", join))
	f.drain()

	convs := f.conversations()
	if len(convs) != 1 || convs[0].Channel != channels.Slack || convs[0].Account != teamID || convs[0].ThreadKey != "D0001" || convs[0].MessageCount != 2 {
		t.Fatalf("conversations = %+v, want one Slack DM conversation with 2 messages", convs)
	}
	msgs, _ := f.st.Messages(ctx, convs[0].ID)
	if msgs[0].Text != "Bonjour <3 la mairie (https://mairie.fr)" || msgs[0].ExternalID != "T0001/D0001/1700000000.000100" {
		t.Fatalf("first message = %q %q, want Slack markup turned into text and the team/channel/ts id", msgs[0].Text, msgs[0].ExternalID)
	}
	if !msgs[0].CreatedAt.Equal(time.Unix(1700000000, 100000).UTC()) {
		t.Fatalf("first message time = %v, want the Slack ts", msgs[0].CreatedAt)
	}
	contact, _ := f.st.Contact(ctx, convs[0].ContactID)
	if contact.Name != "Marie Dupont" || len(contact.Identities) != 1 || contact.Identities[0].Value != "U1" {
		t.Fatalf("contact = %+v, want Marie Dupont with her Slack id", contact)
	}
	if n := len(f.api.callsTo("users.info")); n != 2 {
		t.Fatalf("users.info called %d times, want 2 (U1 once, UBOT once)", n)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d events still pending, want all done", n)
	}
}

// TestCustomerIdentityJoinsEmailContact: a Slack user whose email is an existing
// contact's address writes as that contact; a new one gets the email attached.
func TestCustomerIdentityJoinsEmailContact(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	first, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "<a@x>", From: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, Text: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	f.api.addUser("U1", "Marie Dupont", "Marie@Example.fr", false)
	f.api.addUser("U2", "Paul Martin", "paul@example.fr", false)
	f.deliver(messageEvent("Ev1", dm("U1", "1.000100", "Bonjour depuis Slack")))
	u2 := dm("U2", "2.000100", "Bonjour")
	u2["channel"] = "D0002"
	f.deliver(messageEvent("Ev2", u2))
	f.drain()
	var slackConvs []inbox.Conversation
	for _, c := range f.conversations() {
		if c.Channel == channels.Slack {
			slackConvs = append(slackConvs, c)
		}
	}
	if len(slackConvs) != 2 {
		t.Fatalf("%d Slack conversations, want 2", len(slackConvs))
	}
	for _, c := range slackConvs {
		contact, _ := f.st.Contact(ctx, c.ContactID)
		var kinds []string
		for _, id := range contact.Identities {
			kinds = append(kinds, string(id.Kind)+":"+id.Value)
		}
		switch c.ThreadKey {
		case "D0001":
			if c.ContactID != first.ContactID || !slices.Contains(kinds, "slack:U1") {
				t.Fatalf("U1's conversation contact = %d %v, want Marie's contact %d with the Slack id", c.ContactID, kinds, first.ContactID)
			}
		case "D0002":
			if !slices.Equal(kinds, []string{"email:paul@example.fr", "slack:U2"}) {
				t.Fatalf("U2's contact identities = %v, want the Slack id and its email", kinds)
			}
		}
	}
}

// TestCustomerThreadsFilesAndRoot: in a Slack Connect channel each thread is a
// conversation; a reply to a thread never seen brings its root in (conversations.
// replies); files are downloaded with the bot token within the caps.
func TestCustomerThreadsFilesAndRoot(t *testing.T) {
	f := newFixture(t, ModeCustomer, func(c *Config) { c.MaxFileBytes = 2048 })
	ctx := context.Background()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.api.addUser("U2", "Jeanne", "", false)
	f.api.files["/files/F1/plan.pdf"] = []byte("%PDF-1.4 plan")
	f.api.files["/files/F3/big.bin"] = make([]byte, 4096) // announced small, is large
	f.api.replies["1700000000.000100"] = []map[string]any{{"type": "message", "user": "U2", "text": "Question de Jeanne", "ts": "1700000000.000100"}}
	shared := map[string]any{"is_ext_shared_channel": true}
	reply := map[string]any{"type": "message", "channel": "CSHARED", "channel_type": "channel", "user": "U1", "text": "Voici le plan",
		"ts": "1700000100.000100", "thread_ts": "1700000000.000100", "subtype": "file_share",
		"files": []map[string]any{
			{"id": "F1", "name": "plan.pdf", "mimetype": "application/pdf", "size": 13, "url_private_download": f.api.srv.URL + "/files/F1/plan.pdf"},
			{"id": "F2", "name": "huge.mov", "size": 1 << 30, "url_private_download": f.api.srv.URL + "/files/F2/huge.mov"},
			{"id": "F3", "name": "big.bin", "size": 10, "url_private_download": f.api.srv.URL + "/files/F3/big.bin"},
			{"id": "F4", "name": "gone.txt", "mode": "tombstone"},
			{"id": "F5", "name": "evil.txt", "size": 10, "url_private_download": "https://evil.example/steal"},
		}}
	f.deliver(messageEvent("Ev1", reply, shared))
	other := map[string]any{"type": "message", "channel": "CSHARED", "channel_type": "channel", "user": "U1", "text": "Autre sujet", "ts": "1700000200.000100"}
	f.deliver(messageEvent("Ev2", other, shared))
	internal := map[string]any{"type": "message", "channel": "CINTERNAL", "channel_type": "channel", "user": "U1", "text": "not a customer channel", "ts": "1700000300.000100"}
	f.deliver(messageEvent("Ev3", internal))
	f.drain()

	convs := f.conversations()
	if len(convs) != 2 {
		t.Fatalf("%d conversations, want 2 (the thread, the other top-level message)", len(convs))
	}
	var thread inbox.Conversation
	for _, c := range convs {
		if c.ThreadKey == "CSHARED:1700000000.000100" {
			thread = c
		}
	}
	msgs, _ := f.st.Messages(ctx, thread.ID)
	if len(msgs) != 2 || msgs[0].Text != "Question de Jeanne" || msgs[1].Text != "Voici le plan" {
		t.Fatalf("thread messages = %+v, want the root brought in first, then the reply", msgs)
	}
	m := msgs[1]
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "plan.pdf" || m.Attachments[0].Size != 13 || m.Attachments[0].ContentType != "application/pdf" {
		t.Fatalf("attachments = %+v, want plan.pdf only", m.Attachments)
	}
	if len(m.Warnings) != 4 {
		t.Fatalf("warnings = %q, want 4 (huge, big, tombstone, outside Slack)", m.Warnings)
	}
	for _, c := range f.api.callsTo("files.download") {
		if c.Form["token"] != f.api.token {
			t.Fatalf("file downloaded with token %q, want the bot token", c.Form["token"])
		}
		if strings.Contains(c.Form["path"], "F2") {
			t.Fatalf("the file announced over the cap was downloaded")
		}
	}
	if n := len(f.api.callsTo("conversations.replies")); n != 1 {
		t.Fatalf("conversations.replies called %d times, want 1", n)
	}
}

// TestCustomerEditsAndDeletions land in the timeline; an unfurl-only change is not an
// edit.
func TestCustomerEditsAndDeletions(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.deliver(messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour, rdv mardi")))
	change := func(id, oldText, newText string) string {
		return messageEvent(id, map[string]any{"type": "message", "subtype": "message_changed", "channel": "D0001", "channel_type": "im", "ts": "1700000050.000200",
			"message":          map[string]any{"type": "message", "user": "U1", "text": newText, "ts": "1700000000.000100"},
			"previous_message": map[string]any{"type": "message", "user": "U1", "text": oldText, "ts": "1700000000.000100"}})
	}
	f.deliver(change("Ev2", "Bonjour, rdv mardi", "Bonjour, rdv mercredi"))
	f.deliver(change("Ev3", "Bonjour, rdv mercredi", "Bonjour, rdv mercredi")) // link preview added
	f.deliver(messageEvent("Ev4", map[string]any{"type": "message", "subtype": "message_deleted", "channel": "D0001", "channel_type": "im",
		"ts": "1700000090.000300", "deleted_ts": "1700000000.000100", "previous_message": map[string]any{"user": "U1", "text": "x", "ts": "1700000000.000100"}}))
	f.drain()
	convs := f.conversations()
	evs, _ := f.st.Events(ctx, convs[0].ID)
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
		if e.Type == inbox.EventMessageEdited {
			var d map[string]any
			json.Unmarshal(e.Data, &d)
			if d["text"] != "Bonjour, rdv mercredi" {
				t.Fatalf("edit event data = %v, want the new text", d)
			}
		}
	}
	if !slices.Equal(types, []string{inbox.EventCreated, inbox.EventMessageEdited, inbox.EventMessageDeleted}) {
		t.Fatalf("timeline = %v, want created, edited, deleted", types)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d events pending, want 0", n)
	}
}

// TestProcessingRetries: users.info rate limited (429 Retry-After honoured inline),
// then failing with 500 (retried later with backoff), then answering.
func TestProcessingRetries(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.api.failNext("users.info",
		cannedResponse{status: http.StatusTooManyRequests, retryAfter: "3"},
		cannedResponse{status: http.StatusInternalServerError, body: "oops"})
	f.deliver(messageEvent("Ev1", dm("U1", "1.000100", "Bonjour")))
	f.drain()
	if len(f.sleeps) != 1 || f.sleeps[0] != 3*time.Second {
		t.Fatalf("sleeps = %v, want one 3s pause for Retry-After", f.sleeps)
	}
	p := f.pending()
	if len(p) != 1 || p[0].Attempts != 1 || !strings.Contains(p[0].LastError, "500") {
		t.Fatalf("pending = %+v, want the event with one failed attempt", p)
	}
	if n := f.drain(); n != 0 {
		t.Fatalf("drain() before the backoff = %d, want 0", n)
	}
	f.clock.add(DefaultRetryBackoff)
	if n := f.drain(); n != 1 {
		t.Fatalf("drain() after the backoff = %d, want 1", n)
	}
	if convs := f.conversations(); len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
}

// TestProcessingGivesUp: a temporary failure is retried max_attempts times, then the
// event is kept with its error and no longer pending.
func TestProcessingGivesUp(t *testing.T) {
	f := newFixture(t, ModeCustomer, func(c *Config) { c.MaxAttempts = 3 })
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.api.failNext("users.info", cannedResponse{status: 503}, cannedResponse{status: 503}, cannedResponse{status: 503})
	f.deliver(messageEvent("Ev1", dm("U1", "1.000100", "Bonjour")))
	for range 3 {
		f.drain()
		f.clock.add(time.Hour)
	}
	if p := f.pending(); len(p) != 0 {
		t.Fatalf("pending = %+v, want the event given up", p)
	}
	if n := len(f.api.callsTo("users.info")); n != 3 {
		t.Fatalf("users.info called %d times, want 3 attempts", n)
	}
	if len(f.conversations()) != 0 {
		t.Fatal("a conversation was created from an event given up")
	}
}
