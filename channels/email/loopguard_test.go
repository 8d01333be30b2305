package email

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestAutomaticReasons(t *testing.T) {
	tokens := NewTokens(testSecret, "mairie.example")
	tests := []struct {
		name    string
		headers []string
		envFrom string
		want    string // a reason expected, "" for a person's mail
	}{
		{"person", []string{"From: marie@example.fr"}, "<marie@example.fr>", ""},
		{"auto-submitted: no is a person", []string{"From: marie@example.fr", "Auto-Submitted: no"}, "", ""},
		{"auto-replied", []string{"From: marie@example.fr", "Auto-Submitted: auto-replied"}, "", "auto-submitted: auto-replied"},
		{"auto-generated with comment", []string{"From: marie@example.fr", "Auto-Submitted: auto-generated (vacation)"}, "", "auto-submitted: auto-generated"},
		{"precedence auto_reply", []string{"From: marie@example.fr", "Precedence: auto_reply"}, "", "precedence: auto_reply"},
		{"precedence auto-reply", []string{"From: marie@example.fr", "Precedence: Auto-Reply"}, "", "precedence: auto-reply"},
		{"precedence bulk", []string{"From: marie@example.fr", "Precedence: bulk"}, "", "precedence: bulk"},
		{"precedence junk", []string{"From: marie@example.fr", "Precedence: JUNK"}, "", "precedence: junk"},
		{"precedence list", []string{"From: marie@example.fr", "Precedence: list"}, "", "precedence: list"},
		{"precedence first-class is a person", []string{"From: marie@example.fr", "Precedence: first-class"}, "", ""},
		{"x-autoreply", []string{"From: marie@example.fr", "X-Autoreply: yes"}, "", "x-autoreply"},
		{"x-autorespond", []string{"From: marie@example.fr", "X-Autorespond: yes"}, "", "x-autorespond"},
		{"x-auto-response-suppress", []string{"From: marie@example.fr", "X-Auto-Response-Suppress: OOF, AutoReply"}, "", "x-auto-response-suppress"},
		{"list-id", []string{"From: lettre@asso.example", "List-Id: <news.asso.example>"}, "", "mailing list"},
		{"list-unsubscribe", []string{"From: lettre@asso.example", "List-Unsubscribe: <mailto:u@asso.example>"}, "", "mailing list"},
		{"robot sender", []string{"From: MAILER-DAEMON@mx.example.org"}, "", "robot sender"},
		{"noreply with tag", []string{"From: noreply+x@service.example"}, "", "robot sender"},
		{"null return path", []string{"From: marie@example.fr"}, "<>", "null return path"},
		{"our own message", []string{"From: accueil@mairie.example", "Message-ID: " + tokens.MessageID(3, 4)}, "", "our own message"},
	}
	p := mailparse.New(mailparse.Limits{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			why := automaticReasons(p.Parse(rawMail(append(tt.headers, "Subject: x"), "x")), tokens, tt.envFrom)
			switch {
			case tt.want == "" && len(why) > 0:
				t.Errorf("automaticReasons(%q) = %q, want none (a person's mail)", tt.headers, why)
			case tt.want != "" && !slices.Contains(why, tt.want):
				t.Errorf("automaticReasons(%q) = %q, want %q among them", tt.headers, why, tt.want)
			}
		})
	}
}

// TestLoopGuardSharedBudget: acknowledgements and the Sender's automatic messages share
// one budget per address; an acknowledgement is counted once, when queued; a retried
// message is not counted twice.
func TestLoopGuardSharedBudget(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	type step struct {
		advance time.Duration
		op      string // "ack", or "auto" (Sender) with id
		addr    string
		id      int64
		want    bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"acknowledgement then its delivery count once", []step{
			{0, "ack", "marie@example.fr", 0, true},
			{time.Second, "auto", "marie@example.fr", 10, true}, // the acknowledgement itself
			{time.Second, "auto", "marie@example.fr", 11, true},
			{time.Second, "auto", "marie@example.fr", 12, true},
			{time.Second, "auto", "marie@example.fr", 13, false}, // fourth mail in the hour
			{time.Second, "ack", "marie@example.fr", 0, false},   // budget spent, and one a day
		}},
		{"rule replies alone", []step{
			{0, "auto", "Paul@Example.fr", 1, true},
			{0, "auto", "paul@example.fr", 2, true},
			{0, "auto", "paul@example.fr", 3, true},
			{0, "auto", "paul@example.fr", 4, false},
			{0, "auto", "paul@example.fr", 2, true}, // a retry of an allowed message
			{0, "auto", "other@example.fr", 5, true},
			{time.Hour, "auto", "paul@example.fr", 6, true}, // the window moved on
		}},
		{"rule replies spend the acknowledgement's budget", []step{
			{0, "auto", "anne@example.fr", 1, true},
			{0, "auto", "anne@example.fr", 2, true},
			{0, "auto", "anne@example.fr", 3, true},
			{0, "ack", "anne@example.fr", 0, false},
		}},
		{"empty address never answered", []step{
			{0, "auto", "", 1, false},
			{0, "ack", "", 0, false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newLoopGuard(3, time.Hour, 24*time.Hour, func() time.Time { return now })
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				var got bool
				if s.op == "ack" {
					got = g.allowAck(s.addr)
				} else {
					got = g.allowAuto(s.addr, s.id)
				}
				if got != s.want {
					t.Fatalf("step %d: %s(%q, %d) = %v, want %v", i, s.op, s.addr, s.id, got, s.want)
				}
			}
		})
	}
}

