package webchat

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

func TestHelloIssuesTokenThenReplaysHistory(t *testing.T) {
	f := newFixture(t, nil)
	v, w, replay := f.hello("demo", "", 0)
	if !validToken(w.Token) || w.Visitor != visitorID(w.Token) || w.Conv != 0 || len(replay) != 0 {
		t.Fatalf("welcome of a new visitor = %+v, replay %d; want a fresh token, no conversation", w, len(replay))
	}
	a1 := v.message("c1", "Bonjour, je voudrais un rendez-vous.")
	a2 := v.message("c2", "Pour une carte d'identité.")
	if a1.Seq == 0 || a2.Seq <= a1.Seq || a1.Conv == 0 || a2.Conv != a1.Conv {
		t.Fatalf("acks = %+v, %+v; want increasing seqs in one conversation", a1, a2)
	}
	f.reply(a1.Conv, "Bonjour, bien sûr.") // no socket of that visitor... yes there is: read it
	var pushed ServerMessage
	v.read(&pushed)
	if pushed.From != "agent" || pushed.Author != "Camille" || pushed.Seq <= a2.Seq {
		t.Fatalf("pushed reply = %+v; want the agent's, signed with the first name, after seq %d", pushed, a2.Seq)
	}
	v.ws.Close()

	// A new page load: the same token, since 0, gets the whole conversation in order.
	_, w2, replay := f.hello("demo", w.Token, 0)
	if w2.Conv != a1.Conv || w2.Visitor != w.Visitor || len(replay) != 3 {
		t.Fatalf("welcome back = %+v with %d replayed, want conversation %d and 3 messages", w2, len(replay), a1.Conv)
	}
	want := []struct {
		seq      int64
		from, id string
	}{{a1.Seq, "visitor", "c1"}, {a2.Seq, "visitor", "c2"}, {pushed.Seq, "agent", ""}}
	for i, m := range replay {
		if m.Seq != want[i].seq || m.From != want[i].from || m.ClientID != want[i].id || !m.Replay {
			t.Errorf("replay[%d] = %+v, want seq %d from %s cid %q", i, m, want[i].seq, want[i].from, want[i].id)
		}
	}
}

func TestResentClientIDIsStoredOnce(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	first := v.message("same-id", "Bonjour")
	again := v.message("same-id", "Bonjour")
	if !again.Duplicate || again.Seq != first.Seq {
		t.Fatalf("resend ack = %+v, want duplicate of seq %d", again, first.Seq)
	}
	// Also across connections (the client resends after a cut).
	v.ws.Close()
	v2, _, replay := f.hello("demo", v.token, 0)
	if len(replay) != 1 {
		t.Fatalf("replay after resends = %d messages, want 1", len(replay))
	}
	if a := v2.message("same-id", "Bonjour"); !a.Duplicate || a.Seq != first.Seq {
		t.Fatalf("resend on a new connection = %+v, want duplicate of %d", a, first.Seq)
	}
}

func TestReplayAfterReconnectSendsOnlyWhatWasMissed(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Bonjour")
	v.ws.Close()
	waitGone(t, f, v)
	// Replies while away are kept for the replay.
	var seqs []int64
	for i := range 3 {
		m, ext := f.reply(a.Conv, fmt.Sprintf("réponse %d", i))
		if ext != fmt.Sprintf("wc-out:%d:replay", m.ID) {
			t.Fatalf("Send() while away = %q, want the replay outcome", ext)
		}
		seqs = append(seqs, m.ID)
	}
	_, w, replay := f.hello("demo", v.token, seqs[0])
	if w.Replayed != 2 || len(replay) != 2 || replay[0].Seq != seqs[1] || replay[1].Seq != seqs[2] {
		t.Fatalf("replay since %d = %+v, want seqs %v", seqs[0], replay, seqs[1:])
	}
}

