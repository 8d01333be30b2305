package webchat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Delivery outcomes, as the external id Send returns (the outbound worker records the
// message as sent in every case; the id says how).
const (
	// DeliveredLive: pushed to at least one live socket of the visitor.
	DeliveredLive = "live"
	// DeliveredReplay: no socket was live; the visitor gets the reply from the replay
	// when the chat reconnects (and by email after the grace period, when they left an
	// address and email is configured).
	DeliveredReplay = "replay"
	// DeliveredEmail: the visitor has been away longer than the grace period and left an
	// address: the reply went by email.
	DeliveredEmail = "email"
)

// sender is the webchat's channels.Sender.
type sender struct{ s *Server }

// Sender returns the channels.Sender the outbound worker calls for channel webchat.
//
// Send pushes the agent's reply to the visitor's live sockets and returns
// "wc-out:<message id>:live". With no live socket, the reply stays in the store for
// the replay at the next connection ("wc-out:<id>:replay"); if the visitor left an
// email address and an email Sender is configured, the reply is also queued to be
// forwarded when the visitor has been away for email_grace, or forwarded at once
// ("wc-out:<id>:email") when they already have. Send is idempotent per message: a
// second call pushes the same seq, which clients deduplicate.
func (s *Server) Sender() channels.Sender { return sender{s} }

var _ channels.Sender = sender{}

// Send implements channels.Sender.
func (sn sender) Send(ctx context.Context, out channels.Outbound) (string, error) {
	s := sn.s
	if out.To.Kind != channels.KindVisitor || out.To.Value == "" {
		return "", channels.Permanent(errors.New("webchat: recipient is not a visitor"))
	}
	k := visitorKey{site: out.Account, visitor: out.To.Value}
	ext := func(how string) string { return fmt.Sprintf("wc-out:%d:%s", out.MessageID, how) }
	msg := ServerMessage{Type: TypeMessage, Seq: out.MessageID, Conv: out.ConversationID, From: "agent",
		Author: firstName(out.AuthorName), Text: out.Text, At: s.now().UTC()}
	for _, a := range out.Attachments {
		msg.Attachments = append(msg.Attachments, s.fileDescriptor(k, out.ConversationID,
			inbox.Attachment{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Data))}))
	}
	frame := encode(msg)
	pushed := 0
	for _, c := range s.hub.sockets(k) {
		c.setConv(out.ConversationID)
		if c.pushMessage(out.MessageID, frame) {
			pushed++
		}
	}
	if pushed > 0 {
		return ext(DeliveredLive), nil
	}
	if s.email == nil {
		return ext(DeliveredReplay), nil
	}
	v, err := s.inbox.Visitor(ctx, k.site, k.visitor)
	if errors.Is(err, inbox.ErrNotFound) || (err == nil && v.Email == "") {
		return ext(DeliveredReplay), nil
	}
	if err != nil {
		return "", fmt.Errorf("webchat: load visitor: %w", err)
	}
	due := v.LastSeenAt.Add(s.cfg.EmailGrace)
	if !due.After(s.now()) {
		if err := s.forward(ctx, v, out); err != nil {
			return "", err
		}
		return ext(DeliveredEmail), nil
	}
	if err := s.inbox.QueueVisitorEmail(ctx, inbox.VisitorEmail{MessageID: out.MessageID, Site: k.site, VisitorID: k.visitor, DueAt: due}); err != nil {
		return "", fmt.Errorf("webchat: queue email: %w", err)
	}
	return ext(DeliveredReplay), nil
}

// forward emails an agent's reply to a visitor who left.
func (s *Server) forward(ctx context.Context, v inbox.Visitor, out channels.Outbound) error {
	site := s.site(v.Site)
	if site == nil {
		return channels.Permanent(fmt.Errorf("webchat: site %q is no longer configured", v.Site))
	}
	t := texts(v.Language, site.DefaultLanguage)
	body := out.Text + "\n\n-- \n" + fmt.Sprintf(t.emailFooter, site.Name)
	if out.AuthorName != "" {
		body = firstName(out.AuthorName) + " :\n\n" + body
	}
	_, err := s.email.Send(ctx, channels.Outbound{
		MessageID:      out.MessageID,
		ConversationID: out.ConversationID,
		Channel:        channels.Email,
		To:             channels.Identity{Kind: channels.KindEmail, Value: v.Email, Name: v.Name},
		Subject:        fmt.Sprintf(t.replySubject, site.Name),
		Text:           body,
		AuthorName:     out.AuthorName,
		Attachments:    out.Attachments,
	})
	if err != nil {
		return fmt.Errorf("webchat: forward reply by email: %w", err)
	}
	return nil
}

