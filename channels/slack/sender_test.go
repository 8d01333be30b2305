package slack

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/outbound"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// runOutbound hands every outbox record after *after to the real outbound worker
// (which calls the hub's Send), as the bus would, with attempt.
func (f *fixture) runOutbound(after *uint64, attempt int) []error {
	f.t.Helper()
	recs, err := f.st.OutboxAfter(context.Background(), *after, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var batch []queue.Delivery
	for _, r := range recs {
		batch = append(batch, queue.Delivery{Message: queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}, Attempt: attempt})
		*after = r.ID
	}
	w := outbound.New(f.svc, map[string]channels.Sender{channels.Slack: f.hub}, queue.DefaultMaxAttempts, quietLog())
	return w.Handle(context.Background(), batch)
}

// retried runs the outbound worker twice on the events after *after, as the bus
// delivers them again after a failure: the first attempt must fail for now (why),
// leaving message id queued, and the second deliver it. It returns the message stored.
func (f *fixture) retried(after *uint64, id int64, why string) inbox.Message {
	f.t.Helper()
	ctx := context.Background()
	start := *after
	if errs := f.runOutbound(after, 1); errs == nil || errs[len(errs)-1] == nil {
		f.t.Fatalf("outbound %s = %v, want a temporary error", why, errs)
	}
	if got, _ := f.st.Message(ctx, id); got.DeliveryStatus != inbox.DeliveryQueued {
		f.t.Fatalf("status %s = %s, want still queued", why, got.DeliveryStatus)
	}
	*after = start
	if errs := f.runOutbound(after, 2); errs != nil {
		f.t.Fatalf("second attempt %s = %v, want delivered", why, errs)
	}
	got, _ := f.st.Message(ctx, id)
	if got.DeliveryStatus != inbox.DeliverySent {
		f.t.Fatalf("status after the retry %s = %s %q, want sent", why, got.DeliveryStatus, got.DeliveryError)
	}
	return got
}

// threadAndDM makes Marie Dupont write in a Slack Connect thread and in a DM, and
// Camille Martin an agent; it returns the two conversations (by thread key), Camille,
// and the outbox position after the inbound events.
func (f *fixture) threadAndDM() (map[string]inbox.Conversation, inbox.User, uint64) {
	f.t.Helper()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.deliver(sharedMessage("Ev1", "U1", "1700000000.000100", "Bonjour"))
	f.deliver(messageEvent("Ev2", dm("U1", "1700000001.000100", "Et en privé")))
	f.drain()
	var after uint64
	f.runOutbound(&after, 1) // inbound events: nothing to send
	camille := f.agent("camille@mairie.fr", "Camille Martin")
	byKey := map[string]inbox.Conversation{}
	for _, c := range f.conversations() {
		byKey[c.ThreadKey] = c
	}
	if len(byKey) != 2 {
		f.t.Fatalf("conversations = %v, want the thread's and the DM's", byKey)
	}
	return byKey, camille, after
}

