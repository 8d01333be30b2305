package priority

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/explain"
)

func ptr(v int) *int { return &v }

func TestScore(t *testing.T) {
	w := Weights{}.WithDefaults()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		in      Input
		want    int
		text    string
		fr      string
		factors []Factor // compared without their English names, when set
	}{
		{"calm email information", Input{Category: "information", Tension: "calm", Urgency: "normal", Channel: "email"}, 20, "priority 20: base 20", "priorité 20 : base 20",
			[]Factor{{Code: FactorBase, Points: 20}}},
		{"tense complaint", Input{Category: "complaint", Tension: "tense", Channel: "email"}, 55,
			"priority 55: base 20, category Complaint +20, tension Tense +15", "priorité 55 : base 20, catégorie Réclamation +20, tension Tendu +15",
			[]Factor{{Code: FactorBase, Points: 20}, {Code: FactorCategory, Value: "complaint", Points: 20}, {Code: FactorTension, Value: "tense", Points: 15}}},
		{"aggressive caller complaint", Input{Category: "complaint", Tension: "aggressive", Channel: "telephony"}, 85, "", "", nil},
		{"chat before email", Input{Category: "information", Channel: "webchat"}, 35, "", "", nil},
		{"vip and accessibility", Input{Category: "information", VIP: true, Accessibility: true}, 45, "VIP +15, accessibility needs +10", "", nil},
		{"spam sinks", Input{Category: "spam", Tension: "aggressive", Channel: "telephony", VIP: true}, 0, "", "", nil},
		{"critical urgency", Input{Category: "other", Urgency: "critical", Channel: "sms"}, 60, "", "", nil},
		{"ageing two hours", Input{Category: "information", WaitingSince: now.Add(-2 * time.Hour), Now: now}, 28, "waiting 2 h +8", "attente 2 h +8", []Factor{{Code: FactorBase, Points: 20}, {Code: FactorWaiting, Minutes: 120, Points: 8}}},
		{"ageing capped", Input{Category: "information", WaitingSince: now.Add(-48 * time.Hour), Now: now}, 45, "", "", nil},
		{"ageing in the future ignored", Input{Category: "information", WaitingSince: now.Add(time.Hour), Now: now}, 20, "", "", nil},
		{"sla warning", Input{Category: "information", SLA: SLAWarning}, 30, "SLA deadline near +10", "", nil},
		{"sla breached", Input{Category: "information", SLA: SLABreached}, 40, "", "", nil},
		{"clamped at 100", Input{Category: "complaint", Tension: "aggressive", Urgency: "critical", Channel: "telephony", VIP: true}, 100, "", "", nil},
		{"rule fixes", Input{Category: "complaint", Tension: "aggressive", Fixed: ptr(5), Adjust: 10}, 15, "priority 15: fixed by rule at 5, rule +10", "priorité 15 : fixée par une règle à 5, règle +10", []Factor{{Code: FactorFixed, Points: 5}, {Code: FactorRule, Points: 10}}},
		{"rule adds", Input{Category: "information", Adjust: 30}, 50, "rule +30", "", nil},
		{"rule lowers below 0", Input{Category: "information", Adjust: -50}, 0, "", "", nil},
		{"unknown values score nothing", Input{Category: "lottery", Tension: "bored", Channel: "fax"}, 20, "", "", nil},
	}
	for _, tt := range tests {
		s := w.Score(tt.in)
		if s.Value != tt.want {
			t.Errorf("%s: Score(%+v) = %d (%s), want %d", tt.name, tt.in, s.Value, s, tt.want)
		}
		if tt.text != "" && !strings.Contains(s.String(), tt.text) {
			t.Errorf("%s: Score(%+v).String() = %q, want it to contain %q", tt.name, tt.in, s, tt.text)
		}
		if fr := explain.Text(s.Reason(), explain.French); tt.fr != "" && !strings.Contains(fr, tt.fr) {
			t.Errorf("%s: Score(%+v) in French = %q, want it to contain %q", tt.name, tt.in, fr, tt.fr)
		}
		for i, f := range s.Factors {
			if f.Name != f.Reason().String() || f.Name == "" {
				t.Errorf("%s: factor %d name %q, want its English text %q", tt.name, i, f.Name, f.Reason())
			}
			s.Factors[i].Name = ""
		}
		if tt.factors != nil && !slices.Equal(s.Factors, tt.factors) {
			t.Errorf("%s: Score(%+v).Factors = %+v, want %+v", tt.name, tt.in, s.Factors, tt.factors)
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
