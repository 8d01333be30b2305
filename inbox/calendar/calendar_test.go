package calendar

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
	cal, err := New(Hours{})
	if err != nil {
		t.Fatal(err)
	}
	alsace, _ := New(Hours{Holidays: "france-alsace-moselle"})
	bridge, _ := New(Hours{Closed: []string{"2026-05-15"}})
	none, _ := New(Hours{Holidays: "none"})
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
	cal, _ := New(Hours{})
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

// TestOpenAcrossZonesAndDST reads the same calendar at instants given in UTC and around
// the switch to summer time: the Paris offset must apply.
func TestOpenAcrossZonesAndDST(t *testing.T) {
	cal, err := New(Hours{Closed: []string{"2026-12-24"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   time.Time
		open bool
	}{
		{at("2026-11-24 17:30"), false},                         // closing minute
		{at("2026-11-11 10:00"), false},                         // Armistice, a Wednesday
		{at("2026-05-14 10:00"), false},                         // Ascension
		{at("2026-12-24 10:00"), false},                         // extra closed date
		{at("2026-03-30 09:00"), true},                          // the Monday after the switch to summer time
		{time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), true},   // 09:00 in Paris in winter
		{time.Date(2026, 6, 23, 7, 0, 0, 0, time.UTC), true},    // 09:00 in Paris in summer
		{time.Date(2026, 6, 23, 6, 29, 0, 0, time.UTC), false},  // 08:29 in Paris in summer
		{time.Date(2026, 11, 24, 16, 29, 0, 0, time.UTC), true}, // 17:29 in Paris in winter
	}
	for _, tt := range tests {
		if got := cal.Open(tt.at); got != tt.open {
			t.Errorf("Open(%s) = %v, want %v", tt.at, got, tt.open)
		}
	}
	sunday, _ := New(Hours{Week: map[string][]string{"sunday": {"00:00-24:00"}}, Holidays: "none"})
	if !sunday.Open(at("2026-11-29 23:59")) || sunday.Open(at("2026-11-30 10:00")) {
		t.Error("a Sunday-only 00:00-24:00 calendar is wrong")
	}
}

func TestAlwaysAndHoliday(t *testing.T) {
	always, err := New(Hours{Always: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"2026-12-25 03:00", "2026-03-07 23:59", "2026-07-14 12:00"} {
		if !always.Open(at(s)) {
			t.Errorf("always open calendar closed at %s", s)
		}
	}
	if got := always.Between(at("2026-03-07 10:00"), at("2026-03-08 10:00")); got != 24*time.Hour {
		t.Errorf("Between over a weekend day, always open = %v, want 24h", got)
	}
	cal, _ := New(Hours{Closed: []string{"2026-05-15"}})
	for s, want := range map[string]bool{"2026-07-14 10:00": true, "2026-05-15 10:00": true, "2026-07-15 10:00": false} {
		if got := cal.Holiday(at(s)); got != want {
			t.Errorf("Holiday(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestHoursErrors(t *testing.T) {
	tests := []struct {
		h    Hours
		want string
	}{
		{Hours{Timezone: "Mars/Olympus"}, "timezone"},
		{Hours{Holidays: "belgium"}, "holidays"},
		{Hours{Week: map[string][]string{"lundi": {"09:00-12:00"}}}, "week"},
		{Hours{Week: map[string][]string{"monday": {"9h-12h"}}}, "week.monday"},
		{Hours{Week: map[string][]string{"monday": {"12:00-09:00"}}}, "week.monday"},
		{Hours{Week: map[string][]string{"monday": {"09:00-12:00", "11:00-13:00"}}}, "overlap"},
		{Hours{Week: map[string][]string{}}, "open at some time"},
		{Hours{Week: map[string][]string{"monday": {"08:00-24:30"}}}, "week.monday"},
		{Hours{Week: map[string][]string{"monday": {"08:61-09:00"}}}, "week.monday"},
		{Hours{Closed: []string{"15/05/2026"}}, "closed"},
	}
	for _, tt := range tests {
		if _, err := New(tt.h); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error mentioning %q", tt.h, err, tt.want)
		}
	}
}

// TestHolidayEveryDay holds Holiday, which keeps each year's holidays once computed,
// to the Holidays list for every day of several years, both variants, asked in an
// order that crosses years back and forth.
func TestHolidayEveryDay(t *testing.T) {
	for _, variant := range []string{"france", "france-alsace-moselle"} {
		cal, err := New(Hours{Holidays: variant})
		if err != nil {
			t.Fatal(err)
		}
		for _, year := range []int{2031, 2024, 2026, 2025, 2038, 2026} {
			want := map[string]bool{}
			for _, h := range Holidays(year, variant == "france-alsace-moselle") {
				want[time.Date(year, h.Month, h.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)] = true
			}
			for d := time.Date(year, 1, 1, 12, 0, 0, 0, cal.Location()); d.Year() == year; d = d.AddDate(0, 0, 1) {
				if got := cal.Holiday(d); got != want[d.Format(time.DateOnly)] {
					t.Fatalf("%s: Holiday(%s) = %v", variant, d.Format(time.DateOnly), got)
				}
			}
		}
	}
}
