package email

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestReceiveThreadingLoopsAndReports(t *testing.T) {
	ctx := context.Background()
	h := newHub(t)
	team, err := h.svc.EnsureTeam(ctx, "accueil", "Accueil")
	if err != nil {
		t.Fatal(err)
	}
	cfg := baseConfig()
	cfg.SMTPOut.Host = "smtp.mairie.example"
	cfg.SMTPOut.PlusAddressing = true
	cfg.AutoAck.Enabled = true
	c := newTestChannel(t, cfg, h.svc)
	d := Delivery{Account: "accueil", Team: "accueil"}
	recv := func(raw []byte, d Delivery) Outcome {
		t.Helper()
		out, err := c.Receive(ctx, raw, d)
		if err != nil {
			t.Fatalf("Receive() = %v", err)
		}
		return out
	}

	first := recv(rawMail([]string{"From: Marie Dupont <marie@example.fr>", "To: accueil@mairie.example", "Subject: Acte de naissance", "Message-ID: <m1@example.fr>"}, "Bonjour, je voudrais un acte."), d)
	if !first.Result.NewConversation || !first.Acknowledged || len(first.Automatic) != 0 {
		t.Fatalf("first message: %+v; want a new conversation, acknowledged", first)
	}
	conv := h.conversation(t, first.Result.ConversationID)
	if conv.TeamID != team.ID || conv.Account != "accueil" {
		t.Fatalf("conversation team %d account %q; want team %d (from the mailbox) and account accueil", conv.TeamID, conv.Account, team.ID)
	}
	ack := conv.Messages[len(conv.Messages)-1]
	if !ack.AutoSubmitted || ack.Kind != inbox.KindOut || !strings.Contains(ack.Text, "bien reçu") || conv.FirstResponseAt != nil {
		t.Fatalf("acknowledgement = %+v (first response %v); want a French automatic message not counted as an answer", ack, conv.FirstResponseAt)
	}

	// An agent answers; the sender recorded our Message-ID as the external id.
	reply, err := h.svc.Reply(ctx, h.admin, conv.ID, inbox.ReplyInput{Text: "Voici la marche à suivre."})
	if err != nil {
		t.Fatal(err)
	}
	ourID := c.tokens.MessageID(conv.ID, reply.ID)
	if err := h.svc.RecordDelivery(ctx, reply.ID, inbox.DeliverySent, ourID, ""); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		raw     []byte
		d       Delivery
		sameAs  int64 // conversation expected, 0 for a new one
		auto    bool
		ack     bool
		dupe    bool
		noStore bool
	}{
		{name: "reply by In-Reply-To", sameAs: conv.ID,
			raw: rawMail([]string{"From: marie@example.fr", "Subject: Re: Acte", "Message-ID: <m2@example.fr>", "In-Reply-To: " + ourID}, "Merci")},
		{name: "reply by References only, newest first", sameAs: conv.ID,
			raw: rawMail([]string{"From: marie@example.fr", "Subject: Re: Acte", "Message-ID: <m3@example.fr>", "References: <unknown@x> " + ourID}, "Merci encore")},
		{name: "headers dropped, plus address kept", sameAs: conv.ID,
			raw: rawMail([]string{"From: marie@example.fr", "To: " + c.tokens.PlusAddress("accueil@mairie.example", conv.ID), "Subject: sans objet", "Message-ID: <m4@example.fr>"}, "Et aussi...")},
		{name: "same subject, no reference: a new conversation", ack: false,
			raw: rawMail([]string{"From: marie@example.fr", "Subject: Acte de naissance", "Message-ID: <m5@example.fr>"}, "Autre demande")},
		{name: "forged tag is ignored",
			raw: rawMail([]string{"From: marie@example.fr", "To: accueil+fd-c" + itoa(conv.ID) + "-aaaaaaaaaa@mairie.example", "Message-ID: <m6@example.fr>", "Subject: x"}, "forgé")},
		{name: "another sender's plus address does not merge", ack: true,
			raw: rawMail([]string{"From: voisin@example.org", "To: " + c.tokens.PlusAddress("accueil@mairie.example", conv.ID), "Message-ID: <v1@example.org>", "Subject: x"}, "je m'invite")},
		{name: "auto reply stored, flagged, not acknowledged", auto: true,
			raw: rawMail([]string{"From: sophie@example.fr", "Auto-Submitted: auto-replied", "Message-ID: <ooo@example.fr>", "Subject: Absente"}, "absente")},
		{name: "noreply sender", auto: true,
			raw: rawMail([]string{"From: no-reply@service.example", "Message-ID: <nr@service.example>", "Subject: Notification"}, "info")},
		{name: "list mail", auto: true,
			raw: rawMail([]string{"From: lettre@asso.example", "List-Id: <news.asso.example>", "Precedence: list", "Message-ID: <l1@asso.example>", "Subject: Lettre"}, "news")},
		{name: "our own message coming back is the outbound one", sameAs: conv.ID, dupe: true, auto: true,
			raw: rawMail([]string{"From: accueil@mairie.example", "Message-ID: " + ourID, "Subject: Re: Acte"}, "echo")},
		{name: "same Message-ID through another mailbox", sameAs: conv.ID, dupe: true, d: Delivery{Account: "urbanisme"},
			raw: rawMail([]string{"From: marie@example.fr", "Subject: Re: Acte", "Message-ID: <m2@Example.FR>"}, "Merci")},
	}
	for _, tt := range tests {
		if tt.d.Account == "" {
			tt.d = d
		}
		out := recv(tt.raw, tt.d)
		res := out.Result
		switch {
		case tt.sameAs != 0 && res.ConversationID != tt.sameAs:
			t.Errorf("%s: conversation %d, want %d", tt.name, res.ConversationID, tt.sameAs)
		case tt.sameAs == 0 && (res.ConversationID == conv.ID || !res.NewConversation):
			t.Errorf("%s: %+v; want a new conversation", tt.name, res)
		case (len(out.Automatic) > 0) != tt.auto:
			t.Errorf("%s: automatic %q, want %v", tt.name, out.Automatic, tt.auto)
		case out.Acknowledged != tt.ack:
			t.Errorf("%s: acknowledged %v, want %v", tt.name, out.Acknowledged, tt.ack)
		case res.Duplicate != tt.dupe:
			t.Errorf("%s: duplicate %v, want %v", tt.name, res.Duplicate, tt.dupe)
		}
		if tt.auto && !res.Duplicate {
			m := h.conversation(t, res.ConversationID).Messages[0]
			if !m.AutoSubmitted {
				t.Errorf("%s: stored message not flagged automatic", tt.name)
			}
		}
	}

	// A bounce about our reply marks it failed and stores nothing new.
	n := len(h.all(t))
	dsn := rawMail([]string{"From: MAILER-DAEMON@mx.example.org", "Message-ID: <dsn@mx.example.org>", "Subject: Undelivered",
		`Content-Type: multipart/report; report-type=delivery-status; boundary="r"`},
		"--r\r\nContent-Type: text/plain\r\n\r\nSorry.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"+
			"Final-Recipient: rfc822; marie@example.fr\r\nAction: failed\r\nStatus: 5.2.2\r\nDiagnostic-Code: smtp; 552 mailbox full\r\n\r\n"+
			"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: "+ourID+"\r\n\r\n--r--")
	out := recv(dsn, Delivery{Account: "accueil", EnvelopeFrom: "<>"})
	if out.Report == nil || out.Report.ID != reply.ID {
		t.Fatalf("bounce: %+v; want it attached to message %d", out, reply.ID)
	}
	got := h.conversation(t, conv.ID).Messages
	i := slices.IndexFunc(got, func(m inbox.Message) bool { return m.ID == reply.ID })
	if got[i].DeliveryStatus != inbox.DeliveryFailed || !strings.Contains(got[i].DeliveryError, "552 mailbox full") || !strings.Contains(got[i].DeliveryError, "marie@example.fr") {
		t.Fatalf("reply after bounce = %+v; want failed with the server's answer", got[i])
	}
	if len(h.all(t)) != n {
		t.Fatal("the bounce opened a conversation")
	}
	// A bounce about a message we never sent is kept as an automatic message.
	stray := strings.ReplaceAll(string(dsn), ourID, "<someone-else@x>")
	stray = strings.ReplaceAll(stray, "<dsn@mx.example.org>", "<dsn2@mx.example.org>")
	out = recv([]byte(stray), Delivery{Account: "accueil", EnvelopeFrom: "<>"})
	if out.Report != nil || !out.Result.NewConversation || len(out.Automatic) == 0 {
		t.Fatalf("stray bounce: %+v; want stored as an automatic message", out)
	}
}

