package telephony

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // office hours need Europe/Paris even on hosts without a zone database
)

// OfficeHours is when the desk answers the phone.
type OfficeHours struct {
	// Timezone is the IANA zone the hours are in.
	Timezone string `yaml:"timezone"`
	// Weekly maps lower-case English day names to "HH:MM-HH:MM" ranges; a day absent
	// is closed.
	Weekly map[string][]string `yaml:"weekly"`
	// Holidays closes on public holidays: fr (France), fr-alsace-moselle (adds Good
	// Friday and 26 December), or none.
	Holidays string `yaml:"holidays"`
	// ClosedDates are extra closed days, YYYY-MM-DD.
	ClosedDates []string `yaml:"closed_dates"`
}

// Defaults for OfficeHours.
const (
	DefaultTimezone = "Europe/Paris"
	DefaultHolidays = "fr"
)

// defaultWeekly: the usual French public-desk hours, Monday to Friday with a lunch break.
var defaultWeekly = map[string][]string{
	"monday": {"08:30-12:30", "13:30-17:30"}, "tuesday": {"08:30-12:30", "13:30-17:30"},
	"wednesday": {"08:30-12:30", "13:30-17:30"}, "thursday": {"08:30-12:30", "13:30-17:30"},
	"friday": {"08:30-12:30", "13:30-17:30"},
}

// WithDefaults fills zero fields.
func (o OfficeHours) WithDefaults() OfficeHours {
	if o.Timezone == "" {
		o.Timezone = DefaultTimezone
	}
	if o.Weekly == nil {
		o.Weekly = defaultWeekly
	}
	if o.Holidays == "" {
		o.Holidays = DefaultHolidays
	}
	return o
}

// Schedule is compiled office hours. Safe for concurrent use.
type Schedule struct {
	loc      *time.Location
	days     [7][]span // by time.Weekday
	holidays string
	closed   map[string]bool
}

// span is a range of minutes after midnight, [from, to).
type span struct{ from, to int }

var weekdays = map[string]time.Weekday{
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

// Schedule compiles o, reporting the first malformed setting.
func (o OfficeHours) Schedule() (*Schedule, error) {
	o = o.WithDefaults()
	loc, err := time.LoadLocation(o.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone %q: %w", o.Timezone, err)
	}
	s := &Schedule{loc: loc, holidays: o.Holidays, closed: map[string]bool{}}
	switch o.Holidays {
	case "fr", "fr-alsace-moselle", "none":
	default:
		return nil, fmt.Errorf("holidays %q is not fr, fr-alsace-moselle or none", o.Holidays)
	}
	for day, ranges := range o.Weekly {
		wd, ok := weekdays[strings.ToLower(day)]
		if !ok {
			return nil, fmt.Errorf("weekly: %q is not a day name (monday...sunday)", day)
		}
		for _, r := range ranges {
			sp, err := parseSpan(r)
			if err != nil {
				return nil, fmt.Errorf("weekly %s: %w", day, err)
			}
			s.days[wd] = append(s.days[wd], sp)
		}
		slices.SortFunc(s.days[wd], func(a, b span) int { return a.from - b.from })
	}
	for _, d := range o.ClosedDates {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			return nil, fmt.Errorf("closed_dates: %q is not YYYY-MM-DD", d)
		}
		s.closed[d] = true
	}
	return s, nil
}

// parseSpan reads "HH:MM-HH:MM"; 24:00 is the end of the day.
func parseSpan(r string) (span, error) {
	a, b, ok := strings.Cut(strings.ReplaceAll(r, " ", ""), "-")
	if !ok {
		return span{}, fmt.Errorf("%q is not HH:MM-HH:MM", r)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil || from >= to {
		return span{}, fmt.Errorf("%q is not HH:MM-HH:MM with the start before the end", r)
	}
	return span{from, to}, nil
}

func parseClock(s string) (int, error) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, fmt.Errorf("bad time")
	}
	if _, err := fmt.Sscanf(s, "%2d:%2d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("bad time")
	}
	return h*60 + m, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Open reports whether the desk answers at t.
func (s *Schedule) Open(t time.Time) bool {
	t = t.In(s.loc)
	if s.closed[t.Format(time.DateOnly)] || s.Holiday(t) {
		return false
	}
	min := t.Hour()*60 + t.Minute()
	for _, sp := range s.days[t.Weekday()] {
		if min >= sp.from && min < sp.to {
			return true
		}
	}
	return false
}

// Holiday reports whether t's date (in the schedule's zone) is a public holiday.
func (s *Schedule) Holiday(t time.Time) bool {
	if s.holidays == "none" {
		return false
	}
	t = t.In(s.loc)
	return slices.Contains(FrenchHolidays(t.Year(), s.holidays == "fr-alsace-moselle"), t.Format(time.DateOnly))
}

// FrenchHolidays lists the French public holidays of year as YYYY-MM-DD: the eight
// fixed ones and Easter Monday, Ascension and Whit Monday; alsaceMoselle adds Good
// Friday and 26 December.
func FrenchHolidays(year int, alsaceMoselle bool) []string {
	easter := Easter(year)
	days := []time.Time{
		date(year, 1, 1), date(year, 5, 1), date(year, 5, 8), date(year, 7, 14),
		date(year, 8, 15), date(year, 11, 1), date(year, 11, 11), date(year, 12, 25),
		easter.AddDate(0, 0, 1), easter.AddDate(0, 0, 39), easter.AddDate(0, 0, 50),
	}
	if alsaceMoselle {
		days = append(days, easter.AddDate(0, 0, -2), date(year, 12, 26))
	}
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = d.Format(time.DateOnly)
	}
	slices.Sort(out)
	return out
}

// Easter returns Easter Sunday of year in the Gregorian calendar (the anonymous
// Gregorian algorithm, also known as Meeus/Jones/Butcher).
func Easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return date(year, month, day)
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
