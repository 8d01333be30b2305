package webchat

import (
	"context"
	"fmt"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// messageFrames turns stored messages into the frames the visitor sees: the agent's
// first name, attachments with signed URLs.
func (s *Server) messageFrames(ctx context.Context, k visitorKey, msgs []inbox.Message, replay bool) [][]byte {
	var authors []int64
	for _, m := range msgs {
		if m.Kind == inbox.KindOut && m.AuthorUserID != 0 {
			authors = append(authors, m.AuthorUserID)
		}
	}
	names := map[int64]string{}
	if len(authors) > 0 {
		var err error
		if names, err = s.inbox.AuthorNames(ctx, authors); err != nil {
			s.log.Warn("author names", "err", err) // messages still go, unsigned
		}
	}
	out := make([][]byte, len(msgs))
	for i, m := range msgs {
		f := ServerMessage{Type: TypeMessage, Seq: m.ID, Conv: m.ConversationID, From: "visitor", Text: m.Text,
			At: m.CreatedAt, Replay: replay}
		if m.Kind == inbox.KindOut {
			f.From, f.Author = "agent", firstName(names[m.AuthorUserID])
		} else if rest, ok := cutClientID(m.ExternalID, k.visitor); ok {
			f.ClientID = rest
		}
		for _, a := range m.Attachments {
			f.Attachments = append(f.Attachments, s.fileDescriptor(k, m.ConversationID, a))
		}
		out[i] = encode(f)
	}
	return out
}

// cutClientID recovers the client id from a visitor message's external id.
func cutClientID(ext, visitor string) (string, bool) {
	prefix := "wc:" + visitor + ":"
	if len(ext) > len(prefix) && ext[:len(prefix)] == prefix {
		return ext[len(prefix):], true
	}
	return "", false
}

// fileDescriptor describes an attachment with a URL signed for this visitor.
func (s *Server) fileDescriptor(k visitorKey, conv int64, a inbox.Attachment) FileDescriptor {
	sig := s.signer.sign(k.site, k.visitor, conv, a.ID)
	return FileDescriptor{Name: a.Filename, Type: a.ContentType, Size: a.Size,
		URL: fmt.Sprintf("/chat/attachments/%d?site=%s&v=%s&c=%d&s=%s", a.ID, k.site, k.visitor, conv, sig)}
}