// waitGone waits until the server has noticed that v's socket closed.
func waitGone(t *testing.T, f *fixture, v *visitor) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(f.chat.hub.sockets(visitorKey{"demo", v.id})) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the server did not notice the closed socket")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestOriginIsChecked(t *testing.T) {
	f := newFixture(t, nil)
	tests := []struct {
		site, origin string
		want         int
	}{
		{"demo", "", http.StatusForbidden},
		{"demo", "https://evil.example", http.StatusForbidden},
		{"demo", "null", http.StatusForbidden},
		{"other", "https://evil.example", http.StatusForbidden},
		{"demo", "https://www.example.fr", http.StatusForbidden}, // allowed for "other" only
		{"other", "https://www.example.fr", http.StatusSwitchingProtocols},
		{"demo", f.srv.URL, http.StatusSwitchingProtocols},
		{"nosuchsite", f.srv.URL, http.StatusNotFound},
	}
	for _, tt := range tests {
		ws, resp, err := f.dialOrigin(tt.site, tt.origin)
		if got := status(resp); got != tt.want {
			t.Errorf("dial site %s from origin %q: status %v (err %v), want %d", tt.site, tt.origin, got, err, tt.want)
		}
		if ws != nil {
			ws.Close()
		}
	}
}

func TestBadFramesGetErrorFramesAndTheSocketStays(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) { c.Limits.MaxMessageBytes = 100 })
	ws := f.dial("demo")
	defer ws.Close()
	v := &visitor{t: t, ws: ws}
	v.send(map[string]string{"type": "message", "cid": "x", "text": "before hello"})
	v.errorFrame(CodeHelloFirst)
	v.send(map[string]any{"type": "hello"})
	var w Welcome
	v.read(&w)

	tests := []struct {
		name  string
		frame string
		code  string
	}{
		{"invalid JSON", `{"type": "message", "cid": `, CodeInvalidFrame},
		{"not an object", `[1, 2]`, CodeInvalidFrame},
		{"two values", `{"type":"ping"} {"type":"ping"}`, CodeInvalidFrame},
		{"unknown type", `{"type":"explode"}`, CodeInvalidFrame},
		{"unknown field", `{"type":"ping","admin":true}`, CodeInvalidFrame},
		{"wrong type", `{"type":"message","cid":7,"text":"x"}`, CodeInvalidFrame},
		{"bad cid", `{"type":"message","cid":"a b","text":"x"}`, CodeInvalidFrame},
		{"empty text", `{"type":"message","cid":"a","text":"  "}`, CodeInvalidFrame},
		{"text over the limit", `{"type":"message","cid":"big","text":"` + strings.Repeat("é", 60) + `"}`, CodeTooLarge},
		{"frame over the read limit", `{"type":"message","cid":"huge","text":"` + strings.Repeat("a", 2000) + `"}`, CodeTooLarge},
		{"second hello", `{"type":"hello"}`, CodeInvalidFrame},
		{"invalid UTF-8", "{\"type\":\"message\",\"cid\":\"u\",\"text\":\"\xff\"}", CodeInvalidFrame},
	}
	for _, tt := range tests {
		if err := ws.WriteMessage(websocket.TextMessage, []byte(tt.frame)); err != nil {
			t.Fatalf("%s: write: %v", tt.name, err)
		}
		var e ErrorFrame
		raw := v.read(&e)
		if e.Type != TypeError || e.Code != tt.code || e.Message == "" || e.Fatal {
			t.Errorf("%s: got %s, want a non-fatal error frame %q with a message", tt.name, raw, tt.code)
		}
	}
	v.alive()
	if a := v.message("ok", "still here"); a.Seq == 0 {
		t.Fatalf("message after bad frames = %+v", a)
	}

	// Beyond the hard limit the server closes with 1009 and says why.
	ws.WriteMessage(websocket.TextMessage, make([]byte, hardFrameLimit+10))
	ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := ws.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("after a %d-byte frame: %v, want close 1009", hardFrameLimit+10, err)
	}
}

