// Package priority scores how soon a conversation should be answered, from 0 (whenever)
// to 100 (now), with the factors that made the score so an agent can see why.
//
// Algorithm: the score is a base plus points for the category, the tension, the
// urgency, the contact's flags (VIP, accessibility needs) and the channel (a caller or a
// chat visitor is waiting live; an email can wait), plus ageing (points per hour the
// contact has been waiting, capped, so that nothing starves) and SLA proximity (a
// deadline near or passed). A routing rule may fix the score instead (spam at 0), and
// may add to it. The result is clamped to 0-100. Scores are recomputed as time passes:
// only ageing and SLA proximity change with time.
package priority

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"time"

	"github.com/frontdeskhq/frontdesk/router/explain"
)

// Weights are the points of each factor; the priority section of the router
// configuration.
type Weights struct {
	// Base is where every conversation starts.
	Base     int            `yaml:"base"`
	Category map[string]int `yaml:"category"`
	Tension  map[string]int `yaml:"tension"`
	Urgency  map[string]int `yaml:"urgency"`
	Channel  map[string]int `yaml:"channel"`
	// VIP and Accessibility are added for contacts with those flags.
	VIP           int `yaml:"vip"`
	Accessibility int `yaml:"accessibility"`
	// AgeingPerHour is added per hour the contact has been waiting, up to AgeingMax.
	AgeingPerHour float64 `yaml:"ageing_per_hour"`
	AgeingMax     int     `yaml:"ageing_max"`
	// SLAWarning and SLABreached are added when an SLA deadline is near or passed.
	SLAWarning  int `yaml:"sla_warning"`
	SLABreached int `yaml:"sla_breached"`
}

// Defaults for Weights. A calm information request by email scores the base, 20; a
// tense complaint scores 55; an aggressive caller in a complaint 85.
const (
	DefaultBase = 20
	// DefaultVIP: a VIP moves ahead of ordinary requests of the same kind.
	DefaultVIP = 15
	// DefaultAccessibility: contacts with accessibility needs often cannot use the
	// fallback channels, so they should not wait long.
	DefaultAccessibility = 10
	// DefaultAgeingPerHour: four points an hour lets an email that has waited a day
	// (in wall-clock hours, capped) overtake fresh requests of a more urgent kind.
	DefaultAgeingPerHour = 4
	// DefaultAgeingMax caps ageing below the gap between calm and aggressive.
	DefaultAgeingMax = 25
	// DefaultSLAWarning and DefaultSLABreached lift a conversation whose deadline is
	// close or gone, so that supervisors' deadlines are met first.
	DefaultSLAWarning  = 10
	DefaultSLABreached = 20
)

// DefaultCategory, DefaultTension, DefaultUrgency and DefaultChannel are the default
// points per value. Spam sinks to 0 whatever else it has.
var (
	DefaultCategory = map[string]int{"complaint": 20, "billing": 10, "appointment": 10, "order": 5, "information": 0, "other": 0, "spam": -100}
	DefaultTension  = map[string]int{"calm": 0, "tense": 15, "aggressive": 25}
	DefaultUrgency  = map[string]int{"normal": 0, "high": 15, "critical": 35}
	DefaultChannel  = map[string]int{"telephony": 20, "webchat": 15, "sms": 5, "slack": 5, "email": 0, "api": 0}
)

// WithDefaults fills zero fields; maps are completed key by key.
func (w Weights) WithDefaults() Weights {
	if w.Base == 0 {
		w.Base = DefaultBase
	}
	w.Category = fill(w.Category, DefaultCategory)
	w.Tension = fill(w.Tension, DefaultTension)
	w.Urgency = fill(w.Urgency, DefaultUrgency)
	w.Channel = fill(w.Channel, DefaultChannel)
	if w.VIP == 0 {
		w.VIP = DefaultVIP
	}
	if w.Accessibility == 0 {
		w.Accessibility = DefaultAccessibility
	}
	if w.AgeingPerHour == 0 {
		w.AgeingPerHour = DefaultAgeingPerHour
	}
	if w.AgeingMax == 0 {
		w.AgeingMax = DefaultAgeingMax
	}
	if w.SLAWarning == 0 {
		w.SLAWarning = DefaultSLAWarning
	}
	if w.SLABreached == 0 {
		w.SLABreached = DefaultSLABreached
	}
	return w
}

func fill(m, defaults map[string]int) map[string]int {
	out := maps.Clone(defaults)
	maps.Copy(out, m)
	return out
}

// Validate reports the first unusable weight.
func (w Weights) Validate() error {
	check := func(name string, v int) error {
		if v < -100 || v > 100 {
			return fmt.Errorf("router.priority.%s: %d is not between -100 and 100", name, v)
		}
		return nil
	}
	errs := []error{check("base", w.Base), check("vip", w.VIP), check("accessibility", w.Accessibility),
		check("ageing_max", w.AgeingMax), check("sla_warning", w.SLAWarning), check("sla_breached", w.SLABreached)}
	for name, m := range map[string]map[string]int{"category": w.Category, "tension": w.Tension, "urgency": w.Urgency, "channel": w.Channel} {
		for k, v := range m {
			errs = append(errs, check(name+"."+k, v))
		}
	}
	if w.AgeingPerHour < 0 || w.AgeingPerHour > 100 || math.IsNaN(w.AgeingPerHour) {
		errs = append(errs, errors.New("router.priority.ageing_per_hour: must be between 0 and 100"))
	}
	return errors.Join(errs...)
}

