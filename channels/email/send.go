package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
)

// Sender delivers replies through the configured SMTP server. It implements
// channels.Sender and is safe for concurrent use (one connection per message).
//
// The Message-ID of a reply is derived from its inbox message id and carries the
// conversation token, so a retried delivery has the same id (receivers drop the
// duplicate) and an answer to it finds its conversation even without References.
type Sender struct {
	c   *Channel
	cfg SMTPOutConfig
	log *slog.Logger
}

var _ channels.Sender = (*Sender)(nil)

// Sender returns the SMTP sender, nil when smtp_out.host is empty.
func (c *Channel) Sender() *Sender {
	if c.cfg.SMTPOut.Host == "" {
		return nil
	}
	return &Sender{c: c, cfg: c.cfg.SMTPOut, log: c.log.With("part", "smtp_out")}
}

// ErrAutoReplySuppressed is the (permanent) error of an automatic message the loop
// guard did not let through.
var ErrAutoReplySuppressed = errors.New("email: automatic reply suppressed")

// Send implements channels.Sender. 5xx answers are permanent; 4xx answers and network
// failures are temporary.
//
// An automatic message (out.AutoSubmitted: an acknowledgement, a rule's automatic
// reply) counts against loop_guard's budget for its recipient, shared with the
// acknowledgements Receive queues; over the budget it is not sent and Send returns a
// permanent ErrAutoReplySuppressed. Agents' replies are never limited.
func (s *Sender) Send(ctx context.Context, out channels.Outbound) (string, error) {
	to, err := recipient(out.To)
	if err != nil {
		return "", channels.Permanent(err)
	}
	if out.AutoSubmitted && !s.c.guard.allowAuto(to.Address, out.MessageID) {
		// Never retried: a loop between two robots ends here whatever queued the reply.
		s.log.Warn("automatic reply suppressed", "reason", "loop guard", "message_id", out.MessageID,
			"conversation_id", out.ConversationID, "max_per_window", s.c.cfg.LoopGuard.MaxAutoRepliesPerSender,
			"window", s.c.cfg.LoopGuard.Window.String())
		return "", channels.Permanent(fmt.Errorf("%w: loop guard (%d per %s to one address)", ErrAutoReplySuppressed,
			s.c.cfg.LoopGuard.MaxAutoRepliesPerSender, s.c.cfg.LoopGuard.Window))
	}
	id := s.c.tokens.MessageID(out.ConversationID, out.MessageID)
	if out.MessageID == 0 && out.ThreadKey != "" {
		// A notice outside any conversation: its key names it.
		id = s.c.tokens.NoticeID(out.ThreadKey)
	}
	raw, err := s.compose(out, to, id, s.c.now())
	if err != nil {
		return "", channels.Permanent(err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := s.deliver(ctx, to.Address, id, raw); err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) && se.Code >= 500 {
			return "", channels.Permanent(err)
		}
		return "", err
	}
	return id, nil
}

// recipient validates the contact's address: one address, no display-name tricks, no
// line breaks.
func recipient(to channels.Identity) (*mail.Address, error) {
	if to.Kind != channels.KindEmail {
		return nil, fmt.Errorf("email: recipient is a %s identity, not an address", to.Kind)
	}
	if strings.ContainsAny(to.Value, "\r\n<>,;\" ") {
		return nil, fmt.Errorf("email: recipient address is malformed")
	}
	a, err := mail.ParseAddress(to.Value)
	if err != nil || a.Address != to.Value {
		return nil, fmt.Errorf("email: recipient address is malformed")
	}
	if isReserved(a.Address) {
		return nil, fmt.Errorf("email: recipient address is a placeholder (no readable sender), not a mailbox")
	}
	return &mail.Address{Name: headerText(to.Name, 200), Address: a.Address}, nil
}

// isReserved reports whether addr is in the .invalid top-level domain (RFC 2606),
// where the placeholder of mail without a readable sender lives: nothing can be
// delivered there.
func isReserved(addr string) bool {
	_, domain, _ := strings.Cut(strings.ToLower(addr), "@")
	domain = strings.TrimSuffix(domain, ".")
	return domain == "invalid" || strings.HasSuffix(domain, ".invalid")
}

// deliver runs one SMTP transaction.
func (s *Sender) deliver(ctx context.Context, to, id string, raw []byte) error {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	dial := s.c.dial
	if dial == nil {
		d := &net.Dialer{Timeout: 30 * time.Second}
		dial = d.DialContext
	}
	conn, err := dial(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("email: smtp connect %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	tlsCfg := &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
	if s.c.tlsConfig != nil {
		tlsCfg = s.c.tlsConfig.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = s.cfg.Host
		}
	}
	var client *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		client = smtp.NewClient(tls.Client(conn, tlsCfg))
	case TLSStartTLS:
		client, err = smtp.NewClientStartTLS(conn, tlsCfg)
		if err != nil {
			conn.Close()
			return fmt.Errorf("email: smtp starttls: %w", err)
		}
	default:
		client = smtp.NewClient(conn)
	}
	defer client.Close()
	if err := client.Hello(s.cfg.HeloName); err != nil {
		return fmt.Errorf("email: smtp hello: %w", err)
	}
	if s.cfg.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password)); err != nil {
			return fmt.Errorf("email: smtp auth: %w", err)
		}
	}
	envid := strings.Trim(id, "<>")
	if err := client.Mail(s.cfg.From, &smtp.MailOptions{EnvelopeID: envid, Return: smtp.DSNReturnHeaders}); err != nil {
		return fmt.Errorf("email: smtp mail from: %w", err)
	}
	if err := client.Rcpt(to, nil); err != nil {
		return fmt.Errorf("email: smtp rcpt to: %w", err)
	}
	w, err := client.Data()
	if err != nil {
		return fmt.Errorf("email: smtp data: %w", err)
	}
	if _, err := w.Write(raw); err != nil {
		w.Close()
		return fmt.Errorf("email: smtp data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email: smtp data: %w", err)
	}
	if err := client.Quit(); err != nil {
		s.log.Debug("quit after delivery failed", "err", err)
	}
	return nil
}

