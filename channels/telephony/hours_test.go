package telephony

import (
	"slices"
	"testing"
	"time"
)

func TestEaster(t *testing.T) {
	want := map[int]string{2000: "2000-04-23", 2019: "2019-04-21", 2024: "2024-03-31", 2025: "2025-04-20", 2026: "2026-04-05", 2027: "2027-03-28", 2038: "2038-04-25"}
	for y, d := range want {
		if got := Easter(y).Format(time.DateOnly); got != d {
			t.Errorf("Easter(%d) = %s, want %s", y, got, d)
		}
	}
}

func TestFrenchHolidays(t *testing.T) {
	got := FrenchHolidays(2026, false)
	want := []string{"2026-01-01", "2026-04-06", "2026-05-01", "2026-05-08", "2026-05-14", "2026-05-25", "2026-07-14", "2026-08-15", "2026-11-01", "2026-11-11", "2026-12-25"}
	if !slices.Equal(got, want) {
		t.Fatalf("FrenchHolidays(2026) = %v, want %v", got, want)
	}
	am := FrenchHolidays(2026, true)
	if len(am) != 13 || !slices.Contains(am, "2026-04-03") || !slices.Contains(am, "2026-12-26") {
		t.Fatalf("FrenchHolidays(2026, Alsace-Moselle) = %v, want Good Friday and 26 December too", am)
	}
}

func TestScheduleOpen(t *testing.T) {
	s, err := OfficeHours{ClosedDates: []string{"2026-12-24"}}.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, paris)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		when string
		open bool
	}{
		{"2026-11-24 10:00", true},  // Tuesday morning
		{"2026-11-24 08:29", false}, // before opening
		{"2026-11-24 08:30", true},  // opening minute
		{"2026-11-24 12:30", false}, // lunch break starts
		{"2026-11-24 13:30", true},  // afternoon
		{"2026-11-24 17:30", false}, // closed at 17:30
		{"2026-11-28 10:00", false}, // Saturday
		{"2026-11-11 10:00", false}, // Armistice (a Wednesday)
		{"2026-05-14 10:00", false}, // Ascension
		{"2026-12-24 10:00", false}, // extra closed date
		{"2026-03-30 09:00", true},  // the Monday after the switch to summer time
	}
	for _, tt := range tests {
		if got := s.Open(at(tt.when)); got != tt.open {
			t.Errorf("Open(%s Paris) = %v, want %v", tt.when, got, tt.open)
		}
	}
	// The same instant read in UTC: 08:00 UTC is 09:00 in Paris in winter (open), and
	// 07:00 UTC is 09:00 in summer.
	if !s.Open(time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)) || !s.Open(time.Date(2026, 6, 23, 7, 0, 0, 0, time.UTC)) {
		t.Error("Open() does not apply the Paris offset to UTC times")
	}
	always, _ := OfficeHours{Weekly: map[string][]string{"sunday": {"00:00-24:00"}}, Holidays: "none"}.Schedule()
	if !always.Open(at("2026-11-29 23:59")) || always.Open(at("2026-11-30 10:00")) {
		t.Error("a Sunday-only 00:00-24:00 schedule is wrong")
	}
}

func TestOfficeHoursErrors(t *testing.T) {
	bad := []OfficeHours{
		{Timezone: "Mars/Olympus"},
		{Weekly: map[string][]string{"lundi": {"08:00-12:00"}}},
		{Weekly: map[string][]string{"monday": {"8h-12h"}}},
		{Weekly: map[string][]string{"monday": {"12:00-08:00"}}},
		{Weekly: map[string][]string{"monday": {"08:00-24:30"}}},
		{Weekly: map[string][]string{"monday": {"08:61-09:00"}}},
		{Holidays: "us"},
		{ClosedDates: []string{"24/12/2026"}},
	}
	for _, o := range bad {
		if _, err := o.Schedule(); err == nil {
			t.Errorf("Schedule(%+v) = nil error", o)
		}
	}
}
