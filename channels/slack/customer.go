package slack

import (
	"context"
	"errors"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// customerMessage ingests a message of a customer DM or channel. The contact is found
// by Slack user id; a user whose Slack email is an existing contact's email address is
// attached to that contact first. A reply in a thread whose root was never ingested
// (the app joined later) brings the root in first, so the conversation starts where
// the thread does.
func (h *Hub) customerMessage(ctx context.Context, w *workspace, cb Callback, e Event) error {
	p, err := w.user(ctx, e.User)
	if err != nil {
		return err
	}
	if p.Bot {
		return errIgnored
	}
	if err := h.linkBefore(ctx, w, e.User, p); err != nil {
		return err
	}
	env := channels.Envelope{
		Channel:    channels.Slack,
		ExternalID: externalID(w.TeamID, e.Channel, e.TS),
		Account:    w.TeamID,
		ThreadKey:  threadKey(e),
		From:       channels.Identity{Kind: channels.KindSlack, Value: e.User, Name: p.Name},
		Text:       plainText(e.Text),
		ReceivedAt: tsTime(e.TS),
	}
	env.Attachments, env.Warnings, err = h.files(ctx, w, e.Files)
	if err != nil {
		return err
	}
	if strings.TrimSpace(env.Text) == "" && len(env.Attachments) == 0 {
		if len(env.Warnings) == 0 {
			return errIgnored
		}
		env.Text = "(files shared in Slack were not kept: " + strings.Join(env.Warnings, "; ") + ")"
	}
	res, err := h.inbox.Ingest(ctx, env)
	if err != nil {
		return err
	}
	h.linkAfter(ctx, w, e.User, p)
	if res.NewConversation && e.ChannelType != "im" && e.ThreadTS != "" && e.ThreadTS != e.TS {
		if err := h.ingestRoot(ctx, w, e); err != nil {
			h.log.Warn("thread root not brought in", "team", w.TeamID, "err", err)
		}
	}
	return nil
}

// ingestRoot ingests the first message of e's thread (conversations.replies) into the
// same conversation.
func (h *Hub) ingestRoot(ctx context.Context, w *workspace, e Event) error {
	root, err := w.threadRoot(ctx, e.Channel, e.ThreadTS)
	if err != nil {
		return err
	}
	if root.BotID != "" || root.User == "" {
		return nil
	}
	p, err := w.user(ctx, root.User)
	if err != nil || p.Bot {
		return err
	}
	env := channels.Envelope{
		Channel:    channels.Slack,
		ExternalID: externalID(w.TeamID, e.Channel, root.Timestamp),
		Account:    w.TeamID,
		ThreadKey:  threadKey(e),
		From:       channels.Identity{Kind: channels.KindSlack, Value: root.User, Name: p.Name},
		Text:       plainText(root.Text),
		ReceivedAt: tsTime(root.Timestamp),
	}
	if strings.TrimSpace(env.Text) == "" {
		env.Text = "(thread started with files only)"
	}
	_, err = h.inbox.Ingest(ctx, env)
	return err
}

// linkBefore attaches the Slack identity to the contact that owns the user's email,
// so that the ingest that follows finds that contact.
func (h *Hub) linkBefore(ctx context.Context, w *workspace, user string, p cachedPerson) error {
	if p.Email == "" || p.linked {
		return nil
	}
	_, err := h.inbox.AttachIdentity(ctx,
		inbox.Identity{Kind: channels.KindEmail, Value: p.Email},
		inbox.Identity{Kind: channels.KindSlack, Value: user, Name: p.Name})
	switch {
	case err == nil:
		w.markLinked(user, p)
	case errors.Is(err, inbox.ErrNotFound), errors.Is(err, inbox.ErrDuplicate), inbox.IsInvalid(err):
		// No contact has the email yet, or the Slack user is already someone's.
	default:
		return err
	}
	return nil
}

// linkAfter gives a contact created from a Slack message its email address too, unless
// another contact has it.
func (h *Hub) linkAfter(ctx context.Context, w *workspace, user string, p cachedPerson) {
	if p.Email == "" || p.linked {
		return
	}
	_, err := h.inbox.AttachIdentity(ctx,
		inbox.Identity{Kind: channels.KindSlack, Value: user},
		inbox.Identity{Kind: channels.KindEmail, Value: p.Email, Name: p.Name})
	switch {
	case err == nil, errors.Is(err, inbox.ErrDuplicate), inbox.IsInvalid(err):
		w.markLinked(user, p)
	default:
		h.log.Warn("email not attached to the slack contact", "team", w.TeamID, "err", err)
	}
}

// customerChange records an edit or deletion of a customer message in the timeline,
// in the transaction that marks the event done. Edits that leave the text as it was
// (Slack adds link previews that way) and changes by bots are ignored.
func (h *Hub) customerChange(ctx context.Context, w *workspace, eventID string, cb Callback, e Event) error {
	var ts string
	var ch inbox.MessageChange
	switch e.Subtype {
	case "message_deleted":
		ts = e.DeletedTS
		if e.PreviousMessage != nil && w.fromBot(*e.PreviousMessage) {
			return errIgnored
		}
		ch = inbox.MessageChange{Deleted: true, At: tsTime(e.TS)}
	default:
		if e.Message == nil || w.fromBot(*e.Message) {
			return errIgnored
		}
		if e.PreviousMessage != nil && e.PreviousMessage.Text == e.Message.Text {
			return errIgnored
		}
		ts = e.Message.TS
		ch = inbox.MessageChange{Text: plainText(e.Message.Text), At: tsTime(e.TS)}
	}
	if !validTS(ts) {
		return permanent("%s without the changed message's ts", e.Subtype)
	}
	_, err := h.inbox.RecordMessageChange(ctx, channels.Slack, externalID(w.TeamID, e.Channel, ts), ch, h.finishIn(eventID, nil))
	switch {
	case err == nil:
		return errFinished
	case errors.Is(err, inbox.ErrDuplicate):
		return errFinished // done before, by an earlier attempt
	case errors.Is(err, inbox.ErrNotFound):
		// The message may still be waiting for a retry of its own event: try again
		// later, and give up after max_attempts (a message from before the app).
		return err
	}
	return err
}
