package sla

import (
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
	"strings"
	"testing"
	"time"
)

var paris, _ = time.LoadLocation("Europe/Paris")

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
	if err != nil {
		panic(err)
	}
	return t
}

func TestStages(t *testing.T) {
	p, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	start := at("2026-03-09 09:00")
	due := p.Due(start, 4*time.Hour)
	if due == nil || !due.Equal(at("2026-03-09 14:00")) {
		t.Fatalf("Due(Mon 9:00, 4h) = %v, want Mon 14:00", due)
	}
	if w := p.WarnFrom(start, *due); !w.Equal(at("2026-03-09 12:00")) {
		t.Errorf("WarnFrom = %s, want Mon 12:00", w.In(paris))
	}
	for s, want := range map[string]Stage{"2026-03-09 11:59": OK, "2026-03-09 12:00": Warning, "2026-03-09 13:00": Warning,
		"2026-03-09 14:00": Warning, "2026-03-09 14:01": Breached} {
		if got := p.Stage(start, *due, at(s)); got != want {
			t.Errorf("Stage at %s = %s, want %s", s, got, want)
		}
	}
	if r := p.Remaining(at("2026-03-09 12:00"), *due); r != time.Hour {
		t.Errorf("Remaining at 12:00 = %v, want 1h (lunch does not count)", r)
	}
	if r := p.Remaining(at("2026-03-09 15:00"), *due); r != -time.Hour {
		t.Errorf("Remaining at 15:00 = %v, want -1h", r)
	}
	if p.Due(start, 0) != nil {
		t.Error("Due(no target) != nil")
	}
}

func TestMatch(t *testing.T) {
	p, _ := New(Config{})
	tests := []struct {
		category, channel string
		priority          int
		want              string
	}{
		{"spam", "webchat", 90, "spam"},
		{"information", "email", 85, "urgent"},
		{"information", "webchat", 30, "live"},
		{"complaint", "email", 55, "complaint"},
		{"billing", "email", 30, "default"},
	}
	for _, tt := range tests {
		if got := p.Match(tt.category, tt.channel, tt.priority).Name; got != tt.want {
			t.Errorf("Match(%s, %s, %d) = %s, want %s", tt.category, tt.channel, tt.priority, got, tt.want)
		}
	}
	only, _ := New(Config{Policies: []Policy{{Name: "vip", MinPriority: 90}}})
	if got := only.Match("x", "email", 10).Name; got != "none" {
		t.Errorf("Match with no matching policy = %s, want none", got)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Hours: calendar.Hours{Timezone: "Mars/Olympus"}}, "router.sla.business_hours.timezone"},
		{Config{Hours: calendar.Hours{Week: map[string][]string{"lundi": {"08:00-12:00"}}}}, "not a weekday"},
		{Config{Hours: calendar.Hours{Week: map[string][]string{"monday": {"8h-12h"}}}}, "HH:MM-HH:MM"},
		{Config{Hours: calendar.Hours{Week: map[string][]string{"monday": {"12:00-08:00"}}}}, "ends before"},
		{Config{Hours: calendar.Hours{Week: map[string][]string{"monday": {"08:00-12:00", "11:00-13:00"}}}}, "overlap"},
		{Config{Hours: calendar.Hours{Week: map[string][]string{}}}, "open at some time"},
		{Config{Hours: calendar.Hours{Holidays: "germany"}}, "holidays"},
		{Config{Hours: calendar.Hours{Closed: []string{"15/05/2026"}}}, "closed"},
		{Config{WarnAt: 1.5}, "warn_at"},
		{Config{Policies: []Policy{{Name: ""}}}, "name is required"},
		{Config{Policies: []Policy{{Name: "a"}, {Name: "a"}}}, "another policy"},
		{Config{Policies: []Policy{{Name: "a", Targets: Targets{FirstResponse: -time.Hour}}}}, "negative"},
	}
	for _, tt := range tests {
		if err := tt.cfg.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error mentioning %q", tt.cfg, err, tt.want)
		}
	}
	if err := (Config{}).Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
}
