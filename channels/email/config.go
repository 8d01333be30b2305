package email

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
)

// Config is the email section of the configuration. Email is off when it names no
// mailbox, no SMTP server address and no outgoing server.
type Config struct {
	// Domain is the right-hand side of the Message-IDs we generate; it defaults to the
	// domain of smtp_out.from.
	Domain string `yaml:"domain"`
	// TokenSecret keys the conversation tokens carried in our Message-IDs and reply
	// addresses (FRONTDESK_EMAIL_TOKEN_SECRET). When empty, the hub keeps a generated
	// one in its data folder.
	TokenSecret string           `yaml:"token_secret"`
	Mailboxes   []MailboxConfig  `yaml:"mailboxes"`
	SMTPServer  SMTPServerConfig `yaml:"smtp_server"`
	SMTPOut     SMTPOutConfig    `yaml:"smtp_out"`
	AutoAck     AutoAckConfig    `yaml:"auto_ack"`
	Limits      LimitsConfig     `yaml:"limits"`
	LoopGuard   LoopGuardConfig  `yaml:"loop_guard"`
}

// TLS modes of IMAP and SMTP connections.
const (
	TLSImplicit = "tls"      // TLS from the first byte (IMAPS 993, SMTPS 465)
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS
	TLSNone     = "none"     // plain text: tests and local relays only
)

