package webchat

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

// Config is the webchat section of the configuration.
type Config struct {
	// Sites are the websites that embed the widget, each with its own key.
	Sites []Site `yaml:"sites"`
	// Limits protect the hub from floods and oversized input.
	Limits Limits `yaml:"limits"`
	// EmailGrace is how long a visitor may be away before an agent's reply is forwarded
	// to the address they left.
	EmailGrace time.Duration `yaml:"email_grace"`
	// SigningKey signs attachment URLs (set it through FRONTDESK_WEBCHAT_SIGNING_KEY);
	// empty: a random key per process, and links given before a restart stop working
	// (the chat's replay hands out fresh ones). Hubs sharing one inbox need the same key.
	SigningKey string `yaml:"signing_key"`
}

// Site is one website embedding the widget.
type Site struct {
	// Key is what the embed line names in data-site; letters, digits, - and _.
	Key string `yaml:"key"`
	// Name is shown in the chat header ("Mairie de Villeneuve").
	Name string `yaml:"name"`
	// AllowedOrigins are the origins (scheme://host[:port]) whose pages may embed the
	// chat. Empty: only the hub's own origin (the demo page).
	AllowedOrigins []string `yaml:"allowed_origins"`
	// Greeting is the first line the visitor reads, per language.
	Greeting Greeting `yaml:"greeting"`
	// Colours of the launcher and the chat header; both must reach a 4.5:1 contrast.
	Colors Colors `yaml:"colors"`
	// DefaultLanguage is fr or en, used when the browser asks for neither.
	DefaultLanguage string `yaml:"default_language"`
	// OfficeHours are when agents answer; outside them the chat offers to leave a
	// message and an email address. Without a week the chat is open whenever an agent
	// is present (always: true).
	OfficeHours calendar.Hours `yaml:"office_hours"`
	// Team is the slug of the team the site's conversations are meant for (routing).
	Team string `yaml:"team"`

	cal *calendar.Calendar // compiled OfficeHours, set by Config.Validate
}

// Greeting is a greeting in French and English.
type Greeting struct {
	FR string `yaml:"fr" json:"fr"`
	EN string `yaml:"en" json:"en"`
}

// Colors are the widget's colours, as #rrggbb.
type Colors struct {
	// Accent is the background of the launcher, the header and the send button.
	Accent string `yaml:"accent"`
	// OnAccent is the text and icon colour drawn on Accent.
	OnAccent string `yaml:"on_accent"`
}

// Limits bound what visitors may send.
type Limits struct {
	// MaxMessageBytes caps the text of one message.
	MaxMessageBytes int `yaml:"max_message_bytes"`
	// MaxUploadBytes caps one attachment.
	MaxUploadBytes int64 `yaml:"max_upload_bytes"`
	// VisitorRate and VisitorBurst: messages (and uploads) per second per visitor, and
	// the burst allowed above it.
	VisitorRate  float64 `yaml:"visitor_rate"`
	VisitorBurst int     `yaml:"visitor_burst"`
	// IPRate and IPBurst: the same per client IP address, all visitors together.
	IPRate  float64 `yaml:"ip_rate"`
	IPBurst int     `yaml:"ip_burst"`
	// MaxConnectionsPerIP caps simultaneous websockets from one IP address.
	MaxConnectionsPerIP int `yaml:"max_connections_per_ip"`
	// PingInterval is how often the server pings an idle socket; a socket silent for
	// twice as long is closed.
	PingInterval time.Duration `yaml:"ping_interval"`
	// WriteTimeout bounds one write to a socket; a visitor that does not read is cut.
	WriteTimeout time.Duration `yaml:"write_timeout"`
}

