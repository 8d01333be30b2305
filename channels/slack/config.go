package slack

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Config is the slack section of the configuration. Slack is off while Workspaces is
// empty.
type Config struct {
	// SigningSecret and BotToken are the defaults of every workspace that gives none
	// (one Slack app installed in several workspaces shares its signing secret).
	// Environment: FRONTDESK_SLACK_SIGNING_SECRET, FRONTDESK_SLACK_BOT_TOKEN.
	SigningSecret string `yaml:"signing_secret"`
	BotToken      string `yaml:"bot_token"`
	// APIURL is the Web API base URL of every workspace that gives none.
	APIURL string `yaml:"api_url"`
	// MaxBodyBytes caps an Events API request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxFileBytes caps one downloaded file; larger files are noted, not kept.
	MaxFileBytes int64 `yaml:"max_file_bytes"`
	// MaxFiles caps the files kept from one message.
	MaxFiles int `yaml:"max_files"`
	// AckTimeout bounds the durable write done before Slack is acknowledged; Slack
	// gives up after 3 seconds and retries.
	AckTimeout time.Duration `yaml:"ack_timeout"`
	// MaxAttempts is how many times a stored event is processed before it is given up
	// (with its error kept in the database).
	MaxAttempts int `yaml:"max_attempts"`
	// RetryBackoff is the pause after a first failed attempt; it doubles with each.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	// MaxRetryAfter is the longest rate-limit pause (429 Retry-After) waited inline;
	// a longer one fails the call as temporary, to be retried later.
	MaxRetryAfter time.Duration `yaml:"max_retry_after"`
	// EventRetention is how long processed events are kept: a Slack retry of an event
	// still kept is recognised as a duplicate.
	EventRetention time.Duration `yaml:"event_retention"`
	// UserCacheTTL is how long a user's name and email from users.info are reused.
	UserCacheTTL time.Duration `yaml:"user_cache_ttl"`
	// Workspaces are the Slack workspaces the app is installed in.
	Workspaces []Workspace `yaml:"workspaces"`
}

// Modes of a workspace.
const (
	// ModeCustomer: people write to the app in DMs and Slack Connect channels; each
	// thread is a conversation; agents' replies go back there.
	ModeCustomer = "customer"
	// ModeAgent: conversations of the selected teams are mirrored into MirrorChannel,
	// one thread each; agents' thread messages become notes, or replies with the
	// ReplyPrefix.
	ModeAgent = "agent"
	// ModeNotify: like ModeAgent, but the thread only informs; what agents write there
	// is ignored.
	ModeNotify = "notify"
)

// Workspace is one Slack workspace and how the hub uses it.
type Workspace struct {
	// TeamID is the workspace id (T…), as in events' team_id.
	TeamID string `yaml:"team_id"`
	// Name is for people and logs.
	Name string `yaml:"name"`
	// Mode is customer, agent, notify, customer+agent or customer+notify.
	Mode string `yaml:"mode"`
	// SigningSecret and BotToken override the section's; SigningSecretEnv and
	// BotTokenEnv name environment variables that override both.
	SigningSecret    string `yaml:"signing_secret"`
	SigningSecretEnv string `yaml:"signing_secret_env"`
	BotToken         string `yaml:"bot_token"`
	BotTokenEnv      string `yaml:"bot_token_env"`
	// APIURL overrides the section's Web API base URL (tests use a local server).
	APIURL string `yaml:"api_url"`
	// BotUserID is the app's own user id; its messages are ignored like every bot's.
	BotUserID string `yaml:"bot_user_id"`
	// CustomerChannels are channel ids that are customer channels in customer mode,
	// besides DMs and Slack Connect channels.
	CustomerChannels []string `yaml:"customer_channels"`
	// MirrorChannel is the channel id conversations are mirrored into (agent, notify).
	MirrorChannel string `yaml:"mirror_channel"`
	// Teams are the slugs of the teams whose conversations are mirrored; empty: all.
	Teams []string `yaml:"teams"`
	// ReplyPrefix starts a thread message meant for the contact; without it a thread
	// message is a private note. Slack reserves a leading "/" for slash commands,
	// which cannot carry the thread, so the prefix cannot start with "/".
	ReplyPrefix string `yaml:"reply_prefix"`
	// PostAsAgent shows replies under the agent's name (needs chat:write.customize).
	PostAsAgent bool `yaml:"post_as_agent"`
}

