package slack

import (
	"context"
	"strings"

	"github.com/slack-go/slack/slackutilsx"

	"github.com/frontdeskhq/frontdesk/channels"
)

var _ channels.Sender = (*Hub)(nil)

// Send delivers an agent's reply to a customer conversation: into the DM, or into the
// thread of the Slack Connect channel, with chat.postMessage. The text is escaped, so
// an agent cannot ping @channel by accident. With post_as_agent the message shows the
// agent's name. It returns team/channel/ts, the external id inbound messages have. A
// reply with files is shared as one file message (upload), its text as the message.
//
// Slack has no idempotency key for chat.postMessage: if the hub crashes after Slack
// accepted a message and before the delivery was recorded, the outbound worker sends
// it again.
func (h *Hub) Send(ctx context.Context, out channels.Outbound) (string, error) {
	w, ok := h.ws[out.Account]
	if !ok {
		return "", permanent("no workspace %q configured", out.Account)
	}
	if !w.customer {
		return "", permanent("workspace %s is not in customer mode", w.TeamID)
	}
	channel, threadTS, err := splitThreadKey(out.ThreadKey)
	if err != nil {
		return "", channels.Permanent(err)
	}
	text := strings.TrimSpace(out.Text)
	username := ""
	if w.PostAsAgent {
		username = strings.TrimSpace(out.AuthorName)
	}
	if len(out.Attachments) > 0 {
		// Files are shared with the text as their message (files:write). A file
		// message shows the app's name, so the agent's is written in it.
		comment := slackutilsx.EscapeMessage(text)
		if username != "" {
			comment = "*" + slackutilsx.EscapeMessage(username) + "*\n" + comment
		}
		comment = truncateText(comment, maxPostBytes)
		id, err := w.upload(ctx, channel, threadTS, comment, out.Attachments)
		if err != nil {
			return "", err
		}
		return externalID(w.TeamID, channel, "file-"+id), nil
	}
	if text == "" {
		return "", permanent("nothing to send: the reply is empty")
	}
	ts, err := w.post(ctx, channel, threadTS, truncateText(text, maxPostBytes), username)
	if err != nil {
		return "", err
	}
	return externalID(w.TeamID, channel, ts), nil
}

// maxPostBytes keeps a post under Slack's 40,000-character message limit.
const maxPostBytes = 39000

// truncateText cuts s to at most n bytes on a rune boundary, marking the cut.
func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && (s[cut]&0xC0) == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