// Defaults.
const (
	// DefaultMaxMessageBytes: 4 KiB is two screens of chat; longer is a paste that
	// belongs in an attachment or an email.
	DefaultMaxMessageBytes = 4096
	// DefaultMaxUploadBytes: 10 MiB holds a phone photo or a scanned form.
	DefaultMaxUploadBytes = 10 << 20
	// DefaultVisitorRate, DefaultVisitorBurst: a person types at most a message every
	// second or two; a burst of 10 covers a paste split in lines or a resend after a
	// reconnect.
	DefaultVisitorRate  = 1
	DefaultVisitorBurst = 10
	// DefaultIPRate, DefaultIPBurst: a public terminal room or a company NAT puts a few
	// dozen visitors behind one address.
	DefaultIPRate  = 20
	DefaultIPBurst = 60
	// DefaultMaxConnectionsPerIP: several tabs for each of those visitors.
	DefaultMaxConnectionsPerIP = 200
	// DefaultPingInterval: under the 60 s idle timeout of common proxies and NATs.
	DefaultPingInterval = 25 * time.Second
	// DefaultWriteTimeout: a healthy mobile link drains a chat frame in well under that.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultEmailGrace: a reload or a short tunnel is not "gone"; two minutes away is.
	DefaultEmailGrace = 2 * time.Minute
	// DefaultAccent and DefaultOnAccent: a dark blue with white reaches 8.6:1.
	DefaultAccent   = "#1d4ed8"
	DefaultOnAccent = "#ffffff"
	// DemoSite is the key of the site of the embedded default, served at /demo/site.
	DemoSite = "demo"
)

// WithDefaults fills zero fields. Without any site it adds the demo site, which the
// hub's own demo page embeds.
func (c Config) WithDefaults() Config {
	if len(c.Sites) == 0 {
		c.Sites = []Site{{
			Key:         DemoSite,
			Name:        "Mairie de Villeneuve (démo)",
			Greeting:    Greeting{FR: "Bonjour ! Comment pouvons-nous vous aider ?", EN: "Hello! How can we help you?"},
			OfficeHours: calendar.Hours{Always: true},
		}}
	}
	sites := make([]Site, len(c.Sites))
	for i, s := range c.Sites {
		if s.Name == "" {
			s.Name = s.Key
		}
		if s.Colors.Accent == "" {
			s.Colors.Accent = DefaultAccent
		}
		if s.Colors.OnAccent == "" {
			s.Colors.OnAccent = DefaultOnAccent
		}
		if s.DefaultLanguage == "" {
			s.DefaultLanguage = "fr"
		}
		if s.Greeting.FR == "" {
			s.Greeting.FR = "Bonjour ! Comment pouvons-nous vous aider ?"
		}
		if s.Greeting.EN == "" {
			s.Greeting.EN = "Hello! How can we help you?"
		}
		if s.OfficeHours.Week == nil {
			s.OfficeHours.Always = true
		}
		s.OfficeHours = s.OfficeHours.WithDefaults()
		sites[i] = s
	}
	c.Sites = sites
	l := &c.Limits
	if l.MaxMessageBytes == 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if l.MaxUploadBytes == 0 {
		l.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if l.VisitorRate == 0 {
		l.VisitorRate = DefaultVisitorRate
	}
	if l.VisitorBurst == 0 {
		l.VisitorBurst = DefaultVisitorBurst
	}
	if l.IPRate == 0 {
		l.IPRate = DefaultIPRate
	}
	if l.IPBurst == 0 {
		l.IPBurst = DefaultIPBurst
	}
	if l.MaxConnectionsPerIP == 0 {
		l.MaxConnectionsPerIP = DefaultMaxConnectionsPerIP
	}
	if l.PingInterval == 0 {
		l.PingInterval = DefaultPingInterval
	}
	if l.WriteTimeout == 0 {
		l.WriteTimeout = DefaultWriteTimeout
	}
	if c.EmailGrace == 0 {
		c.EmailGrace = DefaultEmailGrace
	}
	return c
}

var (
	siteKeyRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	colorRe   = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)
)

