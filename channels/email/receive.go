package email

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Ingester stores inbound messages (inbox.Service).
type Ingester interface {
	Ingest(ctx context.Context, env channels.Envelope) (inbox.IngestResult, error)
}

// Reporter marks outbound messages failed when a bounce reports on them.
type Reporter interface {
	RecordDeliveryReport(ctx context.Context, channel, externalID, reason string) (inbox.Message, error)
}

// Acknowledger queues automatic acknowledgements.
type Acknowledger interface {
	AutoReply(ctx context.Context, conversationID int64, text string) (inbox.Message, error)
}

// TeamSetter puts new conversations in the team their mailbox maps to.
type TeamSetter interface {
	Teams(ctx context.Context) ([]inbox.Team, error)
	UpdateConversation(ctx context.Context, actor inbox.User, id int64, p inbox.Patch) (inbox.Conversation, error)
}

// Checkpoints keeps how far each IMAP mailbox has been imported.
type Checkpoints interface {
	MailboxCheckpoint(ctx context.Context, mailbox string) (inbox.MailboxCheckpoint, error)
	SaveMailboxCheckpoint(ctx context.Context, cp inbox.MailboxCheckpoint) error
}

// Inbox is everything the email channel needs of the inbox; *inbox.Service has it.
type Inbox interface {
	Ingester
	Reporter
	Acknowledger
	TeamSetter
	Checkpoints
}

// Delivery says how a raw message reached us.
type Delivery struct {
	// Account is the mailbox name (IMAP) or the first accepted recipient (SMTP).
	Account string
	// Team is the slug of the team for new conversations, if any.
	Team string
	// Recipients are the SMTP envelope recipients (RCPT TO), if any.
	Recipients []string
	// EnvelopeFrom is the SMTP MAIL FROM; "" for IMAP, "<>" for a bounce.
	EnvelopeFrom string
	// ReceivedAt is when the server received it (IMAP INTERNALDATE); zero is now.
	ReceivedAt time.Time
}

// Outcome says what Receive did with a message.
type Outcome struct {
	Result inbox.IngestResult
	// Report is set when the message was a delivery report attached to an outbound
	// message instead of being stored.
	Report *inbox.Message
	// Automatic lists why the message was recognised as machine-generated.
	Automatic []string
	// Acknowledged is set when an automatic acknowledgement was queued.
	Acknowledged bool
}

// Channel is the email channel: it turns raw messages into envelopes for the inbox,
// runs the IMAP pollers and the SMTP server, and sends replies. Safe for concurrent use.
type Channel struct {
	cfg    Config
	in     Inbox
	tokens Tokens
	parser *mailparse.Parser
	log    *slog.Logger
	now    func() time.Time
	guard  *loopGuard
	states *States
	// dial and tlsConfig are for client connections (IMAP, SMTP out).
	dial      Dialer
	tlsConfig *tls.Config

	teamMu sync.Mutex
	teams  map[string]int64
}

// Option changes a Channel at construction.
type Option func(*Channel)

// WithClock makes the channel read time from now (tests).
func WithClock(now func() time.Time) Option { return func(c *Channel) { c.now = now } }

// New returns the email channel. secret keys the conversation tokens (at least 16 bytes).
func New(cfg Config, in Inbox, secret []byte, logger *slog.Logger, opts ...Option) (*Channel, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(secret) < 16 {
		return nil, errors.New("email: token secret shorter than 16 bytes")
	}
	c := &Channel{
		cfg:    cfg,
		in:     in,
		tokens: NewTokens(secret, cfg.Domain),
		parser: mailparse.New(cfg.parserLimits()),
		log:    logger.With("component", "email"),
		now:    time.Now,
		teams:  map[string]int64{},
	}
	for _, o := range opts {
		o(c)
	}
	c.guard = newLoopGuard(cfg.LoopGuard.MaxAutoRepliesPerSender, cfg.LoopGuard.Window, cfg.AutoAck.PerSender, c.now)
	names := make([]string, len(cfg.Mailboxes))
	for i, m := range cfg.Mailboxes {
		names[i] = m.Name
	}
	c.states = newStates(names)
	return c, nil
}

// Config returns the channel's configuration, with defaults.
func (c *Channel) Config() Config { return c.cfg }

// Tokens returns the conversation token maker.
func (c *Channel) Tokens() Tokens { return c.tokens }

// TeamOf returns the team slug configured for an account (mailbox name or SMTP
// recipient), for routing.
func (c *Channel) TeamOf(account string) string {
	for _, m := range c.cfg.Mailboxes {
		if m.Name == account {
			return m.Team
		}
	}
	if c.cfg.SMTPServer.Addr != "" {
		return c.cfg.SMTPServer.Team
	}
	return ""
}

