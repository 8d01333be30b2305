package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/slack-go/slack"
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
// Slack has no idempotency key for chat.postMessage, so each post carries the inbox
// message id in its metadata, and a retry (an earlier attempt may have been accepted
// without its answer reaching the hub) first looks for that post in the thread or the
// DM (see delivered); a file message, which takes no metadata, is recognised by its
// text and file names among those posted since the reply was written.
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
	// send delivers the reply; posted recognises what it delivered, for a retry.
	var send func() (string, error)
	var posted func(slack.Message) bool
	if len(out.Attachments) > 0 {
		// Files are shared with the text as their message (files:write). A file
		// message shows the app's name, so the agent's is written in it.
		comment := slackutilsx.EscapeMessage(text)
		if username != "" {
			comment = "*" + slackutilsx.EscapeMessage(username) + "*\n" + comment
		}
		comment = truncateText(comment, maxPostBytes)
		posted = sameFiles(comment, out.Attachments)
		send = func() (string, error) {
			id, err := w.upload(ctx, channel, threadTS, comment, out.Attachments)
			return "file-" + id, err
		}
	} else {
		if text == "" {
			return "", permanent("nothing to send: the reply is empty")
		}
		posted = sameReply(out.MessageID)
		send = func() (string, error) {
			return w.post(ctx, channel, threadTS, truncateText(text, maxPostBytes), username, slack.MsgOptionMetadata(replyMetadata(out.MessageID)))
		}
	}
	if out.Retry {
		ts, err := w.delivered(ctx, channel, threadTS, out.CreatedAt, posted)
		if err != nil {
			return "", err
		}
		if ts != "" {
			return externalID(w.TeamID, channel, ts), nil
		}
	}
	ts, err := send()
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

// replyEvent is the metadata event type of the hub's posts; its payload names the
// inbox message.
const replyEvent = "frontdesk_reply"

func replyMetadata(messageID int64) slack.SlackMetadata {
	return slack.SlackMetadata{EventType: replyEvent, EventPayload: map[string]any{"message_id": strconv.FormatInt(messageID, 10)}}
}

// sameReply matches the post of inbox message id, by its metadata.
func sameReply(id int64) func(slack.Message) bool {
	want := strconv.FormatInt(id, 10)
	return func(m slack.Message) bool {
		return m.Metadata.EventType == replyEvent && fmt.Sprint(m.Metadata.EventPayload["message_id"]) == want
	}
}

// sameFiles matches a file message with text comment sharing files, by name, in
// order.
func sameFiles(comment string, files []channels.Attachment) func(slack.Message) bool {
	return func(m slack.Message) bool {
		if m.Text != comment || len(m.Files) != len(files) {
			return false
		}
		for i, f := range m.Files {
			if f.Name != files[i].Filename && f.Title != files[i].Filename {
				return false
			}
		}
		return true
	}
}