// MailboxConfig is one IMAP mailbox to import.
type MailboxConfig struct {
	// Name identifies the mailbox in the inbox (conversation account), logs and metrics.
	Name string `yaml:"name"`
	Host string `yaml:"host"`
	// Port defaults to 993 with tls, 143 otherwise.
	Port int `yaml:"port"`
	// TLS is tls (default), starttls or none.
	TLS      string `yaml:"tls"`
	Username string `yaml:"username"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// Password is read from PasswordEnv, never from the file.
	Password string `yaml:"-"`
	// Auth is login (default) or plain (SASL AUTHENTICATE PLAIN).
	Auth string `yaml:"auth"`
	// Folder is the IMAP folder to import, INBOX by default.
	Folder string `yaml:"folder"`
	// Team is the slug of the team new conversations from this mailbox go to.
	Team string `yaml:"team"`
	// BackfillDays: on first sync (and after a UIDVALIDITY change) mail of the last N
	// days is imported.
	BackfillDays int `yaml:"backfill_days"`
	// MarkSeen sets \Seen on a message once it is durably ingested.
	MarkSeen bool `yaml:"mark_seen"`
	// MoveTo moves a message to this folder once it is durably ingested.
	MoveTo string `yaml:"move_to"`
	// Idle uses IMAP IDLE when the server supports it (default true); else polling.
	Idle *bool `yaml:"idle"`
	// PollInterval is the polling period without IDLE.
	PollInterval time.Duration `yaml:"poll_interval"`
	// IdleRestart re-issues IDLE this often (servers drop IDLE after 30 minutes; NAT
	// boxes sooner) and checks that the connection still answers.
	IdleRestart time.Duration `yaml:"idle_restart"`
	// BatchSize is how many messages one UID FETCH asks for.
	BatchSize int `yaml:"batch_size"`
}

// SMTPServerConfig is the receiving SMTP server.
type SMTPServerConfig struct {
	// Addr is the listen address; empty disables the server.
	Addr string `yaml:"addr"`
	// Hostname is announced in the greeting.
	Hostname string `yaml:"hostname"`
	// Recipients are the accepted addresses; Domains accept every address of a domain.
	// Everything else is refused with 550: never an open relay.
	Recipients []string `yaml:"recipients"`
	Domains    []string `yaml:"domains"`
	// Team is the slug of the team new conversations received here go to.
	Team string `yaml:"team"`
	// MaxMessageBytes is the size limit (552 above it).
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
	// MaxRecipients per message.
	MaxRecipients int `yaml:"max_recipients"`
	// ReadTimeout and WriteTimeout bound each command; MaxSessionDuration a whole
	// connection.
	ReadTimeout        time.Duration `yaml:"read_timeout"`
	WriteTimeout       time.Duration `yaml:"write_timeout"`
	MaxSessionDuration time.Duration `yaml:"max_session_duration"`
	// TLSCert and TLSKey (PEM files) enable STARTTLS.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
}

// SMTPOutConfig is the server replies are sent through.
type SMTPOutConfig struct {
	// Host empty disables sending.
	Host string `yaml:"host"`
	// Port defaults to 465 with tls, 587 with starttls, 25 with none.
	Port int `yaml:"port"`
	// TLS is starttls (default), tls or none.
	TLS      string `yaml:"tls"`
	Username string `yaml:"username"`
	// Password comes from FRONTDESK_SMTP_PASSWORD or the variable named by PasswordEnv.
	PasswordEnv string `yaml:"password_env"`
	Password    string `yaml:"-"`
	// From is the sender address of replies, e.g. accueil@mairie.example.
	From string `yaml:"from"`
	// FromName is the display name; the agent's name is added when known.
	FromName string `yaml:"from_name"`
	// PlusAddressing puts the conversation token in the Reply-To address
	// (accueil+fd-…@mairie.example), for clients that drop threading headers. The
	// receiving side must deliver plus addresses to the mailbox.
	PlusAddressing bool `yaml:"plus_addressing"`
	// HeloName is the name given in EHLO, default the From domain.
	HeloName string `yaml:"helo_name"`
	// Timeout bounds one delivery.
	Timeout time.Duration `yaml:"timeout"`
}

// AutoAckConfig is the automatic acknowledgement of new conversations.
type AutoAckConfig struct {
	Enabled bool `yaml:"enabled"`
	// Language is fr, en or auto (guessed from the message; French when unsure).
	Language string `yaml:"language"`
	// PerSender is the minimum time between two acknowledgements to one address.
	PerSender time.Duration `yaml:"per_sender"`
}

// LoopGuardConfig bounds automatic replies.
type LoopGuardConfig struct {
	// MaxAutoRepliesPerSender within Window; beyond, no automatic reply is sent.
	MaxAutoRepliesPerSender int           `yaml:"max_auto_replies_per_sender"`
	Window                  time.Duration `yaml:"window"`
}

// LimitsConfig bounds the parsing of one message.
type LimitsConfig struct {
	MaxHeaderBytes int   `yaml:"max_header_bytes"`
	MaxLineLength  int   `yaml:"max_line_length"`
	MaxParts       int   `yaml:"max_parts"`
	MaxDepth       int   `yaml:"max_depth"`
	MaxPartBytes   int64 `yaml:"max_part_bytes"`
	// MaxMessageBytes: larger messages fetched over IMAP are imported without their
	// body, with a warning.
	MaxMessageBytes int64 `yaml:"max_message_bytes"`
}

// Defaults.
const (
	DefaultFolder       = "INBOX"
	DefaultBackfillDays = 7
	// DefaultPollInterval: a minute is what people expect from a mail client without push.
	DefaultPollInterval = time.Minute
	// DefaultIdleRestart: RFC 2177 asks to re-issue IDLE within 29 minutes; NAT routers
	// forget idle TCP flows after 10 or 15, so 9 minutes keeps the connection alive
	// and notices a dead one within 10.
	DefaultIdleRestart = 9 * time.Minute
	// DefaultBatchSize: a hundred messages per UID FETCH is a few megabytes, one round trip.
	DefaultBatchSize = 100
	// DefaultMaxMessageBytes: 25 MiB, the common provider cap.
	DefaultMaxMessageBytes = 25 << 20
	// DefaultMaxRecipients: a forwarded message has one or a few; 50 is generous.
	DefaultMaxRecipients = 50
	// DefaultSMTPTimeout bounds one SMTP command, as RFC 5321's minimums suggest.
	DefaultSMTPTimeout = 60 * time.Second
	// DefaultMaxSessionDuration ends connections that dawdle.
	DefaultMaxSessionDuration = 10 * time.Minute
	// DefaultSendTimeout bounds one outgoing delivery.
	DefaultSendTimeout = 60 * time.Second
	// DefaultAckPerSender: one acknowledgement per address a day, so that a busy
	// correspondent is not flooded.
	DefaultAckPerSender = 24 * time.Hour
	// DefaultMaxAutoReplies and DefaultLoopWindow: at most 3 automatic replies per
	// sender per hour, whatever else fails (RFC 3834 section 2).
	DefaultMaxAutoReplies = 3
	DefaultLoopWindow     = time.Hour
)

// Enabled reports whether any part of the email channel is configured.
func (c Config) Enabled() bool {
	return len(c.Mailboxes) > 0 || c.SMTPServer.Addr != "" || c.SMTPOut.Host != ""
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Domain == "" {
		if _, d, ok := strings.Cut(c.SMTPOut.From, "@"); ok {
			c.Domain = strings.ToLower(d)
		}
	}
	if c.Domain == "" {
		c.Domain = "frontdesk.invalid"
	}
	boxes := make([]MailboxConfig, len(c.Mailboxes))
	for i, m := range c.Mailboxes {
		if m.TLS == "" {
			m.TLS = TLSImplicit
		}
		if m.Port == 0 {
			m.Port = 143
			if m.TLS == TLSImplicit {
				m.Port = 993
			}
		}
		if m.Auth == "" {
			m.Auth = "login"
		}
		if m.Folder == "" {
			m.Folder = DefaultFolder
		}
		if m.BackfillDays == 0 {
			m.BackfillDays = DefaultBackfillDays
		}
		if m.Idle == nil {
			yes := true
			m.Idle = &yes
		}
		if m.PollInterval == 0 {
			m.PollInterval = DefaultPollInterval
		}
		if m.IdleRestart == 0 {
			m.IdleRestart = DefaultIdleRestart
		}
		if m.BatchSize == 0 {
			m.BatchSize = DefaultBatchSize
		}
		boxes[i] = m
	}
	c.Mailboxes = boxes
	s := &c.SMTPServer
	if s.MaxMessageBytes == 0 {
		s.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if s.MaxRecipients == 0 {
		s.MaxRecipients = DefaultMaxRecipients
	}
	if s.ReadTimeout == 0 {
		s.ReadTimeout = DefaultSMTPTimeout
	}
	if s.WriteTimeout == 0 {
		s.WriteTimeout = DefaultSMTPTimeout
	}
	if s.MaxSessionDuration == 0 {
		s.MaxSessionDuration = DefaultMaxSessionDuration
	}
	if s.Hostname == "" {
		s.Hostname = c.Domain
	}
	o := &c.SMTPOut
	if o.TLS == "" {
		o.TLS = TLSStartTLS
	}
	if o.Port == 0 {
		switch o.TLS {
		case TLSImplicit:
			o.Port = 465
		case TLSStartTLS:
			o.Port = 587
		default:
			o.Port = 25
		}
	}
	if o.HeloName == "" {
		o.HeloName = c.Domain
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultSendTimeout
	}
	if c.AutoAck.Language == "" {
		c.AutoAck.Language = "auto"
	}
	if c.AutoAck.PerSender == 0 {
		c.AutoAck.PerSender = DefaultAckPerSender
	}
	if c.LoopGuard.MaxAutoRepliesPerSender == 0 {
		c.LoopGuard.MaxAutoRepliesPerSender = DefaultMaxAutoReplies
	}
	if c.LoopGuard.Window == 0 {
		c.LoopGuard.Window = DefaultLoopWindow
	}
	if c.Limits.MaxMessageBytes == 0 {
		c.Limits.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return c
}

// parserLimits are the parser limits of the configuration.
func (c Config) parserLimits() mailparse.Limits {
	return mailparse.Limits{
		MaxHeaderBytes: c.Limits.MaxHeaderBytes,
		MaxLineLength:  c.Limits.MaxLineLength,
		MaxParts:       c.Limits.MaxParts,
		MaxDepth:       c.Limits.MaxDepth,
		MaxPartBytes:   c.Limits.MaxPartBytes,
	}.WithDefaults()
}

// ResolveSecrets fills passwords from the environment variables the configuration
// names.
func (c *Config) ResolveSecrets(getenv func(string) string) {
	for i := range c.Mailboxes {
		if env := c.Mailboxes[i].PasswordEnv; env != "" {
			c.Mailboxes[i].Password = getenv(env)
		}
	}
	if env := c.SMTPOut.PasswordEnv; env != "" && c.SMTPOut.Password == "" {
		c.SMTPOut.Password = getenv(env)
	}
}

// Validate reports every unusable setting.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	names := map[string]bool{}
	for i, m := range c.Mailboxes {
		at := fmt.Sprintf("email.mailboxes[%d]", i)
		switch {
		case strings.TrimSpace(m.Name) == "":
			bad("%s.name: required", at)
		case names[m.Name]:
			bad("%s.name: %q used twice", at, m.Name)
		}
		names[m.Name] = true
		if m.Host == "" {
			bad("%s.host: required", at)
		}
		if m.Port < 1 || m.Port > 65535 {
			bad("%s.port: %d is not a port", at, m.Port)
		}
		if !validTLS(m.TLS) {
			bad("%s.tls: %q is not tls, starttls or none", at, m.TLS)
		}
		if m.Auth != "login" && m.Auth != "plain" {
			bad("%s.auth: %q is not login or plain", at, m.Auth)
		}
		if m.Username == "" {
			bad("%s.username: required", at)
		}
		if m.BackfillDays < 0 || m.BatchSize < 1 || m.BatchSize > 10000 {
			bad("%s: backfill_days must not be negative and batch_size must be 1 to 10000", at)
		}
		if m.PollInterval < time.Second || m.IdleRestart < time.Second || m.IdleRestart > 29*time.Minute {
			bad("%s: poll_interval must be at least 1s and idle_restart between 1s and 29m", at)
		}
		if m.MoveTo != "" && m.MoveTo == m.Folder {
			bad("%s.move_to: must differ from folder", at)
		}
	}
	s := c.SMTPServer
	if s.Addr != "" {
		if _, _, err := net.SplitHostPort(s.Addr); err != nil {
			bad("email.smtp_server.addr: %q is not host:port", s.Addr)
		}
		if len(s.Recipients) == 0 && len(s.Domains) == 0 {
			bad("email.smtp_server: recipients or domains required (the server must never relay)")
		}
		for _, r := range s.Recipients {
			if _, err := mail.ParseAddress(r); err != nil || strings.ContainsAny(r, "<> ") {
				bad("email.smtp_server.recipients: %q is not an address", r)
			}
		}
		for _, d := range s.Domains {
			if d == "" || strings.ContainsAny(d, "@<> ") {
				bad("email.smtp_server.domains: %q is not a domain", d)
			}
		}
		if (s.TLSCert == "") != (s.TLSKey == "") {
			bad("email.smtp_server: tls_cert and tls_key go together")
		}
	}
	if s.MaxMessageBytes < 1024 || s.MaxRecipients < 1 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.MaxSessionDuration <= 0 {
		bad("email.smtp_server: max_message_bytes at least 1024; max_recipients, timeouts and max_session_duration positive")
	}
	o := c.SMTPOut
	if o.Host != "" {
		if a, err := mail.ParseAddress(o.From); err != nil || a.Address != o.From {
			bad("email.smtp_out.from: %q is not a bare address", o.From)
		}
		if !validTLS(o.TLS) {
			bad("email.smtp_out.tls: %q is not tls, starttls or none", o.TLS)
		}
		if o.Port < 1 || o.Port > 65535 {
			bad("email.smtp_out.port: %d is not a port", o.Port)
		}
		if strings.ContainsAny(o.FromName+o.HeloName, "\r\n") {
			bad("email.smtp_out: from_name and helo_name must be one line")
		}
	}
	if o.Timeout <= 0 {
		bad("email.smtp_out.timeout: must be positive")
	}
	if c.AutoAck.Enabled && o.Host == "" {
		bad("email.auto_ack: needs smtp_out")
	}
	switch c.AutoAck.Language {
	case "fr", "en", "auto":
	default:
		bad("email.auto_ack.language: %q is not fr, en or auto", c.AutoAck.Language)
	}
	if c.AutoAck.PerSender < 0 || c.LoopGuard.MaxAutoRepliesPerSender < 0 || c.LoopGuard.Window <= 0 {
		bad("email.auto_ack / loop_guard: durations and counts must not be negative")
	}
	if c.Limits.MaxMessageBytes < 1024 {
		bad("email.limits.max_message_bytes: must be at least 1024")
	}
	if strings.ContainsAny(c.Domain, "@<> \r\n") {
		bad("email.domain: %q is not a domain", c.Domain)
	}
	return errors.Join(errs...)
}

func validTLS(m string) bool { return m == TLSImplicit || m == TLSStartTLS || m == TLSNone }
