package router

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/router/assign"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/sla"
)

// Config is the router section of the configuration. Its rules, templates and SLA
// policies default to configs/routing.yaml, which cmd/frontdesk applies when the file
// in use has none.
type Config struct {
	// Disabled runs the hub without routing: nothing is classified, queued or assigned
	// automatically and the routing endpoints answer 503. For a single hub that does
	// not want it, or a load measure of the rest.
	Disabled   bool             `yaml:"disabled"`
	Classifier classify.Config  `yaml:"classifier"`
	Priority   priority.Weights `yaml:"priority"`
	// Rules are the routing rules, tried in order.
	Rules []rules.Rule `yaml:"rules"`
	// Templates are the auto-reply texts rules may send, per language.
	Templates map[string]Template `yaml:"templates"`
	// DefaultTeam is the slug of the team whose queue gets conversations no rule sends
	// elsewhere; empty: the shared front-desk queue.
	DefaultTeam string          `yaml:"default_team"`
	Assign      assign.Config   `yaml:"assign"`
	Presence    presence.Config `yaml:"presence"`
	SLA         sla.Config      `yaml:"sla"`
	Handoff     HandoffConfig   `yaml:"handoff"`
	Jobs        JobsConfig      `yaml:"jobs"`
}

// Template is an auto-reply in French and English (French when the language is other
// or the English text is empty).
type Template struct {
	FR string `yaml:"fr"`
	EN string `yaml:"en"`
}

// Text returns the template in lang.
func (t Template) Text(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	return t.FR
}

// HandoffConfig is the handoff section.
type HandoffConfig struct {
	// Timeout is how long a colleague or supervisor has to accept a handoff.
	Timeout time.Duration `yaml:"timeout"`
	// NoteLanguage is the language ("fr" or "en") of the notes the router writes on
	// the handoffs it makes (escalations): notes are text read by whoever answers.
	NoteLanguage string `yaml:"note_language"`
}

// DefaultNoteLanguage: the desk works in French, and so do its supervisors.
const DefaultNoteLanguage = "fr"

// JobsConfig sets how often the router's periodic jobs run.
type JobsConfig struct {
	// SLA checks deadlines and records warnings and breaches.
	SLA time.Duration `yaml:"sla"`
	// Ageing recomputes priorities as conversations wait.
	Ageing time.Duration `yaml:"ageing"`
	// Presence sweeps expired heartbeats and returns offline agents' conversations.
	Presence time.Duration `yaml:"presence"`
	// Reconcile checks the queues against the store.
	Reconcile time.Duration `yaml:"reconcile"`
}

// Defaults.
const (
	// DefaultHandoffTimeout: long enough to finish a call before answering, short enough
	// that a visitor is not left waiting on an absent colleague.
	DefaultHandoffTimeout = 5 * time.Minute
	// DefaultSLAJob: deadlines are minutes at the least, so half a minute is precise.
	DefaultSLAJob = 30 * time.Second
	// DefaultAgeingJob: ageing moves a few points an hour; a minute is plenty.
	DefaultAgeingJob = time.Minute
	// DefaultPresenceJob: a sixth of the default heartbeat TTL.
	DefaultPresenceJob = 5 * time.Second
	// DefaultReconcileJob: the queues follow events; reconciling catches what a crash or
	// a Redis restart lost.
	DefaultReconcileJob = time.Minute
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	c.Classifier = c.Classifier.WithDefaults()
	c.Priority = c.Priority.WithDefaults()
	c.Assign = c.Assign.WithDefaults()
	c.Presence = c.Presence.WithDefaults()
	c.SLA = c.SLA.WithDefaults()
	if c.Handoff.Timeout == 0 {
		c.Handoff.Timeout = DefaultHandoffTimeout
	}
	if c.Handoff.NoteLanguage == "" {
		c.Handoff.NoteLanguage = DefaultNoteLanguage
	}
	j := &c.Jobs
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&j.SLA, DefaultSLAJob}, {&j.Ageing, DefaultAgeingJob}, {&j.Presence, DefaultPresenceJob}, {&j.Reconcile, DefaultReconcileJob}} {
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	return c
}

// Channels the rules may name.
var Channels = []string{"email", "webchat", "slack", "telephony", "sms", "api"}

// ruleOptions are the values rules may use under c.
func (c Config) ruleOptions() rules.Options {
	var templates []string
	for name := range c.Templates {
		templates = append(templates, name)
	}
	if templates == nil {
		templates = []string{} // rules naming a template need one configured
	}
	return rules.Options{Categories: c.Classifier.Categories, Channels: Channels, Languages: classify.Languages,
		Tensions: classify.Tensions, Urgencies: classify.Urgencies, Templates: append(templates, "")}
}

var slugOK = func(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return s[0] != '-'
}

// Validate reports every unusable setting.
func (c Config) Validate() error {
	errs := []error{c.Classifier.Validate(), c.Priority.Validate(), c.Assign.Validate(), c.Presence.Validate(), c.SLA.Validate()}
	opts := c.ruleOptions()
	if _, err := rules.Compile(c.Rules, opts); err != nil {
		errs = append(errs, fmt.Errorf("router.rules: %w", err))
	}
	for i, r := range c.Rules {
		if r.Then.Team != "" && !slugOK(r.Then.Team) {
			errs = append(errs, fmt.Errorf("router.rules[%d] (%s): then.team %q is not a team slug", i, r.Name, r.Then.Team))
		}
		for _, sk := range r.Then.Skills {
			if sk == "" || strings.ContainsAny(sk, "|, ") {
				errs = append(errs, fmt.Errorf("router.rules[%d] (%s): then.skills: %q is not a skill name", i, r.Name, sk))
			}
		}
	}
	if c.DefaultTeam != "" && !slugOK(c.DefaultTeam) {
		errs = append(errs, fmt.Errorf("router.default_team: %q is not a team slug", c.DefaultTeam))
	}
	for name, t := range c.Templates {
		if strings.TrimSpace(t.FR) == "" {
			errs = append(errs, fmt.Errorf("router.templates.%s: the French text is required", name))
		}
	}
	for cat := range c.Priority.Category {
		if !slices.Contains(c.Classifier.Categories, cat) && !slices.Contains(classify.DefaultCategories, cat) {
			errs = append(errs, fmt.Errorf("router.priority.category: %q is not a configured category", cat))
		}
	}
	if c.Handoff.Timeout < 10*time.Second {
		errs = append(errs, errors.New("router.handoff.timeout: must be at least 10s"))
	}
	if c.Handoff.NoteLanguage != "fr" && c.Handoff.NoteLanguage != "en" {
		errs = append(errs, fmt.Errorf("router.handoff.note_language: %q is not fr or en", c.Handoff.NoteLanguage))
	}
	for name, d := range map[string]time.Duration{"sla": c.Jobs.SLA, "ageing": c.Jobs.Ageing, "presence": c.Jobs.Presence, "reconcile": c.Jobs.Reconcile} {
		if d < 100*time.Millisecond {
			errs = append(errs, fmt.Errorf("router.jobs.%s: must be at least 100ms", name))
		}
	}
	return errors.Join(errs...)
}
