package telephony

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	good := Config{Enabled: true, AccountSID: "AC1", AuthToken: "tok", DeskNumbers: []string{"01 40 00 00 01", "sip:accueil@pbx.example"}}.WithDefaults()
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v", err)
	}
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("Validate(disabled) = %v", err)
	}
	tests := []struct {
		edit func(*Config)
		want string
	}{
		{func(c *Config) { c.AuthToken, c.AccountSID = "", "" }, "auth_token"},
		{func(c *Config) { c.AuthToken = "" }, "auth_token"},
		{func(c *Config) { c.APIURL = "ftp://x" }, "api_url"},
		{func(c *Config) { c.PublicURL = "accueil.fr" }, "public_url"},
		{func(c *Config) { c.Path = "hooks/" }, "path"},
		{func(c *Config) { c.SMSFrom = "FRONTDESK" }, "sms_from"},
		{func(c *Config) { c.DeskNumbers = []string{"poste 12"} }, "desk_numbers[0]"},
		{func(c *Config) { c.DialTimeout = time.Second }, "dial_timeout"},
		{func(c *Config) { c.Greeting = []Prompt{{Text: " "}} }, "greeting[0]"},
		{func(c *Config) { c.Voicemail.MaxLength = 2 * time.Hour }, "voicemail.max_length"},
		{func(c *Config) { c.Voicemail.FinishOnKey = "ab" }, "finish_on_key"},
		{func(c *Config) { c.MissedCallPriority = 101 }, "missed_call_priority"},
		{func(c *Config) { c.PBX.Secret = "short" }, "pbx.secret"},
		{func(c *Config) { c.OfficeHours.Timezone = "Nowhere/Land" }, "office_hours"},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want an error about %s", err, tt.want)
		}
	}
	pbxOnly := Config{Enabled: true, PBX: PBXConfig{Secret: "a-long-shared-secret"}}.WithDefaults()
	if err := pbxOnly.Validate(); err != nil {
		t.Fatalf("Validate(PBX only) = %v", err)
	}
	m := good.Masked()
	if m.AuthToken != "****" || good.AuthToken != "tok" || m.PBX.Secret != "" {
		t.Fatalf("Masked() = %+v", m)
	}
}