func (f *fixture) agent(email, name string) inbox.User {
	f.t.Helper()
	u, err := f.svc.CreateUser(context.Background(), inbox.NewUser{Email: email, Name: name, Role: inbox.RoleAgent, Password: "motdepasse-solide"})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// TestAgentReplyToSlackThread: an agent's reply to a Slack Connect thread goes back
// into that thread under the agent's name, escaped, with rate limits honoured.
func TestAgentReplyToSlackThread(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	byKey, camille, after := f.threadAndDM()

	f.api.failNext("chat.postMessage", cannedResponse{status: http.StatusTooManyRequests, retryAfter: "2"})
	m, err := f.svc.Reply(ctx, camille, byKey["CSHARED:1700000000.000100"].ID, inbox.ReplyInput{Text: "Bonjour <!channel> & merci"})
	if err != nil {
		t.Fatal(err)
	}
	if errs := f.runOutbound(&after, 1); errs != nil {
		t.Fatalf("outbound = %v", errs)
	}
	posts := f.api.callsTo("chat.postMessage")
	last := posts[len(posts)-1].Form
	if last["channel"] != "CSHARED" || last["thread_ts"] != "1700000000.000100" || last["username"] != "Camille Martin" ||
		last["text"] != "Bonjour &lt;!channel&gt; &amp; merci" {
		t.Fatalf("chat.postMessage form = %v, want the thread, the agent's name and escaped text", last)
	}
	if len(f.sleeps) != 1 || f.sleeps[0] != 2*time.Second {
		t.Fatalf("sleeps = %v, want the 2s Retry-After waited", f.sleeps)
	}
	got, _ := f.st.Message(ctx, m.ID)
	if got.DeliveryStatus != inbox.DeliverySent || !strings.HasPrefix(got.ExternalID, "T0001/CSHARED/") {
		t.Fatalf("reply = %s %q, want sent with the Slack message id", got.DeliveryStatus, got.ExternalID)
	}

	// The DM conversation: a top-level post in the DM.
	if _, err := f.svc.Reply(ctx, camille, byKey["D0001"].ID, inbox.ReplyInput{Text: "Oui ?"}); err != nil {
		t.Fatal(err)
	}
	f.runOutbound(&after, 1)
	posts = f.api.callsTo("chat.postMessage")
	if last := posts[len(posts)-1].Form; last["channel"] != "D0001" || last["thread_ts"] != "" {
		t.Fatalf("DM reply form = %v, want a top-level post in the DM", last)
	}

	// Our own message comes back as an event: ignored.
	echo := dm("", "1700000099.000100", "Oui ?")
	echo["bot_id"] = "B1"
	f.deliver(messageEvent("Ev3", echo))
	f.drain()
	if d, _ := f.st.Conversation(ctx, byKey["D0001"].ID); d.MessageCount != 2 {
		t.Fatalf("DM conversation has %d messages, want 2 (our echo ignored)", d.MessageCount)
	}
}

// TestAgentFilesToSlack: an agent's files are uploaded (each to the URL Slack gives)
// and shared in the thread as one message whose text is the reply, escaped and
// signed with the agent's name; a rate limit on the way is waited out; a missing
// scope fails the reply for good.
func TestAgentFilesToSlack(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.deliver(sharedMessage("Ev1", "U1", "1700000000.000100", "Le formulaire ?"))
	f.drain()
	var after uint64
	f.runOutbound(&after, 1)
	camille := f.agent("camille@mairie.fr", "Camille Martin")
	conv := f.conversations()[0]

	pdf := []byte("%PDF-1.4\x00\xff cerfa")
	f.api.failNext("files.getUploadURLExternal", cannedResponse{status: http.StatusTooManyRequests, retryAfter: "1"})
	m, err := f.svc.Reply(ctx, camille, conv.ID, inbox.ReplyInput{Text: "Le voici <!here>", Attachments: []channels.Attachment{
		{Filename: "cerfa.pdf", ContentType: "application/pdf", Data: pdf},
		{Filename: "pieces.txt", ContentType: "text/plain", Data: []byte("Justificatif de domicile")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if errs := f.runOutbound(&after, 1); errs != nil {
		t.Fatalf("outbound = %v", errs)
	}
	done := f.api.callsTo("files.completeUploadExternal")
	if len(done) != 1 || len(f.api.callsTo("chat.postMessage")) != 0 {
		t.Fatalf("%d completions and %d posts, want the files shared in one message", len(done), len(f.api.callsTo("chat.postMessage")))
	}
	form := done[0].Form
	if form["channel_id"] != "CSHARED" || form["thread_ts"] != "1700000000.000100" || form["initial_comment"] != "*Camille Martin*\nLe voici &lt;!here&gt;" {
		t.Fatalf("files.completeUploadExternal form = %v, want the thread, the agent's name and the escaped text", form)
	}
	f.api.mu.Lock()
	uploads, shared := len(f.api.uploads), len(f.api.shared)
	var gotPDF []byte
	for id, d := range f.api.uploads {
		if f.api.shared[id][0] == "CSHARED" && bytes.HasPrefix(d, []byte("%PDF")) {
			gotPDF = d
		}
	}
	f.api.mu.Unlock()
	if uploads != 2 || shared != 2 || !bytes.Equal(gotPDF, pdf) {
		t.Fatalf("%d uploads, %d shared, pdf %q; want both files, byte for byte", uploads, shared, gotPDF)
	}
	if len(f.sleeps) != 1 || f.sleeps[0] != time.Second {
		t.Fatalf("sleeps = %v, want the Retry-After waited", f.sleeps)
	}
	got, _ := f.st.Message(ctx, m.ID)
	if got.DeliveryStatus != inbox.DeliverySent || !strings.HasPrefix(got.ExternalID, "T0001/CSHARED/file-F") {
		t.Fatalf("reply = %s %q, want sent with the file id", got.DeliveryStatus, got.ExternalID)
	}

	f.api.failNext("files.completeUploadExternal", cannedResponse{status: 200, body: `{"ok":false,"error":"missing_scope","needed":"files:write"}`})
	m2, err := f.svc.Reply(ctx, camille, conv.ID, inbox.ReplyInput{Attachments: []channels.Attachment{{Filename: "plan.png", Data: []byte("\x89PNG")}}})
	if err != nil {
		t.Fatal(err)
	}
	f.runOutbound(&after, 1)
	if got, _ := f.st.Message(ctx, m2.ID); got.DeliveryStatus != inbox.DeliveryFailed || !strings.Contains(got.DeliveryError, "missing_scope") {
		t.Fatalf("reply without the scope = %s %q, want failed naming missing_scope", got.DeliveryStatus, got.DeliveryError)
	}
}

// TestAgentReplyLongRateLimitAndRefusal: a Retry-After longer than max_retry_after
// leaves the reply queued for the bus to retry; a channel Slack does not know fails
// the reply permanently.
func TestAgentReplyLongRateLimitAndRefusal(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	f.api.addUser("U1", "Marie Dupont", "", false)
	f.deliver(messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour")))
	f.drain()
	var after uint64
	f.runOutbound(&after, 1)
	camille := f.agent("camille@mairie.fr", "Camille Martin")
	conv := f.conversations()[0]
	f.api.failNext("chat.postMessage", cannedResponse{status: http.StatusTooManyRequests, retryAfter: "120"})
	m, _ := f.svc.Reply(ctx, camille, conv.ID, inbox.ReplyInput{Text: "Un instant"})
	f.retried(&after, m.ID, "under a 120s rate limit")

	// A conversation whose channel Slack no longer knows.
	if _, err := f.hub.Send(ctx, channels.Outbound{Account: teamID, ThreadKey: "CGONE:1.1", Text: "x"}); !channels.IsPermanent(err) {
		t.Fatalf("Send(unknown channel) = %v, want a permanent error", err)
	}
	for _, out := range []channels.Outbound{
		{Account: "T9999", ThreadKey: "D0001", Text: "x"},
		{Account: teamID, ThreadKey: "not a key", Text: "x"},
		{Account: teamID, ThreadKey: "D0001", Text: "  "},
	} {
		if _, err := f.hub.Send(ctx, out); !channels.IsPermanent(err) {
			t.Errorf("Send(%+v) = %v, want a permanent error", out, err)
		}
	}
}

// TestRetryAfterLostAnswerPostsOnce: Slack accepts a reply but its answer is lost (a
// 502), so the delivery is retried; the retry finds the reply, by its metadata in the
// thread or by its text and files in the DM, and records it sent without posting it a
// second time. A retry after an attempt that did not get through posts it.
func TestRetryAfterLostAnswerPostsOnce(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	ctx := context.Background()
	byKey, camille, after := f.threadAndDM()
	thread, direct := byKey["CSHARED:1700000000.000100"], byKey["D0001"]

	deliver := func(conv inbox.Conversation, in inbox.ReplyInput, lose string) inbox.Message {
		t.Helper()
		m, err := f.svc.Reply(ctx, camille, conv.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		f.api.loseNext(lose, 1)
		return f.retried(&after, m.ID, "with "+lose+"'s answer lost")
	}

	m := deliver(thread, inbox.ReplyInput{Text: "Votre dossier est complet"}, "chat.postMessage")
	var inThread []map[string]any
	for _, p := range f.api.postedIn("CSHARED") {
		if p["text"] == "Votre dossier est complet" {
			inThread = append(inThread, p)
		}
	}
	if len(inThread) != 1 {
		t.Fatalf("posted %d times in the thread, want once", len(inThread))
	}
	if want := "T0001/CSHARED/" + inThread[0]["ts"].(string); m.ExternalID != want {
		t.Fatalf("external id = %q, want %q (the post the retry found)", m.ExternalID, want)
	}
	look := f.api.callsTo("conversations.replies")
	if last := look[len(look)-1].Form; last["ts"] != "1700000000.000100" || last["include_all_metadata"] != "1" || last["oldest"] == "" {
		t.Fatalf("conversations.replies form = %v, want the thread, with metadata, since the reply", last)
	}

	files := []channels.Attachment{{Filename: "attestation.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 attestation")}}
	deliver(direct, inbox.ReplyInput{Text: "Ci-joint", Attachments: files}, "files.completeUploadExternal")
	if n := len(f.api.callsTo("files.completeUploadExternal")); n != 1 {
		t.Fatalf("files shared %d times, want once", n)
	}
	if n := len(f.api.callsTo("conversations.history")); n != 1 {
		t.Fatalf("conversations.history called %d times, want once, by the retry", n)
	}

	// Nothing got through the first time (a 503 before Slack took it): the retry
	// finds nothing and posts.
	f.api.failNext("chat.postMessage", cannedResponse{status: http.StatusServiceUnavailable, body: "busy"})
	m, err := f.svc.Reply(ctx, camille, direct.ID, inbox.ReplyInput{Text: "Je vous rappelle"})
	if err != nil {
		t.Fatal(err)
	}
	f.retried(&after, m.ID, "after a 503")
	var posts int
	for _, p := range f.api.postedIn("D0001") {
		if p["text"] == "Je vous rappelle" {
			posts++
			meta, _ := p["metadata"].(map[string]any)
			payload, _ := meta["event_payload"].(map[string]any)
			if meta["event_type"] != replyEvent || payload["message_id"] != strconv.FormatInt(m.ID, 10) {
				t.Fatalf("metadata = %v, want the inbox message id", p["metadata"])
			}
		}
	}
	if posts != 1 {
		t.Fatalf("posted %d times, want once", posts)
	}
}

// TestRateLimitPastDeadline: a Retry-After that would outlast the caller's deadline
// (the outbound worker's send timeout) is not waited: the call fails as temporary at
// once, and the post is retried later.
func TestRateLimitPastDeadline(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.api.failNext("chat.postMessage", cannedResponse{status: http.StatusTooManyRequests, retryAfter: "20"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := f.hub.Send(ctx, channels.Outbound{Account: teamID, ThreadKey: "D0001", Text: "Un instant"})
	if err == nil || channels.IsPermanent(err) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("Send under a 20s rate limit with 10s left = %v, want a temporary error naming the deadline", err)
	}
	if len(f.sleeps) != 0 {
		t.Fatalf("slept %v, want no wait", f.sleeps)
	}
	if _, err := f.hub.Send(ctx, channels.Outbound{Account: teamID, ThreadKey: "D0001", Text: "Un instant"}); err != nil {
		t.Fatalf("Send once the limit is gone = %v", err)
	}
}
