package slack

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Callback types of the Events API.
const (
	TypeURLVerification = "url_verification"
	TypeEventCallback   = "event_callback"
	TypeAppRateLimited  = "app_rate_limited"
)

// Callback is the outer object Slack posts to the Events API endpoint.
type Callback struct {
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	TeamID    string `json:"team_id"`
	APIAppID  string `json:"api_app_id"`
	EventID   string `json:"event_id"`
	EventTime int64  `json:"event_time"`
	// IsExtSharedChannel is true for events of Slack Connect channels.
	IsExtSharedChannel bool  `json:"is_ext_shared_channel"`
	Event              Event `json:"event"`
}

// Event is the inner event of a callback. Only message events are acted on.
type Event struct {
	Type    string `json:"type"`
	Subtype string `json:"subtype"`
	Channel string `json:"channel"`
	// ChannelType is im, mpim, channel or group.
	ChannelType string `json:"channel_type"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
	Files       []File `json:"files"`
	// Message and PreviousMessage are set on message_changed.
	Message         *Event `json:"message"`
	PreviousMessage *Event `json:"previous_message"`
	// DeletedTS is set on message_deleted.
	DeletedTS string `json:"deleted_ts"`
}

// File is a file shared in a message.
type File struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Title              string `json:"title"`
	Mimetype           string `json:"mimetype"`
	Size               int64  `json:"size"`
	Mode               string `json:"mode"`
	URLPrivate         string `json:"url_private"`
	URLPrivateDownload string `json:"url_private_download"`
}

// ErrBadEvent is wrapped by DecodeCallback's errors: the body is not a usable callback.
var ErrBadEvent = errors.New("slack: bad event")

// maxIDLen bounds ids and timestamps taken from a callback before they reach the store.
const maxIDLen = 64

// DecodeCallback parses and checks an Events API body. It does not verify the
// signature: callers verify first.
func DecodeCallback(body []byte) (Callback, error) {
	var cb Callback
	if err := json.Unmarshal(body, &cb); err != nil {
		return cb, fmt.Errorf("%w: %v", ErrBadEvent, err)
	}
	switch cb.Type {
	case TypeURLVerification:
		if cb.Challenge == "" || len(cb.Challenge) > 512 {
			return cb, fmt.Errorf("%w: url_verification without a usable challenge", ErrBadEvent)
		}
	case TypeEventCallback:
		if cb.EventID == "" || cb.TeamID == "" {
			return cb, fmt.Errorf("%w: event_callback without event_id or team_id", ErrBadEvent)
		}
		for _, s := range []string{cb.EventID, cb.TeamID, cb.Event.Channel, cb.Event.User, cb.Event.TS, cb.Event.ThreadTS} {
			if len(s) > maxIDLen || strings.ContainsAny(s, "/:\x00") {
				return cb, fmt.Errorf("%w: malformed id %.20q", ErrBadEvent, s)
			}
		}
	case TypeAppRateLimited, "":
		if cb.Type == "" {
			return cb, fmt.Errorf("%w: no type", ErrBadEvent)
		}
	}
	return cb, nil
}

// externalID is the inbox external id of Slack message ts in a channel of a team.
func externalID(team, channel, ts string) string { return team + "/" + channel + "/" + ts }

// threadKey is the inbox thread key of a customer message: the channel for a DM (one
// conversation per DM, renewed after resolution), else channel and thread root.
func threadKey(e Event) string {
	if e.ChannelType == "im" {
		return e.Channel
	}
	root := e.ThreadTS
	if root == "" {
		root = e.TS
	}
	return e.Channel + ":" + root
}

// splitThreadKey is the inverse of threadKey: where a reply goes.
func splitThreadKey(k string) (channel, threadTS string, err error) {
	channel, threadTS, _ = strings.Cut(k, ":")
	if !validID(channel, "CDG") || (threadTS != "" && !validTS(threadTS)) {
		return "", "", fmt.Errorf("slack: thread key %q is not channel[:ts]", k)
	}
	return channel, threadTS, nil
}

// validTS reports whether s looks like a Slack message timestamp (seconds.micros).
func validTS(s string) bool {
	sec, frac, ok := strings.Cut(s, ".")
	if !ok || sec == "" || frac == "" || len(s) > 32 {
		return false
	}
	for _, r := range sec + frac {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// tsTime turns a Slack timestamp into a time; zero when malformed.
func tsTime(ts string) time.Time {
	if !validTS(ts) {
		return time.Time{}
	}
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	frac = (frac + "000000")[:6]
	us, _ := strconv.ParseInt(frac, 10, 64)
	return time.Unix(s, us*1000).UTC()
}

// slackMarkup matches Slack's angle-bracket escapes: <@U123>, <#C123|name>,
// <!here>, <https://x|label>, <mailto:a@b|a@b>.
var slackMarkup = regexp.MustCompile(`<([^<>]*)>`)

// plainText turns Slack's message markup into plain text: links become "label
// (url)" (or the url), mentions "@U123" or "#name", and the &amp; &lt; &gt; escapes
// are undone.
func plainText(s string) string {
	s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
		inner := m[1 : len(m)-1]
		target, label, hasLabel := strings.Cut(inner, "|")
		switch {
		case strings.HasPrefix(target, "@"):
			if hasLabel {
				return "@" + label
			}
			return target
		case strings.HasPrefix(target, "#"):
			if hasLabel {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!"):
			if hasLabel {
				return label
			}
			return "@" + strings.TrimPrefix(target, "!")
		case strings.HasPrefix(target, "mailto:"):
			return strings.TrimPrefix(target, "mailto:")
		case hasLabel && label != target:
			return label + " (" + target + ")"
		}
		return target
	})
	return html.UnescapeString(s)
}