func TestReceiveWithoutMessageIDIsIdempotent(t *testing.T) {
	h := newHub(t)
	c := newTestChannel(t, baseConfig(), h.svc)
	raw := rawMail([]string{"From: legacy@example.fr", "Subject: sans id"}, "texte")
	a, err := c.Receive(context.Background(), raw, Delivery{Account: "accueil"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Receive(context.Background(), raw, Delivery{Account: "accueil"})
	if err != nil || !b.Result.Duplicate || b.Result.MessageID != a.Result.MessageID {
		t.Fatalf("second Receive() = %+v, %v; want a duplicate of %d", b.Result, err, a.Result.MessageID)
	}
	m := h.conversation(t, a.Result.ConversationID).Messages[0]
	if !strings.HasPrefix(m.ExternalID, "<sha256.") {
		t.Fatalf("external id %q; want the content hash", m.ExternalID)
	}
}

func TestReceiveRefusedAndTemporary(t *testing.T) {
	h := newHub(t)
	c := newTestChannel(t, baseConfig(), h.svc)
	// No usable sender at all: kept under the placeholder, never refused.
	p, err := c.Receive(context.Background(), rawMail([]string{"Subject: personne", "Message-ID: <p@x>"}, "qui ?"), Delivery{Account: "a"})
	if err != nil || p.Result.MessageID == 0 {
		t.Fatalf("Receive(no sender) = %+v, %v; want it stored under a placeholder", p, err)
	}
	// The envelope sender stands in for an unreadable From.
	out, err := c.Receive(context.Background(), rawMail([]string{"From: <<broken", "Subject: x", "Message-ID: <q@x>"}, "corps"), Delivery{Account: "a", EnvelopeFrom: "<real@example.fr>"})
	if err != nil || out.Result.MessageID == 0 {
		t.Fatalf("Receive(broken From) = %+v, %v", out, err)
	}
	// A store that fails is a temporary error.
	broken := &failingInbox{Inbox: h.svc, err: errors.New("disk full")}
	c2 := newTestChannel(t, baseConfig(), broken)
	if _, err := c2.Receive(context.Background(), rawMail([]string{"From: a@example.fr", "Message-ID: <t@x>"}, "x"), Delivery{Account: "a"}); err == nil || inbox.IsInvalid(err) {
		t.Fatalf("Receive(store down) = %v, want a temporary error", err)
	}
}

// failingInbox fails every Ingest with err.
type failingInbox struct {
	Inbox
	err error
}

func (f *failingInbox) Ingest(ctx context.Context, env channelsEnvelope) (inbox.IngestResult, error) {
	return inbox.IngestResult{}, f.err
}
