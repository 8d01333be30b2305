package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// SMTPServer receives mail delivered or forwarded directly to the hub. It accepts only
// the configured recipients and domains (never an open relay) and answers 250 only
// once the message is durably stored; a temporary failure answers 451 so that the
// sending server retries.
type SMTPServer struct {
	c      *Channel
	cfg    SMTPServerConfig
	log    *slog.Logger
	srv    *smtp.Server
	accept map[string]bool
	domain map[string]bool
}

// SMTPServer returns the receiving server, nil when smtp_server.addr is empty.
func (c *Channel) SMTPServer() (*SMTPServer, error) {
	cfg := c.cfg.SMTPServer
	if cfg.Addr == "" {
		return nil, nil
	}
	s := &SMTPServer{c: c, cfg: cfg, log: c.log.With("part", "smtp_server"), accept: map[string]bool{}, domain: map[string]bool{}}
	for _, r := range cfg.Recipients {
		s.accept[strings.ToLower(r)] = true
	}
	for _, d := range cfg.Domains {
		s.domain[strings.ToLower(strings.TrimPrefix(d, "@"))] = true
	}
	srv := smtp.NewServer(s)
	srv.Domain = cfg.Hostname
	srv.MaxMessageBytes = cfg.MaxMessageBytes
	srv.MaxRecipients = cfg.MaxRecipients
	srv.ReadTimeout = cfg.ReadTimeout
	srv.WriteTimeout = cfg.WriteTimeout
	// One line, CRLF included, may be as long as limits.max_line_length allows; the
	// parser then cuts what it must. go-smtp's own default (2,000) refused HTML
	// generators' long lines the configuration promises to keep.
	srv.MaxLineLength = c.parser.Limits().MaxLineLength + len("\r\n")
	srv.ErrorLog = slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("email: smtp_server tls: %w", err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	s.srv = srv
	return s, nil
}

// Listen opens the listening socket.
func (s *SMTPServer) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("email: smtp listen on %s: %w", s.cfg.Addr, err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then closes every connection; a message being
// received when that happens is not acknowledged, so its sender retries.
func (s *SMTPServer) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("email: smtp serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(sctx); err != nil {
		s.srv.Close()
	}
	<-errc
	return nil
}

// Run listens and serves until ctx ends.
func (s *SMTPServer) Run(ctx context.Context) error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(conn *smtp.Conn) (smtp.Session, error) {
	sess := &smtpSession{s: s, remote: conn.Conn().RemoteAddr().String()}
	sess.timer = time.AfterFunc(s.cfg.MaxSessionDuration, func() {
		s.log.Info("session too long; closing", "remote", sess.remote)
		conn.Close()
	})
	return sess, nil
}

// accepts reports whether rcpt is one of our addresses.
func (s *SMTPServer) accepts(rcpt string) bool {
	rcpt = strings.ToLower(rcpt)
	if s.accept[rcpt] {
		return true
	}
	local, domain, ok := strings.Cut(rcpt, "@")
	if !ok {
		return false
	}
	if base, _, ok := strings.Cut(local, "+"); ok && s.accept[base+"@"+domain] {
		return true // plus address of an accepted one (conversation tags)
	}
	return s.domain[domain]
}

// Errors answered by the server.
var (
	errRelay  = &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay not permitted: unknown recipient"}
	errBareLF = &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0},
		Message: "bare CR or LF in message; lines must end with CRLF"}
	errTempStore = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "temporary failure storing the message; try again later"}
)

// smtpSession is one SMTP transaction stream of a connection.
type smtpSession struct {
	s      *SMTPServer
	remote string
	timer  *time.Timer
	from   string
	rcpts  []string
}

func (ss *smtpSession) Reset() { ss.from, ss.rcpts = "", nil }

func (ss *smtpSession) Logout() error {
	ss.timer.Stop()
	return nil
}

func (ss *smtpSession) Mail(from string, opts *smtp.MailOptions) error {
	if opts != nil && opts.Size > ss.s.cfg.MaxMessageBytes {
		return smtp.ErrDataTooLarge
	}
	ss.from = "<" + from + ">"
	return nil
}

func (ss *smtpSession) Rcpt(to string, opts *smtp.RcptOptions) error {
	if !ss.s.accepts(to) {
		ss.s.log.Info("recipient refused", "remote", ss.remote)
		return errRelay
	}
	ss.rcpts = append(ss.rcpts, strings.ToLower(to))
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			return se // 552 too large
		}
		if errors.Is(err, smtp.ErrTooLongLine) {
			return &smtp.SMTPError{Code: 500, EnhancedCode: smtp.EnhancedCode{5, 5, 2},
				Message: fmt.Sprintf("line too long (limit %d bytes)", ss.s.c.parser.Limits().MaxLineLength)}
		}
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection problem while reading the message"}
	}
	if hasBareLineEnding(raw) {
		ss.s.log.Info("message refused: bare line ending", "remote", ss.remote)
		return errBareLF
	}
	out, err := ss.s.c.Receive(context.Background(), raw, Delivery{
		Account: baseAddress(ss.rcpts[0]), Team: ss.s.cfg.Team, Recipients: ss.rcpts, EnvelopeFrom: ss.from,
	})
	switch {
	case err == nil:
		ss.s.log.Debug("message accepted", "remote", ss.remote, "duplicate", out.Result.Duplicate)
		return nil
	case inbox.IsInvalid(err):
		ss.s.log.Info("message refused", "remote", ss.remote, "err", err)
		var inv *inbox.InvalidError
		errors.As(err, &inv)
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: "message refused: " + oneLine(inv.Message)}
	default:
		ss.s.log.Error("message not stored; sender will retry", "remote", ss.remote, "err", err)
		return errTempStore
	}
}

// baseAddress removes the "+tag" of a plus address: the account is the mailbox, not
// the conversation token.
func baseAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	local, _, _ = strings.Cut(local, "+")
	return local + "@" + domain
}

// hasBareLineEnding reports a CR not followed by LF or an LF not preceded by CR: the
// ingredients of SMTP smuggling.
func hasBareLineEnding(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '\n':
			if i == 0 || raw[i-1] != '\r' {
				return true
			}
		case '\r':
			if i+1 >= len(raw) || raw[i+1] != '\n' {
				return true
			}
		}
	}
	return false
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.ToValidUTF8(s, "")
}
