package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/frontdeskhq/frontdesk/channels"
)

// workspace is one configured workspace with its Web API client.
type workspace struct {
	Workspace
	customer bool
	surface  string
	// secret is the index of its signing secret in Hub.secrets.
	secret int
	api    *slack.Client
	h      *Hub
	// customerChannels is CustomerChannels as a set.
	customerChannels map[string]bool
	teams            map[string]bool
}

func newWorkspace(c Workspace, h *Hub) *workspace {
	customer, surface, _ := modes(c.Mode)
	w := &workspace{
		Workspace:        c,
		customer:         customer,
		surface:          surface,
		h:                h,
		customerChannels: map[string]bool{},
		teams:            map[string]bool{},
	}
	for _, ch := range c.CustomerChannels {
		w.customerChannels[ch] = true
	}
	for _, t := range c.Teams {
		w.teams[t] = true
	}
	w.api = slack.New(c.BotToken, slack.OptionAPIURL(c.APIURL), slack.OptionHTTPClient(h.client))
	return w
}

// maxRateLimitWaits bounds how many 429s in a row one call waits out.
const maxRateLimitWaits = 5

// call runs one Web API call, waiting out rate limits (Retry-After) up to the
// configured pause, and classifies its error: Slack's refusals that retrying cannot
// fix are permanent, the rest temporary.
func (w *workspace) call(ctx context.Context, method string, fn func(ctx context.Context) error) error {
	for waits := 0; ; waits++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var rl *slack.RateLimitedError
		if errors.As(err, &rl) {
			wait := max(rl.RetryAfter, time.Second)
			if waits >= maxRateLimitWaits || wait > w.h.cfg.MaxRetryAfter {
				return fmt.Errorf("slack: %s: rate limited for %s: %w", method, rl.RetryAfter, err)
			}
			if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
				// The caller could not wait that long (a delivery must end before
				// its event comes again): retried later instead.
				return fmt.Errorf("slack: %s: rate limited for %s, past the call's deadline: %w", method, rl.RetryAfter, err)
			}
			w.h.log.Info("rate limited; waiting", "method", method, "team", w.TeamID, "retry_after", wait)
			if err := w.h.sleep(ctx, wait); err != nil {
				return fmt.Errorf("slack: %s: %w", method, err)
			}
			continue
		}
		return classify(method, err)
	}
}

// permanentSlackErrors are Web API error codes that no retry can fix.
var permanentSlackErrors = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "msg_too_long": true,
	"no_text": true, "invalid_auth": true, "not_authed": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "missing_scope": true, "restricted_action": true,
	"user_not_found": true, "users_not_found": true, "cannot_dm_bot": true, "user_disabled": true,
	"file_not_found": true, "file_deleted": true, "thread_not_found": true, "invalid_arguments": true,
	"ekm_access_denied": true, "team_access_not_granted": true, "no_permission": true,
	"message_not_found": true, "invalid_blocks": true, "channel_is_archived": true,
}

func classify(method string, err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && permanentSlackErrors[se.Err] {
		return channels.Permanent(fmt.Errorf("slack: %s: %w", method, err))
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 && sc.Code != 408 && sc.Code != 429 {
		return channels.Permanent(fmt.Errorf("slack: %s: %w", method, err))
	}
	// Network failures, timeouts, 5xx and unknown codes: temporary.
	return fmt.Errorf("slack: %s: %w", method, err)
}

// post sends a message to channel (in thread threadTS when set), with extra options,
// and returns its ts.
func (w *workspace) post(ctx context.Context, channel, threadTS, text, username string, extra ...slack.MsgOption) (string, error) {
	opts := append([]slack.MsgOption{slack.MsgOptionText(text, true), slack.MsgOptionDisableLinkUnfurl()}, extra...)
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	if username != "" {
		opts = append(opts, slack.MsgOptionUsername(username))
	}
	var ts string
	err := w.call(ctx, "chat.postMessage", func(ctx context.Context) error {
		var err error
		_, ts, err = w.api.PostMessageContext(ctx, channel, opts...)
		return err
	})
	return ts, err
}

// upload shares files in channel (in thread threadTS if set) with comment as their
// message. Each file goes to the URL files.getUploadURLExternal gives; then
// files.completeUploadExternal shares them all at once, so that the contact sees one
// message with every file, or none (files uploaded but never shared are dropped by
// Slack). It returns the first file's id.
func (w *workspace) upload(ctx context.Context, channel, threadTS, comment string, files []channels.Attachment) (string, error) {
	summaries := make([]slack.FileSummary, 0, len(files))
	for _, f := range files {
		var u *slack.GetUploadURLExternalResponse
		err := w.call(ctx, "files.getUploadURLExternal", func(ctx context.Context) error {
			var err error
			u, err = w.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{FileName: f.Filename, FileSize: len(f.Data)})
			return err
		})
		if err != nil {
			return "", err
		}
		err = w.call(ctx, "files upload", func(ctx context.Context) error {
			return w.api.UploadToURL(ctx, slack.UploadToURLParameters{UploadURL: u.UploadURL, Reader: bytes.NewReader(f.Data), Filename: f.Filename})
		})
		if err != nil {
			return "", err
		}
		summaries = append(summaries, slack.FileSummary{ID: u.FileID, Title: f.Filename})
	}
	err := w.call(ctx, "files.completeUploadExternal", func(ctx context.Context) error {
		_, err := w.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{Files: summaries,
			Channel: channel, ThreadTimestamp: threadTS, InitialComment: comment})
		return err
	})
	if err != nil {
		return "", err
	}
	return summaries[0].ID, nil
}

