package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// threadMessage handles a message written in the mirror channel. Only replies in a
// thread the hub opened count, and only in agent mode. The author must be a hub user:
// their Slack profile's email is looked up among the users. A message starting with
// the reply prefix is a reply to the contact (the prefix removed); anything else is a
// private note. Both are written with the event marked done and the Slack message
// linked, in one transaction, so the mirror does not post them back.
//
// A Slack user who is not an active hub user (or whose email Slack does not share),
// or an agent who may not see the conversation, is refused: nothing is stored, and
// they get an ephemeral notice. A note needs an accountable author; a system author
// would let anyone in the channel write into conversations.
func (h *Hub) threadMessage(ctx context.Context, w *workspace, eventID string, e Event) error {
	if e.ThreadTS == "" || e.ThreadTS == e.TS || w.surface != ModeAgent {
		return errIgnored
	}
	th, err := h.store.SlackThreadByTS(ctx, w.TeamID, e.Channel, e.ThreadTS)
	if errors.Is(err, inbox.ErrNotFound) {
		return errIgnored
	}
	if err != nil {
		return err
	}
	p, err := w.user(ctx, e.User)
	if err != nil {
		return err
	}
	if p.Bot {
		return errIgnored
	}
	refuse := func(why string) error {
		w.ephemeral(ctx, e.Channel, e.ThreadTS, e.User, "Frontdesk did not record your message: "+why)
		return fmt.Errorf("%w: thread message refused: %s", errIgnored, why)
	}
	if p.Email == "" {
		return refuse("Slack does not share your email address with the app, so you cannot be matched to a Frontdesk user.")
	}
	agent, err := h.store.UserByEmail(ctx, strings.ToLower(p.Email))
	if errors.Is(err, inbox.ErrNotFound) || (err == nil && agent.Disabled) {
		return refuse("your Slack email address is not an active Frontdesk user's.")
	}
	if err != nil {
		return err
	}
	text := strings.TrimSpace(plainText(e.Text))
	in := inbox.ReplyInput{Text: text, Note: true}
	if rest, ok := strings.CutPrefix(text, strings.TrimSpace(w.ReplyPrefix)); ok {
		in = inbox.ReplyInput{Text: strings.TrimSpace(rest)}
	}
	if in.Text == "" {
		if len(e.Files) > 0 {
			return refuse("files in the thread are not passed on; attach them in Frontdesk.")
		}
		return refuse("the message is empty.")
	}
	link := &inbox.SlackMessage{TeamID: w.TeamID, ChannelID: e.Channel, TS: e.TS}
	_, err = h.inbox.ReplyWith(ctx, agent, th.ConversationID, in, h.finishIn(eventID, link))
	switch {
	case err == nil:
		return errFinished
	case errors.Is(err, inbox.ErrDuplicate):
		return errFinished
	case errors.Is(err, inbox.ErrNotFound):
		return refuse("you may not see this conversation in Frontdesk.")
	case inbox.IsInvalid(err):
		return refuse(err.Error())
	case errors.Is(err, inbox.ErrUnauthorized):
		return refuse("your Frontdesk account is disabled.")
	}
	return err
}
