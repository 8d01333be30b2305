package email

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// capture is a go-smtp backend keeping what it receives; some recipients are refused.
type capture struct {
	mu   sync.Mutex
	msgs []captured
}

type captured struct {
	from, envid string
	to          []string
	raw         []byte
}

func (c *capture) NewSession(*smtp.Conn) (smtp.Session, error) { return &captureSession{c: c}, nil }

func (c *capture) last() captured {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.msgs) == 0 {
		return captured{}
	}
	return c.msgs[len(c.msgs)-1]
}

type captureSession struct {
	c   *capture
	cur captured
}

func (s *captureSession) Reset()        { s.cur = captured{} }
func (s *captureSession) Logout() error { return nil }
func (s *captureSession) Mail(from string, opts *smtp.MailOptions) error {
	s.cur.from = from
	if opts != nil {
		s.cur.envid = opts.EnvelopeID
	}
	return nil
}
func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	switch {
	case strings.HasPrefix(to, "unknown@"):
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}
	case strings.HasPrefix(to, "greylisted@"):
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted, try later"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *captureSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.raw = raw
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, s.cur)
	s.c.mu.Unlock()
	return nil
}

// startCapture runs a go-smtp server on a free port.
func startCapture(t testing.TB) (*capture, string, int) {
	t.Helper()
	be := &capture{}
	srv := smtp.NewServer(be)
	srv.Domain = "mx.example.org"
	srv.AllowInsecureAuth = true
	srv.EnableDSN = true
	srv.ErrorLog = nullLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	return be, host, p
}

type nullLogger struct{}

func (nullLogger) Printf(string, ...any) {}
func (nullLogger) Println(...any)        {}

func TestSendHeadersThreadingAndRoundTrip(t *testing.T) {
	ctx := context.Background()
	be, host, port := startCapture(t)
	h := newHub(t)
	cfg := baseConfig()
	cfg.SMTPOut.Host, cfg.SMTPOut.Port, cfg.SMTPOut.TLS, cfg.SMTPOut.PlusAddressing = host, port, TLSNone, true
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	c := newTestChannel(t, cfg, h.svc, WithClock(func() time.Time { return now }))
	s := c.Sender()

	in, err := c.Receive(ctx, rawMail([]string{"From: Marie Dupont <marie@example.fr>", "Subject: Acte de naissance", "Message-ID: <m1@example.fr>", "References: <older@example.fr>"}, "Bonjour"), Delivery{Account: "accueil"})
	if err != nil {
		t.Fatal(err)
	}
	out := channels.Outbound{
		MessageID: 41, ConversationID: in.Result.ConversationID, Channel: channels.Email,
		To:      channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr", Name: "Marie\r\nBcc: victim@example.org"},
		Subject: "Re: Acte de naissance\r\nBcc: victim@example.org", Text: "Voici la réponse.\nÀ bientôt.",
		InReplyTo: "<m1@example.fr>", References: []string{"<older@example.fr>", "<m1@example.fr>"},
		AuthorName: "Camille\nX-Evil: 1",
	}
	id, err := s.Send(ctx, out)
	if err != nil {
		t.Fatalf("Send() = %v", err)
	}
	if id != c.tokens.MessageID(out.ConversationID, 41) {
		t.Fatalf("Send() id = %s; want our stable token id", id)
	}
	got := be.last()
	if got.from != "accueil@mairie.example" || len(got.to) != 1 || got.to[0] != "marie@example.fr" || got.envid != strings.Trim(id, "<>") {
		t.Fatalf("envelope = %+v", got)
	}
	if strings.Contains(string(got.raw), "\nBcc:") || strings.Contains(string(got.raw), "\nX-Evil:") {
		t.Fatalf("header injection got through:\n%s", got.raw)
	}
	m := mailparse.New(mailparse.Limits{}).Parse(got.raw)
	checks := map[string][2]string{
		"Message-ID":   {m.MessageID, id},
		"In-Reply-To":  {strings.Join(m.InReplyTo, " "), "<m1@example.fr>"},
		"References":   {strings.Join(m.References, " "), "<older@example.fr> <m1@example.fr>"},
		"Subject":      {m.Subject, "Re: Acte de naissance Bcc: victim@example.org"},
		"From":         {m.From.Name + " <" + m.From.Addr + ">", "Camille X-Evil: 1 (Mairie - Accueil) <accueil@mairie.example>"},
		"Reply-To":     {m.ReplyTo[0].Addr, c.tokens.PlusAddress("accueil@mairie.example", out.ConversationID)},
		"Date":         {m.Date.UTC().Format(time.RFC3339), "2026-11-27T10:00:00Z"},
		"Text":         {m.Text, "Voici la réponse.\nÀ bientôt."},
		"Auto-Sub":     {m.Header.Get("Auto-Submitted"), ""},
		"MIME-Version": {m.Header.Get("Mime-Version"), "1.0"},
	}
	for name, c := range checks {
		if c[0] != c[1] {
			t.Errorf("%s = %q, want %q", name, c[0], c[1])
		}
	}
	if !strings.Contains(m.HTML, "Voici la réponse.") || !strings.Contains(m.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("want text and HTML alternatives, got %q / %q", m.Header.Get("Content-Type"), m.HTML)
	}
	// Round trip: the hub records our id, the contact's client answers with it.
	if err := h.svc.RecordDelivery(ctx, mustReply(t, h, out.ConversationID), inbox.DeliverySent, id, ""); err != nil {
		t.Fatal(err)
	}
	back, err := c.Receive(ctx, rawMail([]string{"From: marie@example.fr", "Subject: Re: Re: Acte", "Message-ID: <m2@example.fr>",
		"In-Reply-To: " + m.MessageID, "References: " + strings.Join(m.References, " ") + " " + m.MessageID}, "Merci"), Delivery{Account: "accueil"})
	if err != nil || back.Result.ConversationID != out.ConversationID {
		t.Fatalf("answer to our reply went to %+v, %v; want conversation %d", back.Result, err, out.ConversationID)
	}
	// An acknowledgement is labelled automatic.
	out.AutoSubmitted = true
	if _, err := s.Send(ctx, out); err != nil {
		t.Fatal(err)
	}
	if v := mailparse.New(mailparse.Limits{}).Parse(be.last().raw).Header.Get("Auto-Submitted"); v != "auto-replied" {
		t.Fatalf("acknowledgement Auto-Submitted = %q", v)
	}
}

