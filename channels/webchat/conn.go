package webchat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// hardFrameLimit is the largest frame read at all: beyond it the socket is closed with
// status 1009 (message too big) and that reason. Below it, a frame over the message
// limit is read, discarded and answered with a too_large error frame.
const hardFrameLimit = 1 << 20

// helloTimeout bounds how long a new socket may stay silent before its hello.
const helloTimeout = 10 * time.Second

// replayLimit bounds one replay; a client that missed more gets the newest ones.
const replayLimit = 500

// conn is one visitor websocket. Its handler goroutine reads; writes come from it and
// from pushers (the Sender, other tabs, typing), serialised by wmu. WriteControl (pings)
// is safe concurrently with both.
type conn struct {
	s    *Server
	ws   *websocket.Conn
	site *Site
	ip   string
	key  visitorKey
	lang string

	wmu    sync.Mutex
	replay int64 // seq of the last replayed message: live pushes at or below are sent already
	closed atomic.Bool

	conv  atomic.Int64
	name  string
	email string
	saved bool // the visitor row exists

	lastTyping time.Time
	typingOn   bool

	pingMu sync.Mutex
	ping   *time.Timer
}

// serve runs the connection until it ends.
func (c *conn) serve(ctx context.Context) {
	defer c.ws.Close()
	maxFrame := int64(c.s.cfg.Limits.MaxMessageBytes)*6 + 1024 // JSON may escape a byte as \uXXXX
	c.ws.SetReadLimit(hardFrameLimit)
	ping := c.s.cfg.Limits.PingInterval
	c.ws.SetReadDeadline(time.Now().Add(helloTimeout))
	c.ws.SetPongHandler(func(string) error {
		c.ws.SetReadDeadline(time.Now().Add(2 * ping))
		return nil
	})
	hello := false
	stop := context.AfterFunc(ctx, func() {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "server stopping"), time.Now().Add(time.Second))
		c.ws.Close()
	})
	defer stop()
	defer func() {
		c.pingMu.Lock()
		c.closed.Store(true)
		if c.ping != nil {
			c.ping.Stop()
		}
		c.pingMu.Unlock()
		if hello {
			c.left(ctx)
		}
	}()
	for {
		_, r, err := c.ws.NextReader()
		if err != nil {
			return // closed, timed out, or over the hard limit (gorilla sent 1009)
		}
		data, err := io.ReadAll(io.LimitReader(r, maxFrame+1))
		if err != nil {
			return
		}
		if int64(len(data)) > maxFrame {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return
			}
			c.fail(CodeTooLarge, fmt.Sprintf("frame larger than %d bytes", maxFrame), "", false)
			continue
		}
		if hello {
			c.ws.SetReadDeadline(time.Now().Add(2 * ping))
		}
		f, err := DecodeFrame(data, c.s.cfg.Limits.MaxMessageBytes)
		if err != nil {
			code := CodeInvalidFrame
			if errors.Is(err, errTooLarge) {
				code = CodeTooLarge
			}
			c.fail(code, err.Error(), f.ClientID, false)
			continue
		}
		if !hello {
			if f.Type != TypeHello {
				c.fail(CodeHelloFirst, "send a hello frame first", "", false)
				continue
			}
			if !c.hello(ctx, f) {
				return
			}
			hello = true
			c.ws.SetReadDeadline(time.Now().Add(2 * ping))
			c.schedulePing()
			continue
		}
		switch f.Type {
		case TypeHello:
			c.fail(CodeInvalidFrame, "hello was already received on this connection", "", false)
		case TypeMessage:
			c.message(ctx, f)
		case TypeTyping:
			c.visitorTyping(f.On)
		case TypeProfile:
			c.profile(ctx, f)
		case TypeTranscript:
			c.transcript(ctx)
		case TypePing:
			c.write(encode(simpleFrame{Type: TypePong}))
		}
	}
}