// Defaults for Config.
const (
	DefaultAPIURL = "https://slack.com/api/"
	// DefaultMaxBodyBytes: Slack events are a few KiB; 1 MiB leaves room for long
	// messages with blocks without letting anyone stream megabytes at us.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxFileBytes: 25 MiB, the inbox's attachment cap.
	DefaultMaxFileBytes = 25 << 20
	// DefaultMaxFiles: Slack allows 10 files per message.
	DefaultMaxFiles = 10
	// DefaultAckTimeout leaves half a second of Slack's 3 s for the network.
	DefaultAckTimeout = 2500 * time.Millisecond
	// DefaultMaxAttempts with the default backoff spans about half an hour (1+2+…+256
	// s), longer than most Slack incidents.
	DefaultMaxAttempts = 10
	// DefaultRetryBackoff: a second, enough for a rate limit or a blip.
	DefaultRetryBackoff = time.Second
	// DefaultMaxRetryAfter: Slack's usual Retry-After is a few seconds; waiting longer
	// inline would hold the worker, so longer pauses are retried later instead.
	DefaultMaxRetryAfter = 30 * time.Second
	// DefaultUserCacheTTL: names and emails rarely change; a day keeps users.info
	// calls to one per person per day.
	DefaultUserCacheTTL = 24 * time.Hour
	// DefaultEventRetention: Slack retries within about an hour; a week also keeps
	// the recent events at hand for whoever investigates one.
	DefaultEventRetention = 7 * 24 * time.Hour
	// DefaultReplyPrefix is what an agent types before an answer meant for the contact.
	DefaultReplyPrefix = "!reply "
)

// Enabled reports whether any workspace is configured.
func (c Config) Enabled() bool { return len(c.Workspaces) > 0 }

// ResolveEnv fills secrets from the environment variables the workspaces name.
func (c Config) ResolveEnv(getenv func(string) string) Config {
	ws := make([]Workspace, len(c.Workspaces))
	copy(ws, c.Workspaces)
	for i := range ws {
		if n := ws[i].SigningSecretEnv; n != "" && getenv(n) != "" {
			ws[i].SigningSecret = getenv(n)
		}
		if n := ws[i].BotTokenEnv; n != "" && getenv(n) != "" {
			ws[i].BotToken = getenv(n)
		}
	}
	c.Workspaces = ws
	return c
}

// WithDefaults fills zero fields, the workspaces' from the section's.
func (c Config) WithDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.MaxFiles == 0 {
		c.MaxFiles = DefaultMaxFiles
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.EventRetention == 0 {
		c.EventRetention = DefaultEventRetention
	}
	if c.UserCacheTTL == 0 {
		c.UserCacheTTL = DefaultUserCacheTTL
	}
	ws := make([]Workspace, len(c.Workspaces))
	copy(ws, c.Workspaces)
	for i := range ws {
		w := &ws[i]
		if w.SigningSecret == "" {
			w.SigningSecret = c.SigningSecret
		}
		if w.BotToken == "" {
			w.BotToken = c.BotToken
		}
		if w.APIURL == "" {
			w.APIURL = c.APIURL
		}
		if !strings.HasSuffix(w.APIURL, "/") {
			w.APIURL += "/"
		}
		if w.Mode == "" {
			w.Mode = ModeCustomer
		}
		if w.ReplyPrefix == "" {
			w.ReplyPrefix = DefaultReplyPrefix
		}
	}
	c.Workspaces = ws
	return c
}

