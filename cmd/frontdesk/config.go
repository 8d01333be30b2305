package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/frontdeskhq/frontdesk/channels/email"
	"github.com/frontdeskhq/frontdesk/channels/slack"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/channels/webchat"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router"
	"github.com/frontdeskhq/frontdesk/router/notify"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/search"
	"github.com/frontdeskhq/frontdesk/web"
)

// config is the whole configuration file. Each section belongs to the package that
// uses it, which owns its defaults and validation.
type config struct {
	// DataDir holds the database, the blob folder and the search index.
	DataDir string            `yaml:"data_dir"`
	Log     logConfig         `yaml:"log"`
	Server  web.Config        `yaml:"server"`
	Store   store.Config      `yaml:"store"`
	Inbox   inbox.Config      `yaml:"inbox"`
	Bus     queue.Config      `yaml:"bus"`
	Redis   queue.RedisConfig `yaml:"redis"`
	Slack   slack.Config      `yaml:"slack"`
	// Telephony is the telephony provider's webhooks and SMS; PhoneMessages the
	// notifications and overdue sweep of phone messages.
	Telephony     telephony.Config `yaml:"telephony"`
	PhoneMessages notify.Config    `yaml:"phone_messages"`
	Email         email.Config     `yaml:"email"`
	Webchat       webchat.Config   `yaml:"webchat"`
	Router        router.Config    `yaml:"router"`
	Search        search.Config    `yaml:"search"`
}

// logConfig is the log section.
type logConfig struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is text (for people) or json (for collectors).
	Format string `yaml:"format"`
}

const defaultDataDir = "./data"

// envOverrides maps environment variables to the settings they replace, so that
// secrets stay out of configuration files.
var envOverrides = []struct {
	name string
	set  func(*config, string)
}{
	{"FRONTDESK_REDIS_URL", func(c *config, v string) { c.Redis.URL = v }},
	{"FRONTDESK_DATA", func(c *config, v string) { c.DataDir = v }},
	{"FRONTDESK_ADDR", func(c *config, v string) { c.Server.Addr = v }},
	{"FRONTDESK_PUBLIC_URL", func(c *config, v string) { c.Server.PublicURL = v }},
	{"FRONTDESK_SLACK_SIGNING_SECRET", func(c *config, v string) { c.Slack.SigningSecret = v }},
	{"FRONTDESK_SLACK_BOT_TOKEN", func(c *config, v string) { c.Slack.BotToken = v }},
	{"FRONTDESK_TELEPHONY_ACCOUNT_SID", func(c *config, v string) { c.Telephony.AccountSID = v }},
	{"FRONTDESK_TELEPHONY_AUTH_TOKEN", func(c *config, v string) { c.Telephony.AuthToken = v }},
	{"FRONTDESK_TELEPHONY_PBX_SECRET", func(c *config, v string) { c.Telephony.PBX.Secret = v }},
	{"FRONTDESK_SMTP_PASSWORD", func(c *config, v string) { c.Email.SMTPOut.Password = v }},
	{"FRONTDESK_EMAIL_TOKEN_SECRET", func(c *config, v string) { c.Email.TokenSecret = v }},
	{"FRONTDESK_WEBCHAT_SIGNING_KEY", func(c *config, v string) { c.Webchat.SigningKey = v }},
}

// loadConfig reads path (none: the embedded default), applies the environment and
// defaults, and validates. Unknown keys are errors naming the key and its line.
func loadConfig(path string, getenv func(string) string) (config, error) {
	var c config
	if path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("config: %w", err)
		}
		if err := parseConfig(raw, &c); err != nil {
			return c, fmt.Errorf("config %s: %w", path, err)
		}
	}
	for _, o := range envOverrides {
		if v := getenv(o.name); v != "" {
			o.set(&c, v)
		}
	}
	c.Slack = c.Slack.ResolveEnv(getenv)
	c.Email.ResolveSecrets(getenv)
	if err := c.defaultRouting(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	c = c.withDefaults()
	if err := c.validate(); err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type`)

// parseConfig decodes YAML strictly into c.
func parseConfig(raw []byte, c *config) error {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	err := dec.Decode(c)
	if errors.Is(err, io.EOF) {
		return nil // an empty file is the defaults
	}
	if err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			var msgs []string
			for _, e := range te.Errors {
				if m := unknownField.FindStringSubmatch(e); m != nil {
					e = fmt.Sprintf("line %s: unknown key %q", m[1], m[2])
				}
				msgs = append(msgs, e)
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		return err
	}
	return nil
}

func (c config) withDefaults() config {
	if c.DataDir == "" {
		c.DataDir = defaultDataDir
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	c.Server = c.Server.WithDefaults()
	c.Store = c.Store.WithDefaults()
	c.Inbox = c.Inbox.WithDefaults()
	c.Redis = c.Redis.WithDefaults()
	c.Slack = c.Slack.WithDefaults()
	c.Telephony = c.Telephony.WithDefaults()
	c.PhoneMessages = c.PhoneMessages.WithDefaults()
	c.Email = c.Email.WithDefaults()
	c.Webchat = c.Webchat.WithDefaults()
	c.Router = c.Router.WithDefaults()
	c.Search = c.Search.WithDefaults()
	return c
}

func (c config) validate() error {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(c.Log.Level)); err != nil {
		return fmt.Errorf("log.level: %q is not debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		return fmt.Errorf("log.format: %q is not text or json", c.Log.Format)
	}
	return errors.Join(c.Server.Validate(), c.Store.Validate(), c.Inbox.Validate(), c.Bus.Validate(), c.Redis.Validate(),
		c.Slack.Validate(), c.Telephony.Validate(), c.PhoneMessages.Validate(), c.Email.Validate(), c.Webchat.Validate(),
		c.Router.Validate(), c.Search.Validate())
}

// masked returns a copy of c safe to print: secrets replaced.
func (c config) masked() config {
	if c.Redis.URL != "" {
		c.Redis.URL = queue.Masked(c.Redis.URL)
	}
	c.Slack = c.Slack.Masked()
	c.Telephony = c.Telephony.Masked()
	if c.Email.TokenSecret != "" {
		c.Email.TokenSecret = "****"
	}
	if c.Webchat.SigningKey != "" {
		c.Webchat.SigningKey = "****"
	}
	return c
}

// newLogger builds the process logger from the log section.
func newLogger(c logConfig, w io.Writer) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
