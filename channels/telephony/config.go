package telephony

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

// Config is the telephony section of the configuration.
type Config struct {
	// Enabled mounts the webhooks and the SMS sender.
	Enabled bool `yaml:"enabled"`
	// AccountSID and AuthToken are the provider account's credentials: the token signs
	// every webhook (X-Twilio-Signature) and, with the SID, authenticates REST calls.
	// Set them through FRONTDESK_TELEPHONY_ACCOUNT_SID and FRONTDESK_TELEPHONY_AUTH_TOKEN.
	AccountSID string `yaml:"account_sid"`
	AuthToken  string `yaml:"auth_token"`
	// APIURL is the provider's REST API base URL (tests point it at a local server).
	APIURL string `yaml:"api_url"`
	// PublicURL is the hub's base URL as the provider calls it, which signatures cover;
	// empty means server.public_url.
	PublicURL string `yaml:"public_url"`
	// Path is where the webhooks are mounted, below the public URL.
	Path string `yaml:"path"`
	// SMSFrom is the number replies are sent from when the conversation does not say
	// which of our numbers the contact wrote to; MessagingServiceSID may replace it.
	SMSFrom             string `yaml:"sms_from"`
	MessagingServiceSID string `yaml:"messaging_service_sid"`
	// ReplyToCallsBySMS delivers agents' replies in call conversations (missed calls,
	// voicemails) as SMS to the caller; without it such replies fail as undeliverable.
	ReplyToCallsBySMS bool `yaml:"reply_to_calls_by_sms"`
	// OfficeHours decide whether a call rings the desk or goes to voicemail; by default
	// Monday to Friday 8:30-12:30 and 13:30-17:30 in Paris, closed on French holidays.
	OfficeHours calendar.Hours `yaml:"office_hours"`
	// DeskNumbers ring together during office hours (E.164 numbers or sip: URIs).
	DeskNumbers []string `yaml:"desk_numbers"`
	// DialTimeout is how long the desk rings before the caller is offered voicemail.
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// Greeting is said to every caller; Closed out of office hours, NoAnswer when the
	// desk does not pick up (both before the voicemail beep); Goodbye after a voicemail.
	Greeting []Prompt `yaml:"greeting"`
	Closed   []Prompt `yaml:"closed"`
	NoAnswer []Prompt `yaml:"no_answer"`
	Goodbye  []Prompt `yaml:"goodbye"`
	// Voicemail tunes the recording of messages.
	Voicemail Voicemail `yaml:"voicemail"`
	// MissedCallPriority is the priority (0-100) given to the callback task of a
	// missed call.
	MissedCallPriority int `yaml:"missed_call_priority"`
	// MaxBodyBytes caps a webhook request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// RequestTimeout bounds one REST call to the provider.
	RequestTimeout time.Duration `yaml:"request_timeout"`
	// PBX is the generic webhook for other switchboards.
	PBX PBXConfig `yaml:"pbx"`
}

// Prompt is one sentence said to callers, in one language.
type Prompt struct {
	// Language is a BCP 47 tag the provider's speech engine knows (fr-FR, en-GB).
	Language string `yaml:"language"`
	// Voice is the provider's voice name (Polly.Lea, alice); empty is its default.
	Voice string `yaml:"voice"`
	Text  string `yaml:"text"`
}

// Voicemail configures the recording of messages.
type Voicemail struct {
	// MaxLength cuts a message after this long.
	MaxLength time.Duration `yaml:"max_length"`
	// Transcribe asks the provider for a transcription (Twilio's built-in one is
	// English only; a PBX may send its own through the generic webhook).
	Transcribe *bool `yaml:"transcribe"`
	// FinishOnKey ends the recording when the caller presses it.
	FinishOnKey string `yaml:"finish_on_key"`
}