// AgentTyping shows (or hides) "name is typing" in the visitor's chat of conversation
// conversationID, when one of its sockets is live in this process.
func (s *Server) AgentTyping(conversationID int64, name string, typing bool) {
	k, ok := s.hub.conversation(conversationID)
	if !ok {
		return
	}
	b := encode(TypingFrame{Type: TypeTyping, On: typing, Name: firstName(name)})
	for _, c := range s.hub.sockets(k) {
		c.write(b)
	}
}

// Run forwards queued replies by email once their visitor has been away for the grace
// period, until ctx ends. Without an email Sender it only prunes the rate limiters.
//
// When ctx ends, every visitor socket is closed with status 1001 (going away); the
// widgets reconnect to another hub or when this one is back.
func (s *Server) Run(ctx context.Context) error {
	defer s.stopAll()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	prune := time.NewTicker(time.Minute)
	defer prune.Stop()
	status := time.NewTicker(30 * time.Second)
	defer status.Stop()
	online := map[string]bool{}
	for _, site := range s.sites {
		online[site.Key] = s.online(ctx, site)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-status.C:
			s.pushStatus(ctx, online)
			continue
		case <-prune.C:
			s.visitorLimit.prune()
			s.ipLimit.prune()
			s.transcriptLimit.prune()
			continue
		case <-tick.C:
		}
		if s.email == nil {
			continue
		}
		if err := s.forwardDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("forward queued replies", "err", err)
		}
	}
}

// forwardDue emails the queued replies that are due, skipping visitors who came back.
func (s *Server) forwardDue(ctx context.Context) error {
	due, err := s.inbox.DueVisitorEmails(ctx, 100)
	if err != nil {
		return err
	}
	for _, e := range due {
		if len(s.hub.sockets(visitorKey{e.Site, e.VisitorID})) == 0 {
			o, err := s.inbox.OutgoingMessage(ctx, e.MessageID)
			if err != nil && !errors.Is(err, inbox.ErrNotFound) {
				return err
			}
			v, verr := s.inbox.Visitor(ctx, e.Site, e.VisitorID)
			if verr != nil && !errors.Is(verr, inbox.ErrNotFound) {
				return verr
			}
			if err == nil && verr == nil && v.Email != "" {
				out := channels.Outbound{MessageID: o.Message.ID, ConversationID: o.Conversation.ID, Text: o.Message.Text, AuthorName: o.Author.Name}
				out.Attachments, err = s.inbox.OutgoingFiles(ctx, o.Message)
				if errors.Is(err, inbox.ErrFileMissing) {
					s.log.Warn("reply forwarded without its files", "message_id", e.MessageID, "err", err)
				} else if err != nil {
					return err // retried at the next tick
				}
				if err := s.forward(ctx, v, out); err != nil && !channels.IsPermanent(err) {
					return err // retried at the next tick
				} else if err != nil {
					s.log.Warn("reply not forwarded", "message_id", e.MessageID, "err", err)
				}
			}
		}
		if err := s.inbox.DeleteVisitorEmails(ctx, e.Site, e.VisitorID, e.MessageID); err != nil {
			return err
		}
	}
	return nil
}

// pushStatus tells the sockets of each site whose availability changed since last
// time (office hours opening or closing, agents coming or going).
func (s *Server) pushStatus(ctx context.Context, last map[string]bool) {
	for key, site := range s.sites {
		now := s.online(ctx, site)
		if now == last[key] {
			continue
		}
		last[key] = now
		b := encode(StatusFrame{Type: TypeStatus, Online: now})
		for _, c := range s.hub.siteSockets(key) {
			c.write(b)
		}
	}
}