// schedulePing pings the socket every ping interval, from a timer rather than a
// goroutine per socket, so idle sockets cost little.
func (c *conn) schedulePing() {
	every := c.s.cfg.Limits.PingInterval
	c.pingMu.Lock()
	defer c.pingMu.Unlock()
	c.ping = time.AfterFunc(every, func() {
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.cfg.Limits.WriteTimeout)); err != nil {
			c.ws.Close()
			return
		}
		c.pingMu.Lock()
		if !c.closed.Load() {
			c.ping.Reset(every)
		}
		c.pingMu.Unlock()
	})
}

// write sends one frame; a failed or timed-out write closes the socket (the reader
// then ends the connection).
func (c *conn) write(b []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.writeLocked(b)
}

func (c *conn) writeLocked(b []byte) bool {
	if c.closed.Load() {
		return false
	}
	c.ws.SetWriteDeadline(time.Now().Add(c.s.cfg.Limits.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.closed.Store(true)
		c.ws.Close()
		return false
	}
	return true
}

// pushMessage sends a live message frame unless the replay already carried it.
func (c *conn) pushMessage(seq int64, b []byte) bool {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if seq <= c.replay {
		return true
	}
	return c.writeLocked(b)
}

// fail sends an error frame; fatal ones close the connection with a normal close.
func (c *conn) fail(code, msg, cid string, fatal bool) {
	c.s.log.Info("visitor frame refused", "site", c.site.Key, "code", code)
	c.write(encode(ErrorFrame{Type: TypeError, Code: code, Message: msg, ClientID: cid, Fatal: fatal}))
	if fatal {
		c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, code), time.Now().Add(time.Second))
		c.closed.Store(true)
	}
}