// Receive parses raw, threads it and stores it. A delivery report about one of our
// messages marks that message failed instead. The error is Ingest's: an
// *inbox.InvalidError means the message can never be stored; any other is temporary.
func (c *Channel) Receive(ctx context.Context, raw []byte, d Delivery) (Outcome, error) {
	var out Outcome
	var msg *mailparse.Message
	if int64(len(raw)) > c.cfg.Limits.MaxMessageBytes {
		msg = c.parser.Parse(headerOnly(raw))
		msg.Warnings = append(msg.Warnings, fmt.Sprintf("message of %d bytes over the limit of %d: body not imported", len(raw), c.cfg.Limits.MaxMessageBytes))
	} else {
		msg = c.parser.Parse(raw)
	}
	out.Automatic = automaticReasons(msg, c.tokens, d.EnvelopeFrom)
	if msg.Report != nil {
		if m, handled, err := c.report(ctx, msg); err != nil {
			return out, err
		} else if handled {
			out.Report = &m
			return out, nil
		}
	}
	env := c.envelope(msg, raw, d)
	env.AutoSubmitted = len(out.Automatic) > 0
	res, err := c.in.Ingest(ctx, env)
	if err != nil {
		return out, err
	}
	out.Result = res
	if !res.NewConversation || res.Duplicate {
		return out, nil
	}
	if d.Team != "" {
		c.setTeam(ctx, res.ConversationID, d.Team)
	}
	if c.cfg.AutoAck.Enabled && !env.AutoSubmitted && !isReserved(env.From.Value) && c.guard.allowAck(env.From.Value) {
		text := ackText(c.cfg.AutoAck.Language, msg.Subject+"\n"+msg.Text)
		if _, err := c.in.AutoReply(ctx, res.ConversationID, text); err != nil {
			c.log.Warn("acknowledgement not queued", "conversation_id", res.ConversationID, "err", err)
		} else {
			out.Acknowledged = true
		}
	}
	return out, nil
}

// report attaches a delivery status notification to the outbound message it reports
// on. handled is false when the report is about none of ours: it is then stored as an
// ordinary (automatic) message.
func (c *Channel) report(ctx context.Context, msg *mailparse.Message) (inbox.Message, bool, error) {
	r := msg.Report
	var ids []string
	for _, id := range append([]string{r.OriginalMessageID, mailparse.NormalizeID(r.OriginalEnvelopeID)}, append(msg.InReplyTo, msg.References...)...) {
		if id != "" && c.tokens.IsOurs(id) && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return inbox.Message{}, false, nil
	}
	if r.Action != "failed" {
		// A delay or success notice about our own message: nothing to record.
		c.log.Info("delivery report ignored", "action", r.Action)
		return inbox.Message{}, true, nil
	}
	reason := strings.TrimSpace(strings.Join(nonEmpty(r.Status, r.Diagnostic), " "))
	if reason == "" {
		reason = "delivery failed"
	}
	if r.Recipient != "" {
		reason += " (" + r.Recipient + ")"
	}
	for _, id := range ids {
		m, err := c.in.RecordDeliveryReport(ctx, channels.Email, id, "bounce: "+reason)
		if err == nil {
			c.log.Info("bounce recorded", "message_id", m.ID, "status", r.Status)
			return m, true, nil
		}
		if !errors.Is(err, inbox.ErrNotFound) {
			return inbox.Message{}, false, err
		}
	}
	return inbox.Message{}, false, nil
}

// envelope builds the inbox envelope of a parsed message.
func (c *Channel) envelope(msg *mailparse.Message, raw []byte, d Delivery) channels.Envelope {
	env := channels.Envelope{
		Channel:    channels.Email,
		ExternalID: msg.MessageID,
		Account:    d.Account,
		From:       channels.Identity{Kind: channels.KindEmail, Value: msg.From.Addr, Name: msg.From.Name},
		Subject:    msg.Subject,
		Text:       msg.Text,
		HTML:       msg.HTML,
		ReceivedAt: d.ReceivedAt,
		Warnings:   msg.Warnings,
	}
	if env.ExternalID == "" {
		env.ExternalID = syntheticID(raw)
	}
	if !usableAddress(env.From.Value) {
		env.From, env.Warnings = c.fallbackSender(msg, d, env.Warnings)
	}
	// References, most relevant first: In-Reply-To, then References newest first.
	for _, id := range msg.InReplyTo {
		env.References = appendNew(env.References, id)
	}
	for i := len(msg.References) - 1; i >= 0; i-- {
		env.References = appendNew(env.References, msg.References[i])
	}
	if len(env.References) > 50 {
		env.References = env.References[:50]
	}
	env.ConversationHint = c.hint(msg, d)
	for _, a := range msg.Attachments {
		env.Attachments = append(env.Attachments, channels.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, ContentID: a.ContentID, Data: a.Data,
		})
	}
	if env.Text == "" && env.HTML == "" && env.Subject == "" && len(env.Attachments) == 0 {
		env.Text = "(empty message)"
	}
	return env
}

