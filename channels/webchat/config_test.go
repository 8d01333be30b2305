package webchat

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

func TestDefaultConfigHasTheDemoSite(t *testing.T) {
	c := Config{}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(defaults) = %v", err)
	}
	if len(c.Sites) != 1 || c.Sites[0].Key != DemoSite || len(c.Sites[0].AllowedOrigins) != 0 {
		t.Fatalf("default sites = %+v, want the demo site on the hub's own origin", c.Sites)
	}
	if !c.Sites[0].Open(time.Date(2026, 12, 25, 3, 0, 0, 0, time.UTC)) {
		t.Fatal("the demo site is not always open")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"bad key", func(c *Config) { c.Sites[0].Key = "a b" }, "webchat.sites[0].key"},
		{"duplicate key", func(c *Config) { c.Sites = append(c.Sites, c.Sites[0]) }, "used twice"},
		{"origin with path", func(c *Config) { c.Sites[0].AllowedOrigins = []string{"https://x.fr/page"} }, "allowed_origins[0]"},
		{"origin without scheme", func(c *Config) { c.Sites[0].AllowedOrigins = []string{"x.fr"} }, "allowed_origins[0]"},
		{"language", func(c *Config) { c.Sites[0].DefaultLanguage = "de" }, "default_language"},
		{"colour syntax", func(c *Config) { c.Sites[0].Colors.Accent = "blue" }, "#rrggbb"},
		{"low contrast", func(c *Config) { c.Sites[0].Colors = Colors{Accent: "#ffff00", OnAccent: "#ffffff"} }, "4.5:1"},
		{"timezone", func(c *Config) { c.Sites[0].OfficeHours.Timezone = "Mars/Olympus" }, "timezone"},
		{"day", func(c *Config) {
			c.Sites[0].OfficeHours = calendar.Hours{Week: map[string][]string{"lundi": {"09:00-10:00"}}}
		}, "webchat.sites[0].office_hours.week"},
		{"range", func(c *Config) {
			c.Sites[0].OfficeHours = calendar.Hours{Week: map[string][]string{"monday": {"10:00-09:00"}}}
		}, "office_hours.week.monday"},
		{"message limit", func(c *Config) { c.Limits.MaxMessageBytes = 1 }, "max_message_bytes"},
		{"rate", func(c *Config) { c.Limits.VisitorRate = -1 }, "rates"},
		{"signing key", func(c *Config) { c.SigningKey = "short" }, "signing_key"},
	}
	for _, tt := range tests {
		c := Config{}.WithDefaults()
		tt.change(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Validate() = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
}

// TestSiteOfficeHours: a site's hours come from the shared calendar (holidays closed);
// a site without a week is open whenever an agent is, holidays included.
func TestSiteOfficeHours(t *testing.T) {
	c := Config{Sites: []Site{
		{Key: "mairie", OfficeHours: calendar.Hours{Week: map[string][]string{"monday": {"09:00-12:30", "13:30-17:00"}, "saturday": {"09:00-12:00"}}}},
		{Key: "always", OfficeHours: calendar.Hours{Timezone: "Europe/Paris"}},
	}}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	mairie, always := &c.Sites[0], &c.Sites[1]
	tests := []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 11, 30, 9, 0, 0, 0, paris), true},      // Monday opening
		{time.Date(2026, 11, 30, 12, 45, 0, 0, paris), false},   // lunch
		{time.Date(2026, 11, 30, 17, 0, 0, 0, paris), false},    // closing is exclusive
		{time.Date(2026, 12, 1, 10, 0, 0, 0, paris), false},     // Tuesday: not listed
		{time.Date(2026, 12, 5, 11, 0, 0, 0, paris), true},      // Saturday morning
		{time.Date(2026, 5, 25, 10, 0, 0, 0, paris), false},     // Whit Monday: a holiday
		{time.Date(2026, 7, 6, 7, 30, 0, 0, time.UTC), true},    // summer time: 09:30 in Paris
		{time.Date(2026, 11, 30, 7, 30, 0, 0, time.UTC), false}, // 08:30 in Paris
	}
	for _, tt := range tests {
		if got := mairie.Open(tt.at); got != tt.want {
			t.Errorf("mairie Open(%s) = %v, want %v", tt.at, got, tt.want)
		}
		if !always.Open(tt.at) {
			t.Errorf("site without a week closed at %s", tt.at)
		}
	}
	if mairie.location().String() != "Europe/Paris" || (&Site{}).Open(time.Now()) {
		t.Error("an unvalidated site must be closed, and a validated one in Paris")
	}
}

func TestContrast(t *testing.T) {
	if r := contrast("#000000", "#ffffff"); r < 20.9 || r > 21.1 {
		t.Fatalf("contrast(black, white) = %.2f, want 21", r)
	}
	if r := contrast(DefaultAccent, DefaultOnAccent); r < 4.5 {
		t.Fatalf("default colours contrast %.2f, below 4.5", r)
	}
}
