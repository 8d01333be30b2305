package priority

import (
	"strings"
	"testing"
	"time"
)

func ptr(v int) *int { return &v }

func TestScore(t *testing.T) {
	w := Weights{}.WithDefaults()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   Input
		want int
		text string
	}{
		{"calm email information", Input{Category: "information", Tension: "calm", Urgency: "normal", Channel: "email"}, 20, "priority 20: base 20"},
		{"tense complaint", Input{Category: "complaint", Tension: "tense", Channel: "email"}, 55, "priority 55: base 20, category complaint +20, tension tense +15"},
		{"aggressive caller complaint", Input{Category: "complaint", Tension: "aggressive", Channel: "telephony"}, 85, ""},
		{"chat before email", Input{Category: "information", Channel: "webchat"}, 35, ""},
		{"vip and accessibility", Input{Category: "information", VIP: true, Accessibility: true}, 45, "VIP +15, accessibility needs +10"},
		{"spam sinks", Input{Category: "spam", Tension: "aggressive", Channel: "telephony", VIP: true}, 0, ""},
		{"critical urgency", Input{Category: "other", Urgency: "critical", Channel: "sms"}, 60, ""},
		{"ageing two hours", Input{Category: "information", WaitingSince: now.Add(-2 * time.Hour), Now: now}, 28, "waiting 2h0m0s +8"},
		{"ageing capped", Input{Category: "information", WaitingSince: now.Add(-48 * time.Hour), Now: now}, 45, ""},
		{"ageing in the future ignored", Input{Category: "information", WaitingSince: now.Add(time.Hour), Now: now}, 20, ""},
		{"sla warning", Input{Category: "information", SLA: SLAWarning}, 30, "SLA deadline near +10"},
		{"sla breached", Input{Category: "information", SLA: SLABreached}, 40, ""},
		{"clamped at 100", Input{Category: "complaint", Tension: "aggressive", Urgency: "critical", Channel: "telephony", VIP: true}, 100, ""},
		{"rule fixes", Input{Category: "complaint", Tension: "aggressive", Fixed: ptr(5), Adjust: 10}, 15, "priority 15: fixed by rule 5, rule +10"},
		{"rule adds", Input{Category: "information", Adjust: 30}, 50, "rule +30"},
		{"rule lowers below 0", Input{Category: "information", Adjust: -50}, 0, ""},
		{"unknown values score nothing", Input{Category: "lottery", Tension: "bored", Channel: "fax"}, 20, ""},
	}
	for _, tt := range tests {
		s := w.Score(tt.in)
		if s.Value != tt.want {
			t.Errorf("%s: Score(%+v) = %d (%s), want %d", tt.name, tt.in, s.Value, s, tt.want)
		}
		if tt.text != "" && !strings.Contains(s.String(), tt.text) {
			t.Errorf("%s: Score(%+v).String() = %q, want it to contain %q", tt.name, tt.in, s, tt.text)
		}
	}
}

func TestWeightsConfig(t *testing.T) {
	w := Weights{Category: map[string]int{"complaint": 40}}.WithDefaults()
	if w.Category["complaint"] != 40 || w.Category["billing"] != DefaultCategory["billing"] {
		t.Errorf("WithDefaults() merged categories = %v", w.Category)
	}
	if DefaultCategory["complaint"] != 20 {
		t.Error("WithDefaults() changed the default map")
	}
	if err := w.Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
	for _, bad := range []Weights{
		{Base: 101},
		{Category: map[string]int{"x": -200}},
		{AgeingPerHour: -1},
	} {
		if err := bad.WithDefaults().Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
}