// modes splits a workspace mode into its customer flag and its surface (agent,
// notify or none).
func modes(m string) (customer bool, surface string, ok bool) {
	for _, p := range strings.Split(m, "+") {
		switch strings.TrimSpace(p) {
		case ModeCustomer:
			if customer {
				return false, "", false
			}
			customer = true
		case ModeAgent, ModeNotify:
			if surface != "" {
				return false, "", false
			}
			surface = strings.TrimSpace(p)
		default:
			return false, "", false
		}
	}
	return customer, surface, true
}

// Validate reports every unusable setting, naming it.
func (c Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("slack."+format, args...)) }
	switch {
	case c.MaxBodyBytes < 1024:
		bad("max_body_bytes: must be at least 1024")
	case c.MaxFileBytes < 1024:
		bad("max_file_bytes: must be at least 1024")
	case c.MaxFiles < 0:
		bad("max_files: must not be negative")
	case c.AckTimeout <= 0 || c.AckTimeout > 3*time.Second:
		bad("ack_timeout: must be positive and under Slack's 3s")
	case c.MaxAttempts < 1:
		bad("max_attempts: must be at least 1")
	case c.RetryBackoff <= 0 || c.MaxRetryAfter < 0 || c.UserCacheTTL <= 0:
		bad("retry_backoff, max_retry_after, user_cache_ttl: must be positive")
	case c.EventRetention < time.Hour:
		bad("event_retention: must be at least 1h, Slack's retry window")
	}
	seen := map[string]bool{}
	for i, w := range c.Workspaces {
		at := fmt.Sprintf("workspaces[%d]", i)
		if !validID(w.TeamID, "TE") {
			bad("%s.team_id: %q is not a Slack team id (T…)", at, w.TeamID)
		} else if seen[w.TeamID] {
			bad("%s.team_id: %s is listed twice", at, w.TeamID)
		}
		seen[w.TeamID] = true
		customer, surface, ok := modes(w.Mode)
		if !ok {
			bad("%s.mode: %q is not customer, agent, notify, customer+agent or customer+notify", at, w.Mode)
		}
		if w.SigningSecret == "" {
			bad("%s.signing_secret: missing (set FRONTDESK_SLACK_SIGNING_SECRET or signing_secret_env)", at)
		}
		if w.BotToken == "" {
			bad("%s.bot_token: missing (set FRONTDESK_SLACK_BOT_TOKEN or bot_token_env)", at)
		}
		if u, err := url.Parse(w.APIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("%s.api_url: %q is not an http(s) URL", at, w.APIURL)
		}
		if surface != "" && !validID(w.MirrorChannel, "CG") {
			bad("%s.mirror_channel: a channel id (C…) is required in %s mode", at, surface)
		}
		if surface == "" && (w.MirrorChannel != "" || len(w.Teams) > 0) {
			bad("%s: mirror_channel and teams need mode agent or notify", at)
		}
		if strings.TrimSpace(w.ReplyPrefix) == "" || strings.HasPrefix(w.ReplyPrefix, "/") {
			bad("%s.reply_prefix: %q must be non-blank and not start with / (Slack keeps those for slash commands)", at, w.ReplyPrefix)
		}
		for _, ch := range w.CustomerChannels {
			if !validID(ch, "CG") {
				bad("%s.customer_channels: %q is not a channel id", at, ch)
			}
		}
		if !customer && len(w.CustomerChannels) > 0 {
			bad("%s.customer_channels: needs mode customer", at)
		}
	}
	return errors.Join(errs...)
}

// validID reports whether s looks like a Slack id starting with one of first.
func validID(s, first string) bool {
	if len(s) < 2 || len(s) > 32 || !strings.ContainsRune(first, rune(s[0])) {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// Masked returns c with its secrets replaced, for printing.
func (c Config) Masked() Config {
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		return "****"
	}
	c.SigningSecret, c.BotToken = mask(c.SigningSecret), mask(c.BotToken)
	ws := make([]Workspace, len(c.Workspaces))
	copy(ws, c.Workspaces)
	for i := range ws {
		ws[i].SigningSecret, ws[i].BotToken = mask(ws[i].SigningSecret), mask(ws[i].BotToken)
	}
	c.Workspaces = ws
	return c
}