// hello identifies the visitor (issuing a token to a new one), registers the socket
// and replays what the visitor missed, all before any live push can interleave.
func (c *conn) hello(ctx context.Context, f ClientFrame) bool {
	token := f.Token
	if token == "" {
		token = newToken()
	}
	c.key = visitorKey{site: c.site.Key, visitor: visitorID(token)}
	c.lang = pickLang(f.Lang, c.site.DefaultLanguage)
	w := Welcome{Type: TypeWelcome, Token: token, Visitor: c.key.visitor,
		Online:          c.s.online(ctx, c.site),
		MaxMessageBytes: c.s.cfg.Limits.MaxMessageBytes, MaxUploadBytes: c.s.cfg.Limits.MaxUploadBytes}
	if f.Token != "" {
		v, err := c.s.inbox.Visitor(ctx, c.key.site, c.key.visitor)
		switch {
		case err == nil:
			c.saved, c.name, c.email = true, v.Name, v.Email
			w.Name, w.Email = v.Name, v.Email
		case !errors.Is(err, inbox.ErrNotFound):
			c.s.log.Error("load visitor", "site", c.site.Key, "err", err)
			c.fail(CodeInternal, "the chat is unavailable; retrying", "", true)
			return false
		}
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	// What the visitor has seen (since) is not pushed again: another tab's message
	// stored just before this hello would otherwise reach this one twice.
	c.replay = max(c.replay, f.Since)
	c.s.hub.add(c) // from now on pushes queue behind wmu, so they follow the replay
	var msgs []inbox.Message
	if c.saved {
		conv, err := c.s.inbox.VisitorConversation(ctx, c.key.site, c.key.visitor)
		if err != nil && !errors.Is(err, inbox.ErrNotFound) {
			c.s.log.Error("load visitor conversation", "site", c.site.Key, "err", err)
			c.writeLocked(encode(ErrorFrame{Type: TypeError, Code: CodeInternal, Message: "the chat is unavailable; retrying", Fatal: true}))
			return false
		}
		if err == nil {
			c.setConv(conv.ID)
			w.Conv = conv.ID
			if msgs, err = c.s.replayMessages(ctx, c.key, conv.ID, f.Since); err != nil {
				c.s.log.Error("replay", "site", c.site.Key, "conversation_id", conv.ID, "err", err)
				c.writeLocked(encode(ErrorFrame{Type: TypeError, Code: CodeInternal, Message: "the chat is unavailable; retrying", Fatal: true}))
				return false
			}
		}
	}
	w.Replayed = len(msgs)
	if !c.writeLocked(encode(w)) {
		return false
	}
	frames := c.s.messageFrames(ctx, c.key, msgs, true)
	for i, b := range frames {
		if !c.writeLocked(b) {
			return false
		}
		c.replay = msgs[i].ID
	}
	if n := len(msgs); n > 0 && c.s.email != nil {
		// Seen now: replies queued for email need not go.
		if err := c.s.inbox.DeleteVisitorEmails(ctx, c.key.site, c.key.visitor, msgs[n-1].ID); err != nil {
			c.s.log.Warn("forget queued visitor emails", "err", err)
		}
	}
	return true
}

// replayMessages returns the conversation's visible messages after since; when more
// than replayLimit are missing, the newest replayLimit.
func (s *Server) replayMessages(ctx context.Context, k visitorKey, conv, since int64) ([]inbox.Message, error) {
	var all []inbox.Message
	for {
		page, err := s.inbox.VisitorMessages(ctx, conv, since, replayLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if len(all) > replayLimit {
			all = all[len(all)-replayLimit:]
		}
		if len(page) < replayLimit {
			return all, nil
		}
		since = page[len(page)-1].ID
	}
}

func (c *conn) setConv(id int64) {
	if c.conv.Swap(id) != id {
		c.s.hub.bind(id, c.key)
	}
}

// left runs when the socket ends: the visitor's last-seen time is recorded when this
// was its last socket, which starts the email grace period.
func (c *conn) left(ctx context.Context) {
	c.closed.Store(true)
	last := c.s.hub.remove(c)
	if c.typingOn && c.s.typing != nil && c.conv.Load() != 0 {
		c.s.typing.VisitorTyping(c.conv.Load(), false)
	}
	if !last || !c.saved {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if _, err := c.s.inbox.SaveVisitor(ctx, inbox.Visitor{ID: c.key.visitor, Site: c.key.site, LastSeenAt: c.s.now()}); err != nil {
		c.s.log.Warn("record visitor last seen", "err", err)
	}
}

// limited applies the per-visitor and per-IP message limits, answering a refused
// message with a rate_limited error frame naming it and when to retry.
func (c *conn) limited(cid string) bool {
	ok, wait := c.s.visitorLimit.allow(c.key.site + "\x00" + c.key.visitor)
	if ok {
		ok, wait = c.s.ipLimit.allow(c.ip)
	}
	if ok {
		return false
	}
	c.s.log.Info("visitor rate limited", "site", c.site.Key)
	c.write(encode(ErrorFrame{Type: TypeError, Code: CodeRateLimited, ClientID: cid,
		Message: "too many messages; wait a moment", RetryAfterMS: max(1, wait.Milliseconds())}))
	return true
}

// message stores a visitor's message, acknowledges it and shows it in the visitor's
// other tabs. A resend of the same client id is acknowledged with the first id.
func (c *conn) message(ctx context.Context, f ClientFrame) {
	if c.limited(f.ClientID) {
		return
	}
	if !c.ensureVisitor(ctx) {
		c.fail(CodeInternal, "could not store your message; it will be sent again", f.ClientID, false)
		return
	}
	res, err := c.s.ingest(ctx, c.key, c.name, c.lang, f.ClientID, strings.TrimSpace(f.Text), nil)
	if err != nil {
		c.ingestFailed(err, f.ClientID)
		return
	}
	c.delivered(res, f.ClientID, strings.TrimSpace(f.Text), nil)
}

// ingestFailed answers a failed ingest: the visitor's fault is an invalid_frame, ours an
// internal error (the client keeps the message and resends it).
func (c *conn) ingestFailed(err error, cid string) {
	if inbox.IsInvalid(err) {
		c.fail(CodeInvalidFrame, strings.TrimPrefix(err.Error(), "inbox: "), cid, false)
		return
	}
	c.s.log.Error("ingest visitor message", "site", c.site.Key, "err", err)
	c.fail(CodeInternal, "could not store your message; it will be sent again", cid, false)
}

// delivered acknowledges a stored message and pushes it to the visitor's other tabs.
func (c *conn) delivered(res inbox.IngestResult, cid, text string, files []FileDescriptor) {
	c.setConv(res.ConversationID)
	at := c.s.now().UTC()
	c.write(encode(Ack{Type: TypeAck, ClientID: cid, Seq: res.MessageID, Conv: res.ConversationID, Duplicate: res.Duplicate, At: at}))
	if res.Duplicate {
		return
	}
	b := encode(ServerMessage{Type: TypeMessage, Seq: res.MessageID, Conv: res.ConversationID, From: "visitor",
		Text: text, ClientID: cid, At: at, Attachments: files})
	for _, o := range c.s.hub.sockets(c.key) {
		if o != c {
			o.pushMessage(res.MessageID, b)
		}
	}
}

// ensureVisitor creates the visitor row before its first message.
func (c *conn) ensureVisitor(ctx context.Context) bool {
	if c.saved {
		return true
	}
	if _, err := c.s.inbox.SaveVisitor(ctx, inbox.Visitor{ID: c.key.visitor, Site: c.key.site, Language: c.lang}); err != nil {
		c.s.log.Error("save visitor", "err", err)
		return false
	}
	c.saved = true
	return true
}

// ingest hands a visitor's message to the inbox. The external id joins the visitor id
// and the client id, so a resend is the same message.
func (s *Server) ingest(ctx context.Context, k visitorKey, name, lang, cid, text string, files []channels.Attachment) (inbox.IngestResult, error) {
	return s.inbox.Ingest(ctx, channels.Envelope{
		Channel:     channels.Webchat,
		ExternalID:  "wc:" + k.visitor + ":" + cid,
		Account:     k.site,
		ThreadKey:   k.visitor,
		From:        channels.Identity{Kind: channels.KindVisitor, Value: k.visitor, Name: name},
		Text:        text,
		Attachments: files,
		Language:    lang,
	})
}

// visitorTyping forwards the visitor's typing to the agents, at most one "on" every two
// seconds.
func (c *conn) visitorTyping(on bool) {
	conv := c.conv.Load()
	if c.s.typing == nil || conv == 0 {
		return
	}
	now := c.s.now()
	if on == c.typingOn && (!on || now.Sub(c.lastTyping) < 2*time.Second) {
		return
	}
	c.typingOn, c.lastTyping = on, now
	c.s.typing.VisitorTyping(conv, on)
}

// profile saves the pre-chat (or leave-a-message) name and email.
func (c *conn) profile(ctx context.Context, f ClientFrame) {
	v, err := c.s.inbox.SaveVisitor(ctx, inbox.Visitor{ID: c.key.visitor, Site: c.key.site, Name: f.Name, Email: f.Email, Language: c.lang})
	if inbox.IsInvalid(err) {
		c.fail(CodeInvalidEmail, "this email address does not look valid", "", false)
		return
	}
	if err != nil {
		c.s.log.Error("save visitor", "err", err)
		c.fail(CodeInternal, "could not save your details; try again", "", false)
		return
	}
	c.saved = true
	c.name, c.email = v.Name, v.Email
	c.write(encode(struct {
		Type  string `json:"type"`
		Name  string `json:"name"`
		Email string `json:"email"`
	}{TypeProfileSaved, v.Name, v.Email}))
}

// pickLang chooses fr or en from what the browser asked for.
func pickLang(asked, def string) string {
	asked = strings.ToLower(asked)
	switch {
	case strings.HasPrefix(asked, "fr"):
		return "fr"
	case strings.HasPrefix(asked, "en"):
		return "en"
	}
	return def
}