func TestFloodingIsAnsweredWithRateLimitFrames(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) {
		c.Limits.VisitorRate, c.Limits.VisitorBurst = 1, 3
		c.Limits.IPRate, c.Limits.IPBurst = 0.1, 6
	})
	v, _, _ := f.hello("demo", "", 0)
	for i := range 3 {
		v.message(fmt.Sprint("m", i), "Bonjour")
	}
	v.send(map[string]string{"type": "message", "cid": "m3", "text": "flood"})
	e := v.errorFrame(CodeRateLimited)
	if e.ClientID != "m3" || e.RetryAfterMS < 900 || e.RetryAfterMS > 1000 {
		t.Fatalf("rate limit frame = %+v, want cid m3 and about 1000 ms to wait", e)
	}
	f.clock.add(time.Second)
	v.message("m3", "flood, later") // one token back after a second

	// The per-IP limit covers several visitors from one address.
	w, _, _ := f.hello("demo", "", 0)
	w.message("w0", "Bonjour")
	w.message("w1", "Bonjour")
	w.send(map[string]string{"type": "message", "cid": "w2", "text": "Bonjour"})
	if e := w.errorFrame(CodeRateLimited); e.ClientID != "w2" {
		t.Fatalf("per-IP limit frame = %+v", e)
	}
	w.alive()
}

