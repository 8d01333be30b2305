package slack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Mirror is the handler of the MirrorGroup bus consumer: it opens a thread in the
// mirror channel of the first agent or notify workspace that selects a conversation's
// team (when it is created, or when it is moved to such a team), and posts each new
// message into it. Messages already linked to a Slack message (posted before, or
// written in the thread by an agent) are skipped, so a redelivered event or an agent's
// note is not posted twice. A permanent Slack refusal is logged and dropped; other
// errors are returned for the bus to retry.
//
// A crash between Slack accepting a post and the link being stored posts it again on
// redelivery (Slack has no idempotency key).
func (h *Hub) Mirror(ctx context.Context, topic string, payload []byte) error {
	switch topic {
	case inbox.TopicConversationCreated, inbox.TopicConversationUpdated, inbox.TopicMessageCreated:
	default:
		return nil
	}
	ev, err := inbox.DecodeBusEvent(payload)
	if err != nil {
		h.log.Error("undecodable bus event dropped", "topic", topic, "err", err)
		return nil
	}
	err = h.mirror(ctx, topic, ev)
	if channels.IsPermanent(err) {
		h.log.Warn("mirror refused by slack; dropped", "conversation_id", ev.ConversationID, "err", err)
		return nil
	}
	return err
}

func (h *Hub) mirror(ctx context.Context, topic string, ev inbox.BusEvent) error {
	c, err := h.store.Conversation(ctx, ev.ConversationID)
	if errors.Is(err, inbox.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("slack: mirror: %w", err)
	}
	th, err := h.store.SlackThreadByConversation(ctx, c.ID)
	switch {
	case errors.Is(err, inbox.ErrNotFound):
		w, err := h.surfaceFor(ctx, c)
		if err != nil || w == nil {
			return err
		}
		return h.openThread(ctx, w, c)
	case err != nil:
		return fmt.Errorf("slack: mirror: %w", err)
	}
	w, ok := h.ws[th.TeamID]
	if !ok || w.surface == "" {
		return nil
	}
	switch {
	case topic == inbox.TopicMessageCreated:
		m, err := h.store.Message(ctx, ev.MessageID)
		if errors.Is(err, inbox.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("slack: mirror: %w", err)
		}
		return h.postMessage(ctx, w, th, m)
	case topic == inbox.TopicConversationUpdated && slices.Contains(ev.Changed, "status"):
		_, err := w.post(ctx, th.ChannelID, th.ThreadTS, "Status: "+string(c.Status), "")
		return err
	}
	return nil
}

// surfaceFor returns the first surface workspace that selects c's team, or nil.
func (h *Hub) surfaceFor(ctx context.Context, c inbox.Conversation) (*workspace, error) {
	slug := ""
	if c.TeamID != 0 {
		teams, err := h.store.Teams(ctx)
		if err != nil {
			return nil, fmt.Errorf("slack: mirror: teams: %w", err)
		}
		for _, t := range teams {
			if t.ID == c.TeamID {
				slug = t.Slug
			}
		}
	}
	for _, w := range h.order {
		if w.surface == "" {
			continue
		}
		if len(w.teams) == 0 || (slug != "" && w.teams[slug]) {
			return w, nil
		}
	}
	return nil, nil
}

// openThread posts the root of c's thread, links it, and posts the messages so far.
func (h *Hub) openThread(ctx context.Context, w *workspace, c inbox.Conversation) error {
	contact, err := h.store.Contact(ctx, c.ContactID)
	if err != nil {
		return fmt.Errorf("slack: mirror: contact: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "New conversation #%d (%s) from *%s*", c.ID, c.Channel, contactName(contact))
	if c.Subject != "" {
		fmt.Fprintf(&b, "\nSubject: %s", c.Subject)
	}
	if w.surface == ModeAgent {
		fmt.Fprintf(&b, "\nReply in this thread: a message starting with %q goes to the contact; anything else stays a private note.", strings.TrimSpace(w.ReplyPrefix))
	}
	ts, err := w.post(ctx, w.MirrorChannel, "", b.String(), "")
	if err != nil {
		return err
	}
	th := inbox.SlackThread{ConversationID: c.ID, TeamID: w.TeamID, ChannelID: w.MirrorChannel, ThreadTS: ts, CreatedAt: h.now().UTC()}
	err = h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.AddSlackThread(ctx, th) })
	if errors.Is(err, inbox.ErrDuplicate) {
		h.log.Warn("conversation already mirrored; extra root post left", "conversation_id", c.ID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("slack: mirror: link thread: %w", err)
	}
	msgs, err := h.store.Messages(ctx, c.ID)
	if err != nil {
		return fmt.Errorf("slack: mirror: messages: %w", err)
	}
	for _, m := range msgs {
		if err := h.postMessage(ctx, w, th, m); err != nil {
			return err
		}
	}
	return nil
}

// postMessage posts m into the thread unless it is linked already (or notify mode
// and not from the contact).
func (h *Hub) postMessage(ctx context.Context, w *workspace, th inbox.SlackThread, m inbox.Message) error {
	if w.surface == ModeNotify && m.Kind != inbox.KindIn {
		return nil
	}
	if _, err := h.store.SlackMessageByID(ctx, m.ID); err == nil {
		return nil
	} else if !errors.Is(err, inbox.ErrNotFound) {
		return fmt.Errorf("slack: mirror: %w", err)
	}
	text, err := h.render(ctx, m)
	if err != nil {
		return err
	}
	ts, err := w.post(ctx, th.ChannelID, th.ThreadTS, truncateText(text, maxPostBytes), "")
	if err != nil {
		return err
	}
	err = h.store.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		return tx.AddSlackMessage(ctx, inbox.SlackMessage{MessageID: m.ID, TeamID: w.TeamID, ChannelID: th.ChannelID, TS: ts})
	})
	if err != nil && !errors.Is(err, inbox.ErrDuplicate) {
		return fmt.Errorf("slack: mirror: link message: %w", err)
	}
	return nil
}

// render is how a message reads in a mirror thread.
func (h *Hub) render(ctx context.Context, m inbox.Message) (string, error) {
	author := func() string {
		if m.AuthorUserID == 0 {
			return "Frontdesk"
		}
		u, err := h.store.User(ctx, m.AuthorUserID)
		if err != nil {
			return fmt.Sprintf("user %d", m.AuthorUserID)
		}
		return u.Name
	}
	var b strings.Builder
	switch m.Kind {
	case inbox.KindIn:
		name := "Contact"
		if c, err := h.store.Contact(ctx, m.ContactID); err == nil {
			name = contactName(c)
		}
		fmt.Fprintf(&b, "*%s*: %s", name, m.Text)
	case inbox.KindOut:
		fmt.Fprintf(&b, "*%s* (reply to the contact): %s", author(), m.Text)
	case inbox.KindNote:
		fmt.Fprintf(&b, "Note by *%s*: %s", author(), m.Text)
	default:
		b.WriteString(m.Text)
	}
	for _, a := range m.Attachments {
		fmt.Fprintf(&b, "\n[attachment: %s, %d bytes]", a.Filename, a.Size)
	}
	return b.String(), nil
}

func contactName(c inbox.Contact) string {
	if c.Name != "" {
		return c.Name
	}
	for _, id := range c.Identities {
		return id.Value
	}
	return fmt.Sprintf("contact %d", c.ID)
}