// PBXConfig configures the generic webhook.
type PBXConfig struct {
	// Secret signs events (HMAC-SHA256); empty disables the webhook. Set it through
	// FRONTDESK_TELEPHONY_PBX_SECRET.
	Secret string `yaml:"secret"`
	// MaxSkew is how far an event's timestamp may be from our clock.
	MaxSkew time.Duration `yaml:"max_skew"`
}

// Defaults for Config.
const (
	DefaultAPIURL = "https://api.twilio.com"
	DefaultPath   = "/hooks/telephony"
	// DefaultDialTimeout: four or five rings, after which a caller expects voicemail.
	DefaultDialTimeout = 20 * time.Second
	// DefaultMaxLength: two minutes holds a name, a number and a reason.
	DefaultMaxLength = 2 * time.Minute
	// DefaultFinishOnKey: the key callers are told to press in most voicemails.
	DefaultFinishOnKey = "#"
	// DefaultMissedCallPriority: above ordinary mail (0) and below emergencies, so
	// missed callers are called back first in a priority-sorted queue.
	DefaultMissedCallPriority = 70
	// DefaultMaxBodyBytes: provider webhooks are a few kilobytes of form fields.
	DefaultMaxBodyBytes = 64 << 10
	// DefaultRequestTimeout: the provider answers in well under a second; past ten
	// seconds the outbound worker's retry is the better bet.
	DefaultRequestTimeout = 10 * time.Second
	// DefaultMaxSkew: five minutes tolerates clock drift yet keeps replays short-lived.
	DefaultMaxSkew = 5 * time.Minute
)

// Default prompts, French first.
var (
	defaultGreeting = []Prompt{
		{Language: "fr-FR", Text: "Bonjour, vous êtes bien à l'accueil. Merci de patienter, nous vous mettons en relation."},
		{Language: "en-GB", Text: "Hello, you have reached the front desk. Please hold while we connect you."},
	}
	defaultClosed = []Prompt{
		{Language: "fr-FR", Text: "Bonjour, l'accueil est fermé. Laissez votre nom, votre numéro et votre message après le bip, nous vous rappellerons."},
		{Language: "en-GB", Text: "Hello, the front desk is closed. Please leave your name, number and message after the beep, and we will call you back."},
	}
	defaultNoAnswer = []Prompt{
		{Language: "fr-FR", Text: "Nous ne pouvons pas prendre votre appel. Laissez votre message après le bip, nous vous rappellerons."},
		{Language: "en-GB", Text: "We cannot take your call right now. Please leave a message after the beep, and we will call you back."},
	}
	defaultGoodbye = []Prompt{
		{Language: "fr-FR", Text: "Merci, votre message est enregistré. Au revoir."},
		{Language: "en-GB", Text: "Thank you, your message has been recorded. Goodbye."},
	}
)

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	for _, p := range []struct {
		dst *[]Prompt
		def []Prompt
	}{{&c.Greeting, defaultGreeting}, {&c.Closed, defaultClosed}, {&c.NoAnswer, defaultNoAnswer}, {&c.Goodbye, defaultGoodbye}} {
		if *p.dst == nil {
			*p.dst = p.def
		}
	}
	if c.Voicemail.MaxLength == 0 {
		c.Voicemail.MaxLength = DefaultMaxLength
	}
	if c.Voicemail.Transcribe == nil {
		yes := true
		c.Voicemail.Transcribe = &yes
	}
	if c.Voicemail.FinishOnKey == "" {
		c.Voicemail.FinishOnKey = DefaultFinishOnKey
	}
	if c.MissedCallPriority == 0 {
		c.MissedCallPriority = DefaultMissedCallPriority
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.PBX.MaxSkew == 0 {
		c.PBX.MaxSkew = DefaultMaxSkew
	}
	c.OfficeHours = c.OfficeHours.WithDefaults()
	return c
}

