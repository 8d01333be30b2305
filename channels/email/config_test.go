package email

import (
	"strings"
	"testing"
	"time"
)

func TestConfigDefaultsAndValidate(t *testing.T) {
	c := Config{Mailboxes: []MailboxConfig{{Name: "accueil", Host: "imap.example", Username: "u"}},
		SMTPOut: SMTPOutConfig{Host: "smtp.example", From: "accueil@mairie.example"}}.WithDefaults()
	m := c.Mailboxes[0]
	if m.Port != 993 || m.TLS != TLSImplicit || m.Folder != "INBOX" || m.IdleRestart != 9*time.Minute || !*m.Idle || c.SMTPOut.Port != 587 || c.Domain != "mairie.example" {
		t.Fatalf("defaults = %+v / %+v", m, c.SMTPOut)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(defaults) = %v", err)
	}
	if (Config{}).Enabled() || !c.Enabled() {
		t.Fatal("Enabled() wrong")
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"duplicate mailbox", func(c *Config) { c.Mailboxes = append(c.Mailboxes, c.Mailboxes[0]) }, "used twice"},
		{"no host", func(c *Config) { c.Mailboxes[0].Host = "" }, "host: required"},
		{"bad tls", func(c *Config) { c.Mailboxes[0].TLS = "ssl" }, "tls"},
		{"bad auth", func(c *Config) { c.Mailboxes[0].Auth = "cram" }, "auth"},
		{"idle restart over 29m", func(c *Config) { c.Mailboxes[0].IdleRestart = 40 * time.Minute }, "idle_restart"},
		{"move to itself", func(c *Config) { c.Mailboxes[0].MoveTo = "INBOX" }, "move_to"},
		{"open relay", func(c *Config) { c.SMTPServer.Addr = "127.0.0.1:2525" }, "never relay"},
		{"bad recipient", func(c *Config) {
			c.SMTPServer.Addr, c.SMTPServer.Recipients = "127.0.0.1:2525", []string{"not an address"}
		}, "recipients"},
		{"cert without key", func(c *Config) {
			c.SMTPServer.Addr, c.SMTPServer.Domains, c.SMTPServer.TLSCert = "127.0.0.1:2525", []string{"x.fr"}, "c.pem"
		}, "tls_key"},
		{"from with a name", func(c *Config) { c.SMTPOut.From = "Accueil <a@b.fr>" }, "bare address"},
		{"header injection in from_name", func(c *Config) { c.SMTPOut.FromName = "A\r\nBcc: x@y" }, "one line"},
		{"ack without smtp_out", func(c *Config) { c.AutoAck.Enabled, c.SMTPOut.Host = true, "" }, "needs smtp_out"},
		{"bad language", func(c *Config) { c.AutoAck.Language = "de" }, "language"},
	}
	for _, tt := range tests {
		cc := c
		cc.Mailboxes = append([]MailboxConfig(nil), c.Mailboxes...)
		tt.mutate(&cc)
		if err := cc.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	c.Mailboxes[0].PasswordEnv = "IMAP_PW"
	c.SMTPOut.PasswordEnv = "SMTP_PW"
	c.ResolveSecrets(func(k string) string { return map[string]string{"IMAP_PW": "p1", "SMTP_PW": "p2"}[k] })
	if c.Mailboxes[0].Password != "p1" || c.SMTPOut.Password != "p2" {
		t.Fatalf("ResolveSecrets: %q %q", c.Mailboxes[0].Password, c.SMTPOut.Password)
	}
}