// SLA says how close a conversation is to an SLA deadline.
type SLA int

// SLA states.
const (
	SLAOK SLA = iota
	SLAWarning
	SLABreached
)

// Input is what the score is computed from.
type Input struct {
	Category, Tension, Urgency, Channel string
	VIP, Accessibility                  bool
	// WaitingSince is when the contact started waiting; zero when nobody waits.
	WaitingSince time.Time
	Now          time.Time
	SLA          SLA
	// Fixed, when set by a routing rule, replaces the computed score; Adjust (a
	// rule's priority_add) is added to either.
	Fixed  *int
	Adjust int
}

// Factor codes: what a factor is, stable across languages.
const (
	FactorBase          = "base"
	FactorFixed         = "fixed"
	FactorRule          = "rule"
	FactorCategory      = "category"
	FactorTension       = "tension"
	FactorUrgency       = "urgency"
	FactorChannel       = "channel"
	FactorVIP           = "vip"
	FactorAccessibility = "accessibility"
	FactorWaiting       = "waiting"
	FactorSLAWarning    = "sla_warning"
	FactorSLABreached   = "sla_breached"
)

// Factor is one contribution to a score.
type Factor struct {
	// Code says what the factor is (Factor* constants).
	Code string `json:"code"`
	// Value is the category, tension, urgency or channel the points are for.
	Value string `json:"value,omitempty"`
	// Minutes is how long the contact has waited (FactorWaiting).
	Minutes int `json:"minutes,omitempty"`
	// Name is the factor in English ("category complaint"), kept for API users.
	Name   string `json:"name"`
	Points int    `json:"points"`
}

// Reason is the factor as an explanation: code "priority.<Code>" with the points, the
// score for the base and a fixed priority, the value under the name of its kind
// (category, tension, urgency, channel) and the waiting minutes.
func (f Factor) Reason() explain.Reason {
	r := explain.New("priority."+f.Code, "points", f.Points)
	switch f.Code {
	case FactorBase, FactorFixed:
		r.Args["score"] = f.Points
	case FactorCategory, FactorTension, FactorUrgency, FactorChannel:
		r.Args[f.Code] = f.Value
	case FactorWaiting:
		r.Args["minutes"] = f.Minutes
	}
	return r
}

// Score is a priority with its explanation.
type Score struct {
	Value   int      `json:"value"`
	Factors []Factor `json:"factors"`
}

// Reason is the score as an explanation: code "priority" with the score and its
// factors.
func (s Score) Reason() explain.Reason {
	fs := make([]explain.Reason, len(s.Factors))
	for i, f := range s.Factors {
		fs[i] = f.Reason()
	}
	return explain.New("priority", "score", s.Value, "factors", fs)
}

// String explains the score in one line, in English: "priority 55: base 20, category
// Complaint +20, tension Tense +15".
func (s Score) String() string { return s.Reason().String() }

// Score computes the priority of in.
func (w Weights) Score(in Input) Score {
	var s Score
	add := func(f Factor) {
		if f.Points != 0 || f.Code == FactorBase || f.Code == FactorFixed {
			f.Name = f.Reason().String()
			s.Factors = append(s.Factors, f)
			s.Value += f.Points
		}
	}
	if in.Fixed != nil {
		add(Factor{Code: FactorFixed, Points: *in.Fixed})
		add(Factor{Code: FactorRule, Points: in.Adjust})
		s.Value = clamp(s.Value)
		return s
	}
	add(Factor{Code: FactorBase, Points: w.Base})
	for _, v := range []struct{ code, value string }{
		{FactorCategory, in.Category}, {FactorTension, in.Tension}, {FactorUrgency, in.Urgency}, {FactorChannel, in.Channel},
	} {
		if v.value == "" {
			continue
		}
		var pts int
		switch v.code {
		case FactorCategory:
			pts = w.Category[v.value]
		case FactorTension:
			pts = w.Tension[v.value]
		case FactorUrgency:
			pts = w.Urgency[v.value]
		case FactorChannel:
			pts = w.Channel[v.value]
		}
		add(Factor{Code: v.code, Value: v.value, Points: pts})
	}
	if in.VIP {
		add(Factor{Code: FactorVIP, Points: w.VIP})
	}
	if in.Accessibility {
		add(Factor{Code: FactorAccessibility, Points: w.Accessibility})
	}
	if !in.WaitingSince.IsZero() && in.Now.After(in.WaitingSince) {
		waited := in.Now.Sub(in.WaitingSince)
		add(Factor{Code: FactorWaiting, Minutes: int(waited.Minutes()), Points: min(w.AgeingMax, int(waited.Hours()*w.AgeingPerHour))})
	}
	switch in.SLA {
	case SLAWarning:
		add(Factor{Code: FactorSLAWarning, Points: w.SLAWarning})
	case SLABreached:
		add(Factor{Code: FactorSLABreached, Points: w.SLABreached})
	}
	add(Factor{Code: FactorRule, Points: in.Adjust})
	s.Value = clamp(s.Value)
	return s
}

func clamp(v int) int { return max(0, min(100, v)) }
