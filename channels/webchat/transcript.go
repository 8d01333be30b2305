package webchat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// transcript emails the visitor's conversation to the address they gave, when email is
// configured; at most three an hour per visitor.
func (c *conn) transcript(ctx context.Context) {
	s := c.s
	switch {
	case s.email == nil:
		c.fail(CodeNoEmail, "sending by email is not available on this chat", "", false)
		return
	case c.email == "":
		c.fail(CodeInvalidEmail, "give your email address first", "", false)
		return
	case c.conv.Load() == 0:
		c.fail(CodeNoTranscript, "there is no conversation to send yet", "", false)
		return
	}
	if ok, wait := s.transcriptLimit.allow(c.key.site + "\x00" + c.key.visitor); !ok {
		c.write(encode(ErrorFrame{Type: TypeError, Code: CodeRateLimited, Message: "too many transcripts asked; try later", RetryAfterMS: wait.Milliseconds()}))
		return
	}
	msgs, err := s.replayMessages(ctx, c.key, c.conv.Load(), 0)
	if err == nil && len(msgs) == 0 {
		c.fail(CodeNoTranscript, "there is no conversation to send yet", "", false)
		return
	}
	var body string
	if err == nil {
		body, err = s.transcriptText(ctx, c.site, c.lang, msgs)
	}
	if err == nil {
		_, err = s.email.Send(ctx, channels.Outbound{
			ConversationID: c.conv.Load(),
			Channel:        channels.Email,
			To:             channels.Identity{Kind: channels.KindEmail, Value: c.email, Name: c.name},
			Subject:        fmt.Sprintf(texts(c.lang, c.site.DefaultLanguage).transcriptSubject, c.site.Name),
			Text:           body,
		})
	}
	if err != nil {
		s.log.Error("send transcript", "site", c.site.Key, "err", err)
		c.fail(CodeInternal, "the transcript could not be sent; try again later", "", false)
		return
	}
	c.write(encode(simpleFrame{Type: TypeTranscriptSent}))
}

// transcriptText renders messages as plain text, in the visitor's language and the
// site's time zone.
func (s *Server) transcriptText(ctx context.Context, site *Site, lang string, msgs []inbox.Message) (string, error) {
	t := texts(lang, site.DefaultLanguage)
	var authors []int64
	for _, m := range msgs {
		authors = append(authors, m.AuthorUserID)
	}
	names, err := s.inbox.AuthorNames(ctx, authors)
	if err != nil {
		return "", errors.Join(errors.New("webchat: transcript"), err)
	}
	loc := site.location()
	var b strings.Builder
	fmt.Fprintf(&b, t.transcriptIntro+"\n\n", site.Name)
	for _, m := range msgs {
		who := t.you
		if m.Kind == inbox.KindOut {
			who = t.agent
			if n := firstName(names[m.AuthorUserID]); n != "" {
				who = n
			}
		}
		fmt.Fprintf(&b, "[%s] %s :\n%s\n", m.CreatedAt.In(loc).Format("02/01/2006 15:04"), who, m.Text)
		for _, a := range m.Attachments {
			fmt.Fprintf(&b, "  (%s, %d o)\n", a.Filename, a.Size)
		}
		b.WriteString("\n")
	}
	return b.String(), nil
}
