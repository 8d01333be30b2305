package sla

import (
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

func TestEaster(t *testing.T) {
	tests := []struct {
		year  int
		month time.Month
		day   int
	}{
		{1818, time.March, 22}, {2000, time.April, 23}, {2019, time.April, 21}, {2024, time.March, 31},
		{2025, time.April, 20}, {2026, time.April, 5}, {2027, time.March, 28}, {2038, time.April, 25},
		{2285, time.March, 22},
	}
	for _, tt := range tests {
		if m, d := Easter(tt.year); m != tt.month || d != tt.day {
			t.Errorf("Easter(%d) = %v %d, want %v %d", tt.year, m, d, tt.month, tt.day)
		}
	}
}

func TestHolidays2026(t *testing.T) {
	var got []string
	for _, h := range Holidays(2026, false) {
		got = append(got, time.Date(2026, h.Month, h.Day, 0, 0, 0, 0, time.UTC).Format("01-02"))
	}
	want := "01-01 04-06 05-01 05-08 05-14 05-25 07-14 08-15 11-01 11-11 12-25"
	if strings.Join(got, " ") != want {
		t.Errorf("Holidays(2026) = %v, want %s", got, want)
	}
	if n := len(Holidays(2026, true)); n != 13 {
		t.Errorf("Holidays(2026, Alsace-Moselle) has %d days, want 13", n)
	}
}

func TestCalendarAdd(t *testing.T) {
	cal, err := NewCalendar(Hours{})
	if err != nil {
		t.Fatal(err)
	}
	alsace, _ := NewCalendar(Hours{Holidays: "france-alsace-moselle"})
	bridge, _ := NewCalendar(Hours{Closed: []string{"2026-05-15"}})
	none, _ := NewCalendar(Hours{Holidays: "none"})
	tests := []struct {
		name  string
		cal   *Calendar
		start string
		d     time.Duration
		want  string
	}{
		{"within the morning", cal, "2026-03-09 09:00", time.Hour, "2026-03-09 10:00"},
		{"over lunch", cal, "2026-03-09 12:00", time.Hour, "2026-03-09 14:00"},
		{"ends exactly at closing", cal, "2026-03-09 17:00", 30 * time.Minute, "2026-03-09 17:30"},
		{"over the weekend", cal, "2026-03-06 16:30", 2 * time.Hour, "2026-03-09 09:30"},
		{"from a Saturday", cal, "2026-03-07 10:00", 0, "2026-03-09 08:30"},
		{"from the night", cal, "2026-03-09 06:00", 15 * time.Minute, "2026-03-09 08:45"},
		{"a full week of 8h days", cal, "2026-03-09 08:30", 40 * time.Hour, "2026-03-13 17:30"},
		{"Good Friday is open in most of France", cal, "2026-04-02 17:00", 4 * time.Hour, "2026-04-03 12:00"},
		{"Good Friday and Easter Monday closed in Alsace", alsace, "2026-04-02 17:00", 4 * time.Hour, "2026-04-07 12:00"},
		{"Easter Monday", cal, "2026-04-03 17:00", time.Hour, "2026-04-07 09:00"},
		{"Ascension Thursday", cal, "2026-05-13 17:00", time.Hour, "2026-05-15 09:00"},
		{"Ascension bridge day closed", bridge, "2026-05-13 17:00", time.Hour, "2026-05-18 09:00"},
		{"Whit Monday", cal, "2026-05-22 17:30", time.Hour, "2026-05-26 09:30"},
		{"Christmas", cal, "2026-12-24 17:00", time.Hour, "2026-12-28 09:00"},
		{"no holidays", none, "2026-12-24 17:00", time.Hour, "2026-12-25 09:00"},
		{"across the spring DST change", cal, "2026-03-27 17:00", time.Hour, "2026-03-30 09:00"},
		{"across the autumn DST change", cal, "2026-10-23 17:00", time.Hour, "2026-10-26 09:00"},
		{"New Year", cal, "2026-12-31 17:00", time.Hour, "2027-01-04 09:00"},
	}
	for _, tt := range tests {
		if got := tt.cal.Add(at(tt.start), tt.d); !got.Equal(at(tt.want)) {
			t.Errorf("%s: Add(%s, %v) = %s, want %s", tt.name, tt.start, tt.d, got.In(paris).Format("2006-01-02 15:04 MST"), tt.want)
		}
	}
	// The DST case is right in UTC too: 09:00 CEST is 07:00 UTC.
	if got := cal.Add(at("2026-03-27 17:00"), time.Hour).UTC().Format("15:04"); got != "07:00" {
		t.Errorf("Add across DST = %s UTC, want 07:00", got)
	}
}

func TestCalendarBetweenAndOpen(t *testing.T) {
	cal, _ := NewCalendar(Hours{})
	tests := []struct {
		a, b string
		want time.Duration
	}{
		{"2026-03-06 16:30", "2026-03-09 09:30", 2 * time.Hour},
		{"2026-03-09 08:30", "2026-03-13 17:30", 40 * time.Hour},
		{"2026-03-09 12:00", "2026-03-09 14:00", time.Hour},
		{"2026-03-09 14:00", "2026-03-09 12:00", 0},
		{"2026-05-13 09:00", "2026-05-15 09:00", 8 * time.Hour},
	}
	for _, tt := range tests {
		if got := cal.Between(at(tt.a), at(tt.b)); got != tt.want {
			t.Errorf("Between(%s, %s) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
	for s, want := range map[string]bool{"2026-03-09 08:29": false, "2026-03-09 08:30": true, "2026-03-09 12:30": false,
		"2026-03-09 13:30": true, "2026-03-07 10:00": false, "2026-07-14 10:00": false, "2026-07-15 10:00": true} {
		if got := cal.Open(at(s)); got != want {
			t.Errorf("Open(%s) = %v, want %v", s, got, want)
		}
	}
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
		{Config{Hours: Hours{Timezone: "Mars/Olympus"}}, "timezone"},
		{Config{Hours: Hours{Week: map[string][]string{"lundi": {"08:00-12:00"}}}}, "not a weekday"},
		{Config{Hours: Hours{Week: map[string][]string{"monday": {"8h-12h"}}}}, "HH:MM-HH:MM"},
		{Config{Hours: Hours{Week: map[string][]string{"monday": {"12:00-08:00"}}}}, "ends before"},
		{Config{Hours: Hours{Week: map[string][]string{"monday": {"08:00-12:00", "11:00-13:00"}}}}, "overlap"},
		{Config{Hours: Hours{Week: map[string][]string{}}}, "open at some time"},
		{Config{Hours: Hours{Holidays: "germany"}}, "holidays"},
		{Config{Hours: Hours{Closed: []string{"15/05/2026"}}}, "closed"},
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
