package slack

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	base := func() Workspace {
		return Workspace{TeamID: "T0001", Mode: "customer+agent", SigningSecret: "s", BotToken: "xoxb-1", MirrorChannel: "C0001"}
	}
	tests := []struct {
		name string
		edit func(c *Config)
		want string // "" for valid
	}{
		{"valid", func(c *Config) {}, ""},
		{"none", func(c *Config) { c.Workspaces = nil }, ""},
		{"secrets from the section", func(c *Config) {
			c.SigningSecret, c.BotToken = "s", "t"
			c.Workspaces[0].SigningSecret, c.Workspaces[0].BotToken = "", ""
		}, ""},
		{"bad team id", func(c *Config) { c.Workspaces[0].TeamID = "mairie" }, "team_id"},
		{"twice", func(c *Config) { c.Workspaces = append(c.Workspaces, c.Workspaces[0]) }, "listed twice"},
		{"bad mode", func(c *Config) { c.Workspaces[0].Mode = "agent+notify" }, "mode"},
		{"unknown mode", func(c *Config) { c.Workspaces[0].Mode = "chat" }, "mode"},
		{"no secret", func(c *Config) { c.Workspaces[0].SigningSecret = "" }, "signing_secret"},
		{"no token", func(c *Config) { c.Workspaces[0].BotToken = "" }, "bot_token"},
		{"bad api url", func(c *Config) { c.Workspaces[0].APIURL = "ftp://x" }, "api_url"},
		{"agent without channel", func(c *Config) { c.Workspaces[0].MirrorChannel = "" }, "mirror_channel"},
		{"channel without surface", func(c *Config) { c.Workspaces[0].Mode = "customer" }, "need mode agent or notify"},
		{"slash prefix", func(c *Config) { c.Workspaces[0].ReplyPrefix = "/reply " }, "reply_prefix"},
		{"blank prefix", func(c *Config) { c.Workspaces[0].ReplyPrefix = "  " }, "reply_prefix"},
		{"bad customer channel", func(c *Config) { c.Workspaces[0].CustomerChannels = []string{"general"} }, "customer_channels"},
		{"ack timeout over 3s", func(c *Config) { c.AckTimeout = 5e9 }, "ack_timeout"},
		{"tiny body", func(c *Config) { c.MaxBodyBytes = 10 }, "max_body_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Config{Workspaces: []Workspace{base()}}
			tt.edit(&c)
			err := c.WithDefaults().Validate()
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestConfigEnvAndMask(t *testing.T) {
	c := Config{SigningSecret: "shared", Workspaces: []Workspace{{TeamID: "T0001", BotTokenEnv: "MAIRIE_TOKEN", SigningSecretEnv: "MAIRIE_SECRET"}, {TeamID: "T0002", BotToken: "xoxb-2"}}}
	env := map[string]string{"MAIRIE_TOKEN": "xoxb-1", "MAIRIE_SECRET": "own"}
	c = c.ResolveEnv(func(k string) string { return env[k] }).WithDefaults()
	if c.Workspaces[0].BotToken != "xoxb-1" || c.Workspaces[0].SigningSecret != "own" || c.Workspaces[1].SigningSecret != "shared" {
		t.Fatalf("resolved = %+v", c.Workspaces)
	}
	if c.Workspaces[0].APIURL != DefaultAPIURL || c.Workspaces[0].ReplyPrefix != DefaultReplyPrefix || c.Workspaces[0].Mode != ModeCustomer {
		t.Fatalf("defaults = %+v", c.Workspaces[0])
	}
	m := c.Masked()
	for _, w := range m.Workspaces {
		if strings.Contains(w.BotToken+w.SigningSecret, "xoxb") || w.SigningSecret != "****" {
			t.Fatalf("Masked() = %+v, want secrets hidden", w)
		}
	}
	if c.Workspaces[0].BotToken != "xoxb-1" {
		t.Fatal("Masked() changed the original")
	}
}