// fallbackSender is the identity of a message without a readable From: the Sender,
// Reply-To, SMTP envelope sender or Return-Path, the first that is an address, else a
// placeholder (unknownSender) so that the message is kept rather than refused. It
// returns warnings with the reason appended.
func (c *Channel) fallbackSender(msg *mailparse.Message, d Delivery, warnings []string) (channels.Identity, []string) {
	type candidate struct {
		from, addr, name string
	}
	var cands []candidate
	header := func(key string) {
		for _, v := range msg.Header.Values(key) {
			if a, err := mail.ParseAddress(v); err == nil {
				cands = append(cands, candidate{key + " header", a.Address, ""})
			} else if list, err := mail.ParseAddressList(v); err == nil && len(list) > 0 {
				cands = append(cands, candidate{key + " header", list[0].Address, ""})
			}
		}
	}
	header("Sender")
	for _, a := range msg.ReplyTo {
		cands = append(cands, candidate{"Reply-To header", a.Addr, a.Name})
	}
	cands = append(cands, candidate{"envelope sender", strings.TrimSpace(strings.Trim(strings.TrimSpace(d.EnvelopeFrom), "<>")), ""})
	header("Return-Path")
	for _, k := range cands {
		if usableAddress(k.addr) {
			return channels.Identity{Kind: channels.KindEmail, Value: strings.ToLower(k.addr), Name: headerText(k.name, 200)},
				append(warnings, "no readable From: "+k.from+" used")
		}
	}
	return channels.Identity{Kind: channels.KindEmail, Value: c.unknownSender(), Name: "Unknown sender"},
		append(warnings, "no readable sender: kept under "+c.unknownSender())
}

// unknownSender is the placeholder identity of mail without any readable sender
// address. Its domain ends in .invalid (RFC 2606), so it can never be a real
// correspondent's address, and the Sender never writes to it.
func (c *Channel) unknownSender() string {
	return unknownSenderLocal + "@" + strings.TrimSuffix(c.cfg.Domain, ".invalid") + ".invalid"
}

// unknownSenderLocal is the local part of the placeholder sender.
const unknownSenderLocal = "unknown-sender"

// usableAddress reports whether a is one bare address the inbox accepts as an email
// identity.
func usableAddress(a string) bool {
	if a == "" || strings.ContainsAny(a, "<>\r\n") {
		return false // a bare address, not a "Name <addr>" NormalizeIdentity would accept
	}
	_, err := inbox.NormalizeIdentity(inbox.Identity{Kind: channels.KindEmail, Value: a}, "")
	return err == nil
}

// hint recovers a conversation from our token: in a recipient's plus address, then in
// a referenced Message-ID of ours.
func (c *Channel) hint(msg *mailparse.Message, d Delivery) int64 {
	var addrs []string
	addrs = append(addrs, d.Recipients...)
	for _, list := range [][]mailparse.Address{msg.To, msg.Cc} {
		for _, a := range list {
			addrs = append(addrs, a.Addr)
		}
	}
	for _, k := range []string{"Delivered-To", "X-Original-To", "Envelope-To"} {
		addrs = append(addrs, msg.Header.Values(k)...)
	}
	for _, a := range addrs {
		if id, ok := c.tokens.ConversationOfAddress(strings.TrimSpace(strings.Trim(a, "<> "))); ok {
			return id
		}
	}
	for _, id := range append(append([]string{}, msg.InReplyTo...), msg.References...) {
		if conv, ok := c.tokens.ConversationOfID(id); ok {
			return conv
		}
	}
	return 0
}

// setTeam puts a new conversation in team slug; failures are logged, never fatal: the
// message is stored and the router may still route it.
func (c *Channel) setTeam(ctx context.Context, convID int64, slug string) {
	id, err := c.teamID(ctx, slug)
	if err != nil {
		c.log.Warn("team not set", "team", slug, "conversation_id", convID, "err", err)
		return
	}
	system := inbox.User{Name: "email channel", Role: inbox.RoleAdmin}
	if _, err := c.in.UpdateConversation(ctx, system, convID, inbox.Patch{TeamID: &id}); err != nil {
		c.log.Warn("team not set", "team", slug, "conversation_id", convID, "err", err)
	}
}

func (c *Channel) teamID(ctx context.Context, slug string) (int64, error) {
	c.teamMu.Lock()
	defer c.teamMu.Unlock()
	if id, ok := c.teams[slug]; ok {
		return id, nil
	}
	teams, err := c.in.Teams(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range teams {
		if t.Slug == slug {
			c.teams[slug] = t.ID
			return t.ID, nil
		}
	}
	return 0, fmt.Errorf("email: no team %q", slug)
}

// syntheticID is the external id of a message without a Message-ID: a hash of its
// bytes, so that a re-fetch of the same message is recognised.
func syntheticID(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "<sha256." + hex.EncodeToString(sum[:16]) + "@no-message-id.invalid>"
}

// headerOnly returns the header block of raw.
func headerOnly(raw []byte) []byte {
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 {
			return raw[:i+len(sep)]
		}
	}
	if len(raw) > 64<<10 {
		return raw[:64<<10]
	}
	return raw
}

func appendNew(list []string, id string) []string {
	if id == "" || slices.Contains(list, id) {
		return list
	}
	return append(list, id)
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