// maxLookback bounds how many messages delivered reads.
const maxLookback = 1000

// delivered looks, among the messages of thread threadTS of channel (of the channel
// itself when threadTS is empty, as in a DM) posted since since, for one match
// accepts, and returns its ts, or "" when there is none. It is how a retried delivery
// finds out that an earlier attempt got through. A refusal that retrying cannot fix
// (a missing history scope) is logged and answers "none", so that the reply is still
// sent: a rare duplicate is better than a reply never delivered.
func (w *workspace) delivered(ctx context.Context, channel, threadTS string, since time.Time, match func(slack.Message) bool) (string, error) {
	oldest := ""
	if !since.IsZero() {
		// A minute of margin for clocks that disagree.
		oldest = strconv.FormatFloat(float64(since.Add(-time.Minute).UnixMicro())/1e6, 'f', 6, 64)
	}
	cursor := ""
	for read := 0; read < maxLookback; {
		var msgs []slack.Message
		var next string
		method := "conversations.history"
		if threadTS != "" {
			method = "conversations.replies"
		}
		err := w.call(ctx, method, func(ctx context.Context) error {
			var err error
			if threadTS != "" {
				var more bool
				msgs, more, next, err = w.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
					ChannelID: channel, Timestamp: threadTS, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
				if !more {
					next = ""
				}
				return err
			}
			r, err := w.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Cursor: cursor, Limit: 200, IncludeAllMetadata: true})
			if err == nil {
				msgs = r.Messages
				if r.HasMore {
					next = r.ResponseMetaData.NextCursor
				}
			}
			return err
		})
		if channels.IsPermanent(err) {
			w.h.log.Warn("cannot look for an earlier delivery; sending again", "team", w.TeamID, "channel", channel, "err", err)
			return "", nil
		}
		if err != nil {
			return "", err
		}
		for _, m := range msgs {
			if match(m) {
				return m.Timestamp, nil
			}
		}
		read += len(msgs)
		if next == "" || len(msgs) == 0 {
			return "", nil
		}
		cursor = next
	}
	return "", nil
}

// ephemeral shows text to one user of a channel; failures are only logged, it is a
// courtesy.
func (w *workspace) ephemeral(ctx context.Context, channel, threadTS, user, text string) {
	opts := []slack.MsgOption{slack.MsgOptionText(text, true)}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
	}
	err := w.call(ctx, "chat.postEphemeral", func(ctx context.Context) error {
		_, err := w.api.PostEphemeralContext(ctx, channel, user, opts...)
		return err
	})
	if err != nil {
		w.h.log.Warn("ephemeral notice not shown", "team", w.TeamID, "err", err)
	}
}

// threadRoot returns the first message of a thread (conversations.replies).
func (w *workspace) threadRoot(ctx context.Context, channel, threadTS string) (slack.Message, error) {
	var msgs []slack.Message
	err := w.call(ctx, "conversations.replies", func(ctx context.Context) error {
		var err error
		msgs, _, _, err = w.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
			ChannelID: channel, Timestamp: threadTS, Limit: 1, Inclusive: true,
		})
		return err
	})
	if err != nil {
		return slack.Message{}, err
	}
	for _, m := range msgs {
		if m.Timestamp == threadTS {
			return m, nil
		}
	}
	return slack.Message{}, permanent("conversations.replies: thread %s has no root", threadTS)
}

// person is what users.info says of a Slack user.
type person struct {
	Name  string
	Email string
	Bot   bool
}

// userCache keeps users.info answers per workspace and user. Safe for concurrent use.
type userCache struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	m   map[string]cachedPerson
}

type cachedPerson struct {
	person
	at time.Time
	// linked is set once the Slack identity was attached to the email's contact.
	linked bool
}

func newUserCache(ttl time.Duration, now func() time.Time) *userCache {
	return &userCache{ttl: ttl, now: now, m: map[string]cachedPerson{}}
}

// maxCachedUsers bounds the cache; past it, it starts again (a desk has far fewer).
const maxCachedUsers = 10000

func (c *userCache) get(key string) (cachedPerson, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[key]
	if !ok || c.now().Sub(p.at) > c.ttl {
		return cachedPerson{}, false
	}
	return p, true
}

func (c *userCache) put(key string, p cachedPerson) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedUsers {
		c.m = map[string]cachedPerson{}
	}
	c.m[key] = p
}

// user returns a user's name and email, from the cache or users.info. A user Slack
// does not know is returned with only their id as name.
func (w *workspace) user(ctx context.Context, id string) (cachedPerson, error) {
	key := w.TeamID + "/" + id
	if p, ok := w.h.users.get(key); ok {
		return p, nil
	}
	var u *slack.User
	err := w.call(ctx, "users.info", func(ctx context.Context) error {
		var err error
		u, err = w.api.GetUserInfoContext(ctx, id)
		return err
	})
	p := cachedPerson{person: person{Name: id}, at: w.h.now()}
	switch {
	case channels.IsPermanent(err):
		w.h.log.Warn("users.info refused; using the bare id", "team", w.TeamID, "err", err)
	case err != nil:
		return p, err
	default:
		p.Name = firstNonEmpty(u.Profile.RealName, u.RealName, u.Profile.DisplayName, u.Name, id)
		p.Email = u.Profile.Email
		p.Bot = u.IsBot || u.ID == "USLACKBOT"
	}
	w.h.users.put(key, p)
	return p, nil
}

// markLinked remembers that a user's identities were attached to their contact.
func (w *workspace) markLinked(id string, p cachedPerson) {
	p.linked = true
	w.h.users.put(w.TeamID+"/"+id, p)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
