// Package sla computes service-level deadlines on a business-hours calendar and says
// when a conversation is near its deadline (a warning) or past it (a breach).
//
// A policy gives three targets in opening time: first response (from the first inbound
// message), next response (from each later inbound message that waits for an answer)
// and resolution (from the creation of the conversation). Policies are tried in order;
// the first whose categories, channels and minimum priority all match applies. A zero
// target means none.
//
// The calendar counts only opening hours, in the desk's time zone (Europe/Paris by
// default), skipping weekends, French public holidays (Easter Monday, Ascension and
// Whit Monday computed from Easter each year) and configured closed days. A warning
// comes when WarnAt of the target's opening time has passed.
package sla

import (
	"errors"
	"fmt"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
	"slices"
	"time"
)

// Targets are the deadlines of a policy, in opening time.
type Targets struct {
	FirstResponse time.Duration `yaml:"first_response" json:"first_response"`
	NextResponse  time.Duration `yaml:"next_response" json:"next_response"`
	Resolution    time.Duration `yaml:"resolution" json:"resolution"`
}

// Policy is a set of targets and the conversations it applies to.
type Policy struct {
	Name string `yaml:"name" json:"name"`
	// Categories and Channels restrict the policy (empty: any).
	Categories []string `yaml:"categories,omitempty" json:"categories,omitempty"`
	Channels   []string `yaml:"channels,omitempty" json:"channels,omitempty"`
	// MinPriority restricts the policy to conversations at or above it.
	MinPriority int     `yaml:"min_priority,omitempty" json:"min_priority,omitempty"`
	Targets     Targets `yaml:",inline" json:"targets"`
}

// Config is the SLA section of the router configuration.
type Config struct {
	Hours    calendar.Hours `yaml:"business_hours"`
	Policies []Policy       `yaml:"policies"`
	// WarnAt is the share of a target's opening time after which a warning is raised.
	WarnAt float64 `yaml:"warn_at"`
}

// DefaultWarnAt warns with a quarter of the time left: enough for a supervisor to act.
const DefaultWarnAt = 0.75

// DefaultPolicies apply when none is configured: spam has no deadline; urgent
// conversations (priority 80+) and live channels are answered within the hour; complaints
// within half a day, resolved within a week; everything else answered within a day and
// resolved within two weeks (of opening time: eight hours a day).
var DefaultPolicies = []Policy{
	{Name: "spam", Categories: []string{"spam"}},
	{Name: "urgent", MinPriority: 80, Targets: Targets{FirstResponse: 30 * time.Minute, NextResponse: time.Hour, Resolution: 8 * time.Hour}},
	{Name: "live", Channels: []string{"webchat", "telephony"}, Targets: Targets{FirstResponse: 15 * time.Minute, NextResponse: 15 * time.Minute, Resolution: 8 * time.Hour}},
	{Name: "complaint", Categories: []string{"complaint"}, Targets: Targets{FirstResponse: 4 * time.Hour, NextResponse: 8 * time.Hour, Resolution: 40 * time.Hour}},
	{Name: "default", Targets: Targets{FirstResponse: 8 * time.Hour, NextResponse: 16 * time.Hour, Resolution: 80 * time.Hour}},
}

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	c.Hours = c.Hours.WithDefaults()
	if len(c.Policies) == 0 {
		c.Policies = slices.Clone(DefaultPolicies)
	}
	if c.WarnAt == 0 {
		c.WarnAt = DefaultWarnAt
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	_, err := New(c)
	return err
}

// Policies are compiled SLA policies on a calendar. Immutable, safe for concurrent use.
type Policies struct {
	cal      *calendar.Calendar
	policies []Policy
	warnAt   float64
}

// New compiles cfg (after defaults).
func New(cfg Config) (*Policies, error) {
	cfg = cfg.WithDefaults()
	cal, err := calendar.New(cfg.Hours)
	if err != nil {
		return nil, fmt.Errorf("router.sla.business_hours.%w", err)
	}
	if cfg.WarnAt <= 0 || cfg.WarnAt >= 1 {
		return nil, errors.New("router.sla.warn_at: must be between 0 and 1 (exclusive)")
	}
	seen := map[string]bool{}
	for i, p := range cfg.Policies {
		if p.Name == "" {
			return nil, fmt.Errorf("router.sla.policies[%d]: name is required", i)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("router.sla.policies[%d]: another policy is named %q", i, p.Name)
		}
		seen[p.Name] = true
		t := p.Targets
		if t.FirstResponse < 0 || t.NextResponse < 0 || t.Resolution < 0 {
			return nil, fmt.Errorf("router.sla.policies[%d] (%s): targets must not be negative", i, p.Name)
		}
		if p.MinPriority < 0 || p.MinPriority > 100 {
			return nil, fmt.Errorf("router.sla.policies[%d] (%s): min_priority must be between 0 and 100", i, p.Name)
		}
	}
	return &Policies{cal: cal, policies: cfg.Policies, warnAt: cfg.WarnAt}, nil
}

// Calendar returns the business-hours calendar.
func (p *Policies) Calendar() *calendar.Calendar { return p.cal }

// Match returns the first policy for a conversation of that category, channel and
// priority; with none matching, a policy without targets.
func (p *Policies) Match(category, channel string, priority int) Policy {
	for _, pol := range p.policies {
		if (len(pol.Categories) == 0 || slices.Contains(pol.Categories, category)) &&
			(len(pol.Channels) == 0 || slices.Contains(pol.Channels, channel)) &&
			priority >= pol.MinPriority {
			return pol
		}
	}
	return Policy{Name: "none"}
}

// Due returns the deadline of a target started at start, or nil for no target.
func (p *Policies) Due(start time.Time, target time.Duration) *time.Time {
	if target <= 0 {
		return nil
	}
	d := p.cal.Add(start, target).UTC().Truncate(time.Microsecond)
	return &d
}

// Stage is where a running target stands.
type Stage string

// Stages of a target.
const (
	OK       Stage = "ok"
	Warning  Stage = "warning"
	Breached Stage = "breached"
	// Paused: the conversation waits for its contact (inbox.SLAPaused); its clock is
	// stopped.
	Paused Stage = "paused"
)

// Stage tells whether a target started at start and due at due is, at now, fine, near
// its deadline (WarnAt of its opening time gone) or breached.
func (p *Policies) Stage(start, due, now time.Time) Stage {
	if now.After(due) {
		return Breached
	}
	total := p.cal.Between(start, due)
	if total > 0 && float64(p.cal.Between(start, now)) >= p.warnAt*float64(total) {
		return Warning
	}
	return OK
}

// WarnFrom returns when a target started at start and due at due turns to Warning.
func (p *Policies) WarnFrom(start, due time.Time) time.Time {
	total := p.cal.Between(start, due)
	return p.cal.Add(start, time.Duration(p.warnAt*float64(total)))
}

// Remaining returns the opening time left until due at now; negative (the opening time
// since due) once breached.
func (p *Policies) Remaining(now, due time.Time) time.Duration {
	if now.After(due) {
		return -p.cal.Between(due, now)
	}
	return p.cal.Between(now, due)
}