// compose writes the message: UTF-8, text and HTML alternatives, threading headers.
// Every header value is made one line first: a CR or LF in a subject, name or address
// can never start a new header.
func (s *Sender) compose(out channels.Outbound, to *mail.Address, id string, now time.Time) ([]byte, error) {
	var h gomail.Header
	fromName := headerText(s.cfg.FromName, 200)
	if a := headerText(out.AuthorName, 200); a != "" {
		if fromName != "" {
			fromName = a + " (" + fromName + ")"
		} else {
			fromName = a
		}
	}
	from := &mail.Address{Name: fromName, Address: s.cfg.From}
	h.Set("From", from.String())
	h.Set("To", to.String())
	if s.cfg.PlusAddressing && out.ConversationID > 0 {
		h.Set("Reply-To", (&mail.Address{Name: fromName, Address: s.c.tokens.PlusAddress(s.cfg.From, out.ConversationID)}).String())
	}
	h.SetSubject(headerText(out.Subject, 900))
	h.SetDate(now)
	h.Set("Message-Id", id)
	if irt := mailparse.NormalizeID(out.InReplyTo); irt != "" {
		h.Set("In-Reply-To", irt)
	}
	if refs := references(out.References, out.InReplyTo); refs != "" {
		h.Set("References", refs)
	}
	// Discourage out-of-office robots from answering our answers.
	h.Set("X-Auto-Response-Suppress", "All")
	if out.AutoSubmitted {
		h.Set("Auto-Submitted", "auto-replied")
	}
	h.Set("MIME-Version", "1.0")

	text := strings.ReplaceAll(strings.ReplaceAll(out.Text, "\r\n", "\n"), "\n", "\r\n")
	htmlBody := out.HTML
	if htmlBody == "" {
		htmlBody = "<!DOCTYPE html><html><body><div>" +
			strings.ReplaceAll(html.EscapeString(out.Text), "\n", "<br>\r\n") + "</div></body></html>"
	}
	var buf bytes.Buffer
	parts := func(iw *gomail.InlineWriter) error {
		for _, p := range []struct{ mt, body string }{{"text/plain", text}, {"text/html", htmlBody}} {
			var ph gomail.InlineHeader
			ph.Set("Content-Type", p.mt+"; charset=utf-8")
			ph.Set("Content-Transfer-Encoding", "quoted-printable")
			w, err := iw.CreatePart(ph)
			if err != nil {
				return err
			}
			if _, err := io.WriteString(w, p.body); err != nil {
				return err
			}
			if err := w.Close(); err != nil {
				return err
			}
		}
		return iw.Close()
	}
	if len(out.Attachments) == 0 {
		iw, err := gomail.CreateInlineWriter(&buf, h)
		if err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		if err := parts(iw); err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		return buf.Bytes(), nil
	}
	mw, err := gomail.CreateWriter(&buf, h)
	if err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	iw, err := mw.CreateInline()
	if err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	if err := parts(iw); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	for _, a := range out.Attachments {
		var ah gomail.AttachmentHeader
		ct := headerText(a.ContentType, 100)
		if _, _, err := mimeType(ct); err != nil {
			ct = "application/octet-stream"
		}
		ah.Set("Content-Type", ct)
		ah.SetFilename(headerText(a.Filename, 200))
		w, err := mw.CreateAttachment(ah)
		if err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		if _, err := w.Write(a.Data); err != nil {
			return nil, fmt.Errorf("email: compose: %w", err)
		}
		w.Close()
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("email: compose: %w", err)
	}
	return buf.Bytes(), nil
}

// references builds the References header: the thread's ids (oldest first) ending with
// the one replied to; the first and the last 19 are kept, as RFC 5322 suggests.
func references(refs []string, inReplyTo string) string {
	var ids []string
	for _, r := range append(append([]string{}, refs...), inReplyTo) {
		if id := mailparse.NormalizeID(r); id != "" {
			ids = appendNew(ids, id)
		}
	}
	if len(ids) > 20 {
		ids = append(ids[:1], ids[len(ids)-19:]...)
	}
	return strings.Join(ids, " ")
}

// headerText makes s a single line of valid UTF-8 of at most max bytes, without any
// control character.
func headerText(s string, max int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == 0x85 || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}

func mimeType(ct string) (string, map[string]string, error) {
	h := message.Header{}
	h.Set("Content-Type", ct)
	return h.ContentType()
}