// TestSendLoopGuard: the tester's case. Six complaints from one address in four
// seconds: an acknowledgement plus a rule's automatic reply to each are queued, but a
// real SMTP server receives at most max_auto_replies_per_sender automatic mails to that
// address per window; the rest fail for good with the reason. Agents' replies are
// never limited.
func TestSendLoopGuard(t *testing.T) {
	ctx := context.Background()
	be, host, port := startCapture(t)
	h := newHub(t)
	cfg := baseConfig()
	cfg.SMTPOut.Host, cfg.SMTPOut.Port, cfg.SMTPOut.TLS = host, port, TLSNone
	cfg.AutoAck.Enabled = true
	cfg.LoopGuard = LoopGuardConfig{MaxAutoRepliesPerSender: 3, Window: time.Hour}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c := newTestChannel(t, cfg, h.svc, WithClock(func() time.Time { return now }))
	s := c.Sender()

	var convs []int64
	acks := 0
	for i := range 6 {
		out, err := c.Receive(ctx, rawMail([]string{"From: Ticket System <tickets@helpdesk.example>", "Subject: Réclamation " + itoa(int64(i)),
			"Message-ID: <complaint" + itoa(int64(i)) + "@helpdesk.example>"}, "Je me plains."), Delivery{Account: "accueil"})
		if err != nil {
			t.Fatalf("Receive(complaint %d) = %v", i, err)
		}
		if out.Acknowledged {
			acks++
		}
		convs = append(convs, out.Result.ConversationID)
		// The router's complaint_received rule queues an automatic reply.
		if _, err := h.svc.AutoReply(ctx, out.Result.ConversationID, "Votre réclamation est enregistrée."); err != nil {
			t.Fatal(err)
		}
		now = now.Add(800 * time.Millisecond)
	}
	if acks != 1 {
		t.Fatalf("acknowledgements queued = %d, want 1 (one per sender per day)", acks)
	}
	send := func(m inbox.Message, conv int64) error {
		_, err := s.Send(ctx, channels.Outbound{MessageID: m.ID, ConversationID: conv, Channel: channels.Email, Subject: "Re: Réclamation",
			To: channels.Identity{Kind: channels.KindEmail, Value: "tickets@helpdesk.example"}, Text: m.Text, AutoSubmitted: m.AutoSubmitted})
		return err
	}
	sent, suppressed := 0, 0
	for _, conv := range convs {
		for _, m := range h.conversation(t, conv).Messages {
			if m.Kind != inbox.KindOut || !m.AutoSubmitted {
				continue
			}
			switch err := send(m, conv); {
			case err == nil:
				sent++
			case channels.IsPermanent(err) && errors.Is(err, ErrAutoReplySuppressed) && strings.Contains(err.Error(), "loop guard (3 per"):
				suppressed++
			default:
				t.Fatalf("Send(automatic message %d) = %v (permanent %v); want nil or a permanent loop guard error", m.ID, err, channels.IsPermanent(err))
			}
		}
	}
	if sent != 3 || suppressed != 4 {
		t.Fatalf("7 automatic messages queued: %d sent, %d suppressed; want 3 and 4", sent, suppressed)
	}
	if n := countTo(be, "tickets@helpdesk.example"); n != 3 {
		t.Fatalf("SMTP server received %d automatic mails to one address in the window, want 3", n)
	}
	// Agents' replies are never limited.
	for i := range 5 {
		m, err := h.svc.Reply(ctx, h.admin, convs[i], inbox.ReplyInput{Text: "Réponse d'un agent."})
		if err != nil {
			t.Fatal(err)
		}
		if err := send(m, convs[i]); err != nil {
			t.Fatalf("Send(agent reply %d) = %v; want it delivered whatever the loop guard", i, err)
		}
	}
	if n := countTo(be, "tickets@helpdesk.example"); n != 8 {
		t.Fatalf("SMTP server received %d mails, want the 3 automatic and 5 agents' replies", n)
	}
	// A new window: automatic replies go again.
	now = now.Add(time.Hour)
	m, err := h.svc.AutoReply(ctx, convs[0], "Votre réclamation est enregistrée.")
	if err != nil {
		t.Fatal(err)
	}
	if err := send(m, convs[0]); err != nil {
		t.Fatalf("Send(automatic reply an hour later) = %v, want it delivered", err)
	}
}

func countTo(be *capture, addr string) int {
	be.mu.Lock()
	defer be.mu.Unlock()
	n := 0
	for _, m := range be.msgs {
		if slices.Contains(m.to, addr) {
			n++
		}
	}
	return n
}