// Validate reports every unusable setting, naming it. It also prepares the office hours
// (Validate must run before they are used; New does it).
func (c *Config) Validate() error {
	var errs []error
	seen := map[string]bool{}
	for i := range c.Sites {
		s := &c.Sites[i]
		p := fmt.Sprintf("webchat.sites[%d]", i)
		if !siteKeyRe.MatchString(s.Key) {
			errs = append(errs, fmt.Errorf("%s.key: %q must be 1 to 64 letters, digits, - or _", p, s.Key))
		}
		if seen[s.Key] {
			errs = append(errs, fmt.Errorf("%s.key: %q is used twice", p, s.Key))
		}
		seen[s.Key] = true
		for j, o := range s.AllowedOrigins {
			if err := checkOrigin(o); err != nil {
				errs = append(errs, fmt.Errorf("%s.allowed_origins[%d]: %w", p, j, err))
			}
		}
		if s.DefaultLanguage != "fr" && s.DefaultLanguage != "en" {
			errs = append(errs, fmt.Errorf("%s.default_language: %q is not fr or en", p, s.DefaultLanguage))
		}
		if len(s.Name) > 100 {
			errs = append(errs, fmt.Errorf("%s.name: longer than 100 bytes", p))
		}
		if !colorRe.MatchString(s.Colors.Accent) || !colorRe.MatchString(s.Colors.OnAccent) {
			errs = append(errs, fmt.Errorf("%s.colors: accent %q and on_accent %q must be #rrggbb", p, s.Colors.Accent, s.Colors.OnAccent))
		} else if r := contrast(s.Colors.Accent, s.Colors.OnAccent); r < 4.5 {
			errs = append(errs, fmt.Errorf("%s.colors: contrast of on_accent on accent is %.2f:1, below the 4.5:1 WCAG AA needs", p, r))
		}
		cal, err := calendar.New(s.OfficeHours)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.office_hours.%w", p, err))
		}
		s.cal = cal
	}
	l := c.Limits
	switch {
	case l.MaxMessageBytes < 16 || l.MaxMessageBytes > 256<<10:
		errs = append(errs, errors.New("webchat.limits.max_message_bytes: must be between 16 and 262144"))
	case l.MaxUploadBytes < 1024:
		errs = append(errs, errors.New("webchat.limits.max_upload_bytes: must be at least 1024"))
	case l.VisitorRate <= 0 || l.IPRate <= 0 || l.VisitorBurst < 1 || l.IPBurst < 1:
		errs = append(errs, errors.New("webchat.limits: rates must be positive and bursts at least 1"))
	case l.MaxConnectionsPerIP < 1:
		errs = append(errs, errors.New("webchat.limits.max_connections_per_ip: must be at least 1"))
	case l.PingInterval < time.Second:
		errs = append(errs, errors.New("webchat.limits.ping_interval: must be at least 1s"))
	case l.WriteTimeout < 100*time.Millisecond:
		errs = append(errs, errors.New("webchat.limits.write_timeout: must be at least 100ms"))
	}
	if c.SigningKey != "" && len(c.SigningKey) < 32 {
		errs = append(errs, errors.New("webchat.signing_key: at least 32 characters"))
	}
	if c.EmailGrace < 0 {
		errs = append(errs, errors.New("webchat.email_grace: must not be negative"))
	}
	return errors.Join(errs...)
}

// checkOrigin accepts scheme://host[:port] with nothing after it.
func checkOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("%q is not an origin such as https://www.example.fr", o)
	}
	if strings.ContainsAny(u.Host, " ;,'\"") {
		return fmt.Errorf("%q is not an origin", o)
	}
	return nil
}

// normalOrigin is o without a trailing slash, lower-cased.
func normalOrigin(o string) string { return strings.ToLower(strings.TrimSuffix(o, "/")) }

// Open reports whether t falls in the site's office hours. A site whose configuration
// was not validated is closed: the visitor can still leave a message.
func (s *Site) Open(t time.Time) bool { return s.cal != nil && s.cal.Open(t) }

// location is the site's time zone (UTC before validation).
func (s *Site) location() *time.Location {
	if s.cal == nil {
		return time.UTC
	}
	return s.cal.Location()
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, _ := strconv.ParseUint(hex[i:i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(1) + 0.7152*ch(3) + 0.0722*ch(5)
}
