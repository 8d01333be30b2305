package slack

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/frontdeskhq/frontdesk/channels"
)

// StaffDMs returns a Sender of direct messages to colleagues on the staff workspace: the
// first workspace, in configuration order, in agent or notify mode. The recipient is
// addressed by email (To.Kind email), looked up with users.lookupByEmail; the message
// goes to the app's DM with them (conversations.open, then chat.postMessage). It needs
// the users:read.email and im:write scopes. StaffDMs returns nil without a staff
// workspace.
func (h *Hub) StaffDMs() channels.Sender {
	for _, w := range h.order {
		if w.surface != "" {
			return &staffDMs{w: w, dms: map[string]cachedDM{}}
		}
	}
	return nil
}

// staffDMs sends direct messages on one workspace, caching each address's DM channel.
type staffDMs struct {
	w  *workspace
	mu sync.Mutex
	// dms maps a lower-cased email address to its DM channel.
	dms map[string]cachedDM
}

type cachedDM struct {
	channel string
	at      time.Time
}

// Send implements channels.Sender. Subject and text are sent as plain text (escaped:
// nothing in them can mention @channel or format links).
func (s *staffDMs) Send(ctx context.Context, out channels.Outbound) (string, error) {
	if out.To.Kind != channels.KindEmail || !strings.Contains(out.To.Value, "@") {
		return "", permanent("a direct message needs the colleague's email address, not %s %q", out.To.Kind, out.To.Value)
	}
	text := strings.TrimSpace(out.Text)
	if subject := strings.TrimSpace(out.Subject); subject != "" {
		text = subject + "\n\n" + text
	}
	if strings.TrimSpace(text) == "" {
		return "", permanent("nothing to send: the message is empty")
	}
	channel, err := s.channel(ctx, strings.ToLower(strings.TrimSpace(out.To.Value)))
	if err != nil {
		return "", err
	}
	ts, err := s.w.post(ctx, channel, "", truncateText(text, maxPostBytes), "")
	if err != nil {
		return "", err
	}
	return externalID(s.w.TeamID, channel, ts), nil
}

// channel returns the DM channel with the user of email, from the cache or Slack.
func (s *staffDMs) channel(ctx context.Context, email string) (string, error) {
	now := s.w.h.now()
	s.mu.Lock()
	c, ok := s.dms[email]
	s.mu.Unlock()
	if ok && now.Sub(c.at) < s.w.h.users.ttl {
		return c.channel, nil
	}
	var u *slack.User
	err := s.w.call(ctx, "users.lookupByEmail", func(ctx context.Context) error {
		var err error
		u, err = s.w.api.GetUserByEmailContext(ctx, email)
		return err
	})
	if err != nil {
		return "", err
	}
	var ch *slack.Channel
	err = s.w.call(ctx, "conversations.open", func(ctx context.Context) error {
		var err error
		ch, _, _, err = s.w.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{u.ID}, ReturnIM: true})
		return err
	})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	if len(s.dms) >= maxCachedUsers {
		s.dms = map[string]cachedDM{}
	}
	s.dms[email] = cachedDM{channel: ch.ID, at: now}
	s.mu.Unlock()
	return ch.ID, nil
}