// Validate reports every unusable setting; a disabled section is not checked.
func (c Config) Validate() error {
	if !c.Enabled {
		return nil
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf("telephony."+format, args...)) }
	if c.AuthToken == "" && c.PBX.Secret == "" {
		bad("auth_token: set it (FRONTDESK_TELEPHONY_AUTH_TOKEN) or pbx.secret (FRONTDESK_TELEPHONY_PBX_SECRET): webhooks must be signed")
	}
	if c.AccountSID != "" && c.AuthToken == "" {
		bad("auth_token: an account_sid needs its auth token")
	}
	if u, err := url.Parse(c.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("api_url: %q is not an http(s) URL", c.APIURL)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			bad("public_url: %q is not an http(s) URL without query", c.PublicURL)
		}
	}
	if !strings.HasPrefix(c.Path, "/") || strings.HasSuffix(c.Path, "/") || strings.ContainsAny(c.Path, "{}? ") {
		bad("path: %q must start with / and not end with one, without {}, ? or spaces", c.Path)
	}
	if c.SMSFrom != "" {
		if _, ok := inbox.NormalizePhone(c.SMSFrom, ""); !ok {
			bad("sms_from: %q is not a phone number", c.SMSFrom)
		}
	}
	for i, n := range c.DeskNumbers {
		if _, err := deskTarget(n); err != nil {
			bad("desk_numbers[%d]: %v", i, err)
		}
	}
	if c.DialTimeout < 5*time.Second || c.DialTimeout > 10*time.Minute {
		bad("dial_timeout: %v is not between 5s and 10m", c.DialTimeout)
	}
	for name, ps := range map[string][]Prompt{"greeting": c.Greeting, "closed": c.Closed, "no_answer": c.NoAnswer, "goodbye": c.Goodbye} {
		for i, p := range ps {
			if strings.TrimSpace(p.Text) == "" || len(p.Text) > 4000 {
				bad("%s[%d].text: must hold 1 to 4000 bytes", name, i)
			}
		}
	}
	if c.Voicemail.MaxLength < time.Second || c.Voicemail.MaxLength > time.Hour {
		bad("voicemail.max_length: %v is not between 1s and 1h", c.Voicemail.MaxLength)
	}
	if len(c.Voicemail.FinishOnKey) > 1 || strings.Trim(c.Voicemail.FinishOnKey, "0123456789#*") != "" {
		bad("voicemail.finish_on_key: %q is not one of 0-9, # or *", c.Voicemail.FinishOnKey)
	}
	if c.MissedCallPriority < 0 || c.MissedCallPriority > 100 {
		bad("missed_call_priority: %d is not between 0 and 100", c.MissedCallPriority)
	}
	if c.MaxBodyBytes < 1024 {
		bad("max_body_bytes: must be at least 1024")
	}
	if c.RequestTimeout <= 0 {
		bad("request_timeout: must be positive")
	}
	if c.PBX.Secret != "" && len(c.PBX.Secret) < 16 {
		bad("pbx.secret: use at least 16 characters")
	}
	if c.PBX.MaxSkew < time.Second {
		bad("pbx.max_skew: must be at least 1s")
	}
	if _, err := calendar.New(c.OfficeHours); err != nil {
		bad("office_hours.%v", err)
	}
	return errors.Join(errs...)
}

// Masked returns c with its secrets replaced, for printing.
func (c Config) Masked() Config {
	for _, s := range []*string{&c.AuthToken, &c.PBX.Secret} {
		if *s != "" {
			*s = "****"
		}
	}
	return c
}

// deskTarget checks a desk number: an E.164 number (normalised) or a sip: URI.
func deskTarget(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "sip:") {
		if len(s) < 6 || strings.ContainsAny(s, " <>\"") {
			return "", fmt.Errorf("%q is not a sip: URI", s)
		}
		return s, nil
	}
	n, ok := inbox.NormalizePhone(s, "")
	if !ok {
		return "", fmt.Errorf("%q is not a phone number or sip: URI", s)
	}
	return n, nil
}