func TestTokenSeesOnlyItsOwnVisitor(t *testing.T) {
	f := newFixture(t, nil)
	a, _, _ := f.hello("demo", "", 0)
	a.message("secret", "Mon numéro fiscal est 123")
	ackA := a.message("two", "…")

	// Another visitor with its own token: nothing of a's.
	b, wb, replay := f.hello("demo", newToken(), 0)
	if wb.Conv != 0 || len(replay) != 0 || wb.Visitor == a.id {
		t.Fatalf("other visitor's welcome = %+v with %d replayed, want nothing of visitor a", wb, len(replay))
	}
	// a's visitor id is public to agents; used as a token it is not a token.
	b.ws.Close()
	ws := f.dial("demo")
	defer ws.Close()
	probe := &visitor{t: t, ws: ws}
	probe.send(map[string]any{"type": "hello", "token": a.id})
	probe.errorFrame(CodeInvalidFrame)
	// The same token on another site is another visitor.
	ws2, _, err := f.dialOrigin("other", f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer ws2.Close()
	o := &visitor{t: t, ws: ws2}
	o.send(map[string]any{"type": "hello", "token": a.token})
	var w Welcome
	o.read(&w)
	if w.Conv != 0 || w.Replayed != 0 {
		t.Fatalf("a's token on site other = %+v, want no conversation", w)
	}
	// An agent reply addressed to a never reaches b.
	f.reply(ackA.Conv, "Pour a seulement")
	var m ServerMessage
	a.read(&m)
	o.alive() // o got nothing but its pong
}

func TestSenderOutcomes(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Bonjour")
	other := f.dial("demo") // a second tab of the same visitor
	tab := &visitor{t: t, ws: other}
	tab.send(map[string]any{"type": "hello", "token": v.token, "since": a.Seq})
	var w Welcome
	tab.read(&w)

	m, ext := f.reply(a.Conv, "Bonjour !")
	if ext != fmt.Sprintf("wc-out:%d:live", m.ID) {
		t.Fatalf("Send() with live sockets = %q", ext)
	}
	for _, c := range []*visitor{v, tab} {
		var got ServerMessage
		c.read(&got)
		if got.Seq != m.ID || got.Text != "Bonjour !" {
			t.Fatalf("tab got %+v, want the reply %d", got, m.ID)
		}
	}
	// The visitor leaves an address and goes: the reply is queued, then forwarded by
	// email once the grace period is over, unless they came back.
	v.send(map[string]string{"type": "profile", "name": "Marie", "email": "Marie@Example.fr"})
	var saved struct{ Type, Email string }
	v.read(&saved)
	if saved.Email != "marie@example.fr" {
		t.Fatalf("profile saved = %+v", saved)
	}
	v.ws.Close()
	tab.ws.Close()
	waitGone(t, f, v)
	m2, ext := f.reply(a.Conv, "Votre rendez-vous est confirmé.")
	if ext != fmt.Sprintf("wc-out:%d:replay", m2.ID) || len(f.mail.all()) != 0 {
		t.Fatalf("Send() within the grace period = %q, %d emails; want replay and no email yet", ext, len(f.mail.all()))
	}
	if err := f.chat.forwardDue(context.Background()); err != nil || len(f.mail.all()) != 0 {
		t.Fatalf("forwardDue() before due = %v, %d emails", err, len(f.mail.all()))
	}
	f.clock.add(DefaultEmailGrace + time.Second)
	if err := f.chat.forwardDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := f.mail.all()
	if len(mails) != 1 || mails[0].To.Value != "marie@example.fr" || !strings.Contains(mails[0].Text, "Votre rendez-vous est confirmé.") || mails[0].To.Kind != channels.KindEmail {
		t.Fatalf("forwarded emails = %+v, want the reply to marie@example.fr", mails)
	}
	f.chat.forwardDue(context.Background())
	if len(f.mail.all()) != 1 {
		t.Fatal("a queued reply was forwarded twice")
	}
	// Long gone: the next reply goes by email at once.
	m3, ext := f.reply(a.Conv, "Encore une chose.")
	if ext != fmt.Sprintf("wc-out:%d:email", m3.ID) || len(f.mail.all()) != 2 {
		t.Fatalf("Send() to a visitor long gone = %q, %d emails", ext, len(f.mail.all()))
	}
	// Not a visitor: permanent failure.
	if _, err := f.chat.Sender().Send(context.Background(), channels.Outbound{To: channels.Identity{Kind: channels.KindEmail, Value: "x@y.z"}}); !channels.IsPermanent(err) {
		t.Fatalf("Send(to an email) = %v, want a permanent error", err)
	}
}

// TestHelloSinceSkipsWhatWasSeen: a tab that says hello having seen up to message N
// is not pushed message N again (another tab's message stored just before the hello
// used to reach it live), and gets what comes next.
func TestHelloSinceSkipsWhatWasSeen(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Bonjour")
	tab := &visitor{t: t, ws: f.dial("demo")}
	tab.send(map[string]any{"type": "hello", "token": v.token, "since": a.Seq})
	var w Welcome
	tab.read(&w)
	// The echo of message a, as the other tab's delivery would send it late.
	echo := encode(ServerMessage{Type: TypeMessage, Seq: a.Seq, Conv: a.Conv, From: "visitor", Text: "Bonjour", ClientID: "c1"})
	for _, c := range f.chat.hub.sockets(visitorKey{"demo", visitorID(v.token)}) {
		c.pushMessage(a.Seq, echo)
	}
	m, _ := f.reply(a.Conv, "Bonjour !")
	var got ServerMessage
	tab.read(&got)
	if got.Seq != m.ID {
		t.Fatalf("tab got %+v, want the reply %d (message %d was seen)", got, m.ID, a.Seq)
	}
}

// TestAgentFileReachesTheVisitor: a file an agent sends arrives live with a link
// signed for the visitor, which serves its content.
func TestAgentFileReachesTheVisitor(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Quel formulaire remplir ?")
	pdf := "%PDF-1.4 cerfa 12100"
	m, _ := f.reply(a.Conv, "Celui-ci :", channels.Attachment{Filename: "cerfa_12100.pdf", ContentType: "application/pdf", Data: []byte(pdf)})
	var got ServerMessage
	v.read(&got)
	if got.Seq != m.ID || len(got.Attachments) != 1 || got.Attachments[0].Name != "cerfa_12100.pdf" || got.Attachments[0].Size != int64(len(pdf)) {
		t.Fatalf("visitor got %+v, want the reply with its file", got)
	}
	resp, body := get(t, f.srv.URL+got.Attachments[0].URL)
	if resp.StatusCode != 200 || string(body) != pdf {
		t.Fatalf("GET %s = %d %q", got.Attachments[0].URL, resp.StatusCode, body)
	}
}

func TestComingBackCancelsTheQueuedEmail(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Bonjour")
	v.send(map[string]string{"type": "profile", "email": "marie@example.fr"})
	v.read(nil)
	v.ws.Close()
	waitGone(t, f, v)
	f.reply(a.Conv, "Réponse")
	f.hello("demo", v.token, a.Seq) // back, and the replay shows the reply
	f.clock.add(time.Hour)
	if err := f.chat.forwardDue(context.Background()); err != nil || len(f.mail.all()) != 0 {
		t.Fatalf("forwardDue() after the visitor came back = %v, %d emails; want none", err, len(f.mail.all()))
	}
}

func TestTypingBothWays(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	a := v.message("c1", "Bonjour")
	v.send(map[string]any{"type": "typing", "on": true})
	v.send(map[string]any{"type": "typing", "on": true}) // throttled
	v.send(map[string]any{"type": "typing", "on": false})
	v.alive()
	f.typing.mu.Lock()
	got := strings.Join(f.typing.calls, ",")
	f.typing.mu.Unlock()
	if got != "on,off" {
		t.Fatalf("visitor typing reached the agents as %q, want on,off", got)
	}
	f.chat.AgentTyping(a.Conv, "Camille Martin", true)
	var tf TypingFrame
	v.read(&tf)
	if tf.Type != TypeTyping || !tf.On || tf.Name != "Camille" {
		t.Fatalf("agent typing frame = %+v", tf)
	}
}

func TestTranscript(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	v.send(map[string]string{"type": "transcript"})
	v.errorFrame(CodeInvalidEmail) // no address yet
	v.send(map[string]string{"type": "profile", "email": "marie@example.fr"})
	v.read(nil)
	v.send(map[string]string{"type": "transcript"})
	v.errorFrame(CodeNoTranscript)
	a := v.message("c1", "Bonjour <b>toi</b>")
	f.reply(a.Conv, "Bonjour Marie")
	v.read(nil)
	for range 3 {
		v.send(map[string]string{"type": "transcript"})
		var done simpleFrame
		if raw := v.read(&done); done.Type != TypeTranscriptSent {
			t.Fatalf("transcript answered %s", raw)
		}
	}
	v.send(map[string]string{"type": "transcript"})
	v.errorFrame(CodeRateLimited)
	mails := f.mail.all()
	if len(mails) != 3 || !strings.Contains(mails[0].Text, "Bonjour <b>toi</b>") || !strings.Contains(mails[0].Text, "Camille :") {
		t.Fatalf("transcript email = %+v", mails)
	}

	g := newFixture(t, func(_ *Config, d *Deps) { d.Email = nil })
	w, _, _ := g.hello("demo", "", 0)
	w.send(map[string]string{"type": "transcript"})
	w.errorFrame(CodeNoEmail)
}

func TestProfileRefusesBadEmail(t *testing.T) {
	f := newFixture(t, nil)
	v, _, _ := f.hello("demo", "", 0)
	v.send(map[string]string{"type": "profile", "email": "not an address"})
	v.errorFrame(CodeInvalidEmail)
	v.send(map[string]string{"type": "profile", "email": "a@b.fr\r\nBcc: x@y.z"})
	v.errorFrame(CodeInvalidEmail)
}

func TestOfflineWelcome(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) {
		c.Sites[0].OfficeHours = calendar.Hours{Week: map[string][]string{"monday": {"09:00-12:00"}}}
	})
	// 27 Nov 2026 is a Friday: closed all day.
	_, w, _ := f.hello("demo", "", 0)
	if w.Online {
		t.Fatal("welcome outside office hours says online")
	}
}

func TestStatusIsPushedWhenAvailabilityChanges(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) {
		c.Sites[0].OfficeHours = calendar.Hours{Week: map[string][]string{"friday": {"09:00-12:00"}}}
	})
	v, w, _ := f.hello("demo", "", 0) // Friday 11:00 in Paris: open
	if !w.Online {
		t.Fatal("welcome in office hours says offline")
	}
	last := map[string]bool{"demo": true, "other": true}
	f.chat.pushStatus(context.Background(), last)
	v.alive() // nothing changed: nothing pushed before the pong
	f.clock.add(2 * time.Hour)
	f.chat.pushStatus(context.Background(), last)
	var st StatusFrame
	if raw := v.read(&st); st.Type != TypeStatus || st.Online {
		t.Fatalf("after closing time got %s, want status offline", raw)
	}
}

func TestStoppingRunClosesSocketsGoingAway(t *testing.T) {
	f := newFixture(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.chat.Run(ctx) }()
	v, _, _ := f.hello("demo", "", 0)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run() = %v after cancel, want nil", err)
	}
	v.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := v.ws.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseGoingAway) {
		t.Fatalf("socket after Run stopped: %v, want close 1001", err)
	}
}
