package slack

import (
	"context"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// runMirror hands every outbox record after *after to Mirror, as the bus consumer
// would.
func (f *fixture) runMirror(after *uint64) {
	f.t.Helper()
	recs, err := f.st.OutboxAfter(context.Background(), *after, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, r := range recs {
		if err := f.hub.Mirror(context.Background(), r.Type, r.Payload); err != nil {
			f.t.Fatalf("Mirror(%s) = %v", r.Type, err)
		}
		*after = r.ID
	}
}

func threadReply(user, ts, threadTS, text string) map[string]any {
	return map[string]any{"type": "message", "channel": mirrorCh, "channel_type": "channel", "user": user, "text": text, "ts": ts, "thread_ts": threadTS}
}

func (f *fixture) emailIn(extID, text string, refs ...string) inbox.IngestResult {
	f.t.Helper()
	res, err := f.svc.Ingest(context.Background(), channels.Envelope{Channel: channels.Email, ExternalID: extID, Subject: "Acte de naissance", References: refs,
		From: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr", Name: "Marie Dupont"}, Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// TestMirrorAgentSurface: a conversation is mirrored into one thread; redeliveries
// post nothing twice; an agent's thread message is a note, a prefixed one a reply,
// and neither is echoed back; strangers are refused.
func TestMirrorAgentSurface(t *testing.T) {
	f := newFixture(t, ModeAgent)
	ctx := context.Background()
	f.agent("camille@mairie.fr", "Camille Martin")
	f.api.addUser("UAGENT", "Camille M.", "Camille@mairie.fr", false)
	f.api.addUser("USTRANGER", "Someone", "someone@elsewhere.fr", false)
	f.api.addUser("UNOMAIL", "No Mail", "", false)
	res := f.emailIn("<m1@x>", "Bonjour, il me faut un acte de naissance.")
	var after uint64
	f.runMirror(&after)
	posts := f.api.callsTo("chat.postMessage")
	if len(posts) != 2 || posts[0].Form["channel"] != mirrorCh || posts[0].Form["thread_ts"] != "" ||
		!strings.Contains(posts[0].Form["text"], "Marie Dupont") || !strings.Contains(posts[0].Form["text"], "!reply") {
		t.Fatalf("posts = %+v, want a root in the mirror channel naming the contact and the reply prefix, then the message", posts)
	}
	th, err := f.st.SlackThreadByConversation(ctx, res.ConversationID)
	if err != nil || posts[1].Form["thread_ts"] != th.ThreadTS || !strings.Contains(posts[1].Form["text"], "acte de naissance") {
		t.Fatalf("thread = %+v, %v; message post = %v", th, err, posts[1].Form)
	}
	// Redelivery of the same bus events: nothing new.
	var again uint64
	f.runMirror(&again)
	if n := len(f.api.callsTo("chat.postMessage")); n != 2 {
		t.Fatalf("after redelivery %d posts, want still 2", n)
	}

	f.deliver(messageEvent("Ev1", threadReply("UAGENT", "1800000001.000100", th.ThreadTS, "Je regarde, c'est pour Nantes.")))
	f.deliver(messageEvent("Ev2", threadReply("UAGENT", "1800000002.000100", th.ThreadTS, "!reply Bonjour Marie, c'est noté.")))
	f.deliver(messageEvent("Ev3", threadReply("USTRANGER", "1800000003.000100", th.ThreadTS, "!reply hello")))
	f.deliver(messageEvent("Ev4", threadReply("UNOMAIL", "1800000004.000100", th.ThreadTS, "note?")))
	f.deliver(messageEvent("Ev5", map[string]any{"type": "message", "channel": mirrorCh, "channel_type": "channel", "user": "UAGENT", "text": "top-level chatter", "ts": "1800000005.000100"}))
	f.deliver(messageEvent("Ev6", threadReply("UAGENT", "1800000006.000100", "1234.000100", "thread we did not open")))
	f.drain()
	msgs, _ := f.st.Messages(ctx, res.ConversationID)
	if len(msgs) != 3 {
		t.Fatalf("conversation has %d messages, want 3 (in, note, reply): %+v", len(msgs), msgs)
	}
	note, reply := msgs[1], msgs[2]
	if note.Kind != inbox.KindNote || note.Text != "Je regarde, c'est pour Nantes." || note.AuthorUserID == 0 {
		t.Fatalf("note = %+v, want a note by Camille", note)
	}
	if reply.Kind != inbox.KindOut || reply.Text != "Bonjour Marie, c'est noté." || reply.DeliveryStatus != inbox.DeliveryQueued {
		t.Fatalf("reply = %+v, want an outbound reply without the prefix, queued", reply)
	}
	if n := len(f.api.callsTo("chat.postEphemeral")); n != 2 {
		t.Fatalf("%d ephemeral notices, want 2 (stranger, no email)", n)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d events pending, want 0", n)
	}
	// The note and reply reach the mirror as message.created: already linked, not
	// posted back.
	f.runMirror(&after)
	if n := len(f.api.callsTo("chat.postMessage")); n != 2 {
		t.Fatalf("after the agent's messages %d posts, want still 2 (no echo)", n)
	}
	// The same thread message delivered under a new event id (a second app install
	// for instance) is not stored twice.
	f.deliver(messageEvent("Ev7", threadReply("UAGENT", "1800000001.000100", th.ThreadTS, "Je regarde, c'est pour Nantes.")))
	f.drain()
	if msgs, _ := f.st.Messages(ctx, res.ConversationID); len(msgs) != 3 {
		t.Fatalf("%d messages after a duplicate thread message, want 3", len(msgs))
	}
	// The contact writes again: posted in the same thread.
	f.emailIn("<m2@x>", "Merci !", "<m1@x>")
	f.runMirror(&after)
	posts = f.api.callsTo("chat.postMessage")
	if len(posts) != 3 || posts[2].Form["thread_ts"] != th.ThreadTS {
		t.Fatalf("posts = %+v; want the new message in the thread", posts)
	}
}

// TestMirrorSelectsTeams: only conversations of the listed teams are mirrored, from
// the moment they join one.
func TestMirrorSelectsTeams(t *testing.T) {
	f := newFixture(t, ModeNotify, func(c *Config) { c.Workspaces[0].Teams = []string{"etat-civil"} })
	ctx := context.Background()
	sup, err := f.svc.CreateUser(ctx, inbox.NewUser{Email: "sup@mairie.fr", Name: "Sup", Role: inbox.RoleSupervisor, Password: "motdepasse-solide", Teams: []string{"etat-civil", "urbanisme"}})
	if err != nil {
		t.Fatal(err)
	}
	teams, _ := f.st.Teams(ctx)
	ids := map[string]int64{}
	for _, tm := range teams {
		ids[tm.Slug] = tm.ID
	}
	res := f.emailIn("<m1@x>", "Bonjour")
	var after uint64
	f.runMirror(&after)
	if n := len(f.api.callsTo("chat.postMessage")); n != 0 {
		t.Fatalf("%d posts for a conversation of no team, want 0", n)
	}
	for _, slug := range []string{"urbanisme", "etat-civil"} {
		id := ids[slug]
		if _, err := f.svc.UpdateConversation(ctx, sup, res.ConversationID, inbox.Patch{TeamID: &id}); err != nil {
			t.Fatal(err)
		}
		f.runMirror(&after)
	}
	posts := f.api.callsTo("chat.postMessage")
	if len(posts) != 2 || strings.Contains(posts[0].Form["text"], "!reply") {
		t.Fatalf("posts = %+v, want root (without reply instructions: notify) and message once in etat-civil", posts)
	}
	// Notify mode: agents' thread messages are ignored, and replies are not posted.
	th, _ := f.st.SlackThreadByConversation(ctx, res.ConversationID)
	f.api.addUser("UAGENT", "Sup", "sup@mairie.fr", false)
	f.deliver(messageEvent("Ev1", threadReply("UAGENT", "1800000001.000100", th.ThreadTS, "!reply Bonjour")))
	f.drain()
	if msgs, _ := f.st.Messages(ctx, res.ConversationID); len(msgs) != 1 {
		t.Fatalf("%d messages, want 1: notify mode takes nothing from the thread", len(msgs))
	}
	if _, err := f.svc.Reply(ctx, sup, res.ConversationID, inbox.ReplyInput{Text: "Réponse"}); err != nil {
		t.Fatal(err)
	}
	f.runMirror(&after)
	if n := len(f.api.callsTo("chat.postMessage")); n != 2 {
		t.Fatalf("%d posts after an agent reply, want 2: notify mode posts the contact's messages only", n)
	}
}

// TestMirrorDropsPermanentRefusals: a mirror channel Slack does not know is logged
// and dropped rather than blocking the consumer group.
func TestMirrorDropsPermanentRefusals(t *testing.T) {
	f := newFixture(t, ModeAgent, func(c *Config) { c.Workspaces[0].MirrorChannel = "CGONE" })
	f.emailIn("<m1@x>", "Bonjour")
	var after uint64
	f.runMirror(&after) // fails the test on an error
	if n := len(f.api.callsTo("chat.postMessage")); n == 0 {
		t.Fatal("no post was attempted")
	}
	if err := f.hub.Mirror(context.Background(), inbox.TopicMessageCreated, []byte("not json")); err != nil {
		t.Fatalf("Mirror(undecodable) = %v, want nil (dropped)", err)
	}
}