// TestSendAgentFiles: the files of an agent's reply leave as MIME attachments, named,
// typed and byte for byte, beside the text.
func TestSendAgentFiles(t *testing.T) {
	ctx := context.Background()
	be, host, port := startCapture(t)
	h := newHub(t)
	cfg := baseConfig()
	cfg.SMTPOut.Host, cfg.SMTPOut.Port, cfg.SMTPOut.TLS = host, port, TLSNone
	c := newTestChannel(t, cfg, h.svc)
	in, err := c.Receive(ctx, rawMail([]string{"From: marie@example.fr", "Subject: Formulaire", "Message-ID: <f1@example.fr>"}, "Le formulaire ?"), Delivery{Account: "accueil"})
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n\x00\xffbinaire")
	m, err := h.svc.Reply(ctx, h.admin, in.Result.ConversationID, inbox.ReplyInput{Text: "Le voici.", Attachments: []channels.Attachment{
		{Filename: "cerfa 12100*03.pdf", ContentType: "application/pdf", Data: pdf},
		{Filename: "pièces.txt", ContentType: "text/plain; charset=utf-8", Data: []byte("Justificatif de domicile\n")},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := h.svc.OutgoingMessage(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	files, err := h.svc.OutgoingFiles(ctx, o.Message)
	if err != nil {
		t.Fatal(err)
	}
	out := channels.Outbound{MessageID: m.ID, ConversationID: o.Conversation.ID, Channel: channels.Email, Account: "accueil",
		To: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, Subject: "Re: Formulaire", Text: o.Message.Text, Attachments: files}
	if _, err := c.Sender().Send(ctx, out); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	got := mailparse.New(mailparse.Limits{}).Parse(be.last().raw)
	if got.Text != "Le voici." || len(got.Attachments) != 2 {
		t.Fatalf("mail: text %q, %d attachments", got.Text, len(got.Attachments))
	}
	a, b := got.Attachments[0], got.Attachments[1]
	if a.Filename != "cerfa 12100*03.pdf" || a.ContentType != "application/pdf" || !bytes.Equal(a.Data, pdf) {
		t.Errorf("first attachment = %q %q %q", a.Filename, a.ContentType, a.Data)
	}
	if b.Filename != "pièces.txt" || string(b.Data) != "Justificatif de domicile\n" {
		t.Errorf("second attachment = %q %q", b.Filename, b.Data)
	}
}

// mustReply stores an agent reply and returns its id.
func mustReply(t *testing.T, h *hub, conv int64) int64 {
	t.Helper()
	m, err := h.svc.Reply(context.Background(), h.admin, conv, inbox.ReplyInput{Text: "Voici la réponse."})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

func TestSendErrorsPermanentOrTemporary(t *testing.T) {
	_, host, port := startCapture(t)
	h := newHub(t)
	cfg := baseConfig()
	cfg.SMTPOut.Host, cfg.SMTPOut.Port, cfg.SMTPOut.TLS = host, port, TLSNone
	s := newTestChannel(t, cfg, h.svc).Sender()
	closed := baseConfig()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	closed.SMTPOut.Host, closed.SMTPOut.TLS = "127.0.0.1", TLSNone
	closed.SMTPOut.Port, _ = strconv.Atoi(p)
	down := newTestChannel(t, closed, h.svc).Sender()
	tests := []struct {
		name      string
		s         *Sender
		to        channels.Identity
		permanent bool
		contains  string
	}{
		{"5xx is permanent", s, channels.Identity{Kind: channels.KindEmail, Value: "unknown@example.org"}, true, "550"},
		{"4xx is retried", s, channels.Identity{Kind: channels.KindEmail, Value: "greylisted@example.org"}, false, "451"},
		{"connection refused is retried", down, channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, false, "connect"},
		{"malformed address is permanent", s, channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr\r\nRCPT TO:<x@y>"}, true, "malformed"},
		{"two addresses are refused", s, channels.Identity{Kind: channels.KindEmail, Value: "a@x.fr, b@y.fr"}, true, "malformed"},
		{"a phone number is not an address", s, channels.Identity{Kind: channels.KindPhone, Value: "+33612345678"}, true, "not an address"},
		{"the no-sender placeholder is not a mailbox", s, channels.Identity{Kind: channels.KindEmail, Value: "unknown-sender@mairie.example.invalid"}, true, "placeholder"},
	}
	for _, tt := range tests {
		_, err := tt.s.Send(context.Background(), channels.Outbound{MessageID: 1, ConversationID: 1, To: tt.to, Text: "x", Subject: "s"})
		if err == nil || channels.IsPermanent(err) != tt.permanent || !strings.Contains(err.Error(), tt.contains) {
			t.Errorf("%s: Send() = %v (permanent %v); want permanent=%v mentioning %q", tt.name, err, channels.IsPermanent(err), tt.permanent, tt.contains)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Send(ctx, channels.Outbound{To: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}}); err == nil || channels.IsPermanent(err) || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "canceled") {
		t.Errorf("Send(cancelled) = %v; want a temporary cancellation", err)
	}
}
