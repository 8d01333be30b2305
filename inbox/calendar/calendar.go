// Package calendar tells when the organisation is open: opening hours per weekday in
// a time zone, French public holidays (Easter-based ones computed, with the Alsace and
// Moselle variant) and extra closed days. The router measures SLA deadlines in opening
// time with it; the telephony and webchat adapters decide whether the desk answers.
package calendar

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the calendar's time zone must load on machines without zoneinfo
)

// Hours are opening hours, as configured.
type Hours struct {
	// Always means open at every hour of every day, holidays included (a desk that
	// never closes, the demo site).
	Always bool `yaml:"always"`
	// Timezone is an IANA zone, Europe/Paris by default.
	Timezone string `yaml:"timezone"`
	// Week maps weekday names (monday … sunday) to opening ranges "HH:MM-HH:MM". A day
	// absent from the map is closed.
	Week map[string][]string `yaml:"week"`
	// Holidays is france (the 11 French public holidays, Easter-based ones computed),
	// france-alsace-moselle (plus Good Friday and 26 December) or none.
	Holidays string `yaml:"holidays"`
	// Closed lists extra closed dates, YYYY-MM-DD (a bridge day, a staff day).
	Closed []string `yaml:"closed"`
}

// Defaults for Hours.
const (
	DefaultTimezone = "Europe/Paris"
	DefaultHolidays = "france"
)

// DefaultWeek returns the week of WithDefaults: open Monday to Friday, 8:30-12:30 and
// 13:30-17:30, the usual hours of a French front desk, eight hours a day.
func DefaultWeek() map[string][]string {
	day := func() []string { return []string{"08:30-12:30", "13:30-17:30"} }
	return map[string][]string{"monday": day(), "tuesday": day(), "wednesday": day(), "thursday": day(), "friday": day()}
}

// WithDefaults fills zero fields.
func (h Hours) WithDefaults() Hours {
	if h.Timezone == "" {
		h.Timezone = DefaultTimezone
	}
	if h.Week == nil && !h.Always {
		h.Week = DefaultWeek()
	}
	if h.Holidays == "" {
		h.Holidays = DefaultHolidays
	}
	return h
}

// span is an opening range of a day, in minutes after midnight.
type span struct{ from, to int }

// Calendar tells when the desk is open and measures durations in opening time. It is
// immutable and safe for concurrent use.
type Calendar struct {
	always   bool
	loc      *time.Location
	week     [7][]span
	holidays string
	closed   map[civil]bool
	// years caches, by year, the holidays of that year as a bit per day of each
	// month (*[13]uint32): a business-hours sum asks for every day it crosses.
	years sync.Map
}

// civil is a calendar date.
type civil struct {
	y int
	m time.Month
	d int
}

// New compiles h (after defaults). Errors name the faulty key relative to the hours'
// own section (timezone, week.monday, holidays, closed).
func New(h Hours) (*Calendar, error) {
	h = h.WithDefaults()
	loc, err := time.LoadLocation(h.Timezone)
	if err != nil {
		return nil, fmt.Errorf("timezone: %q: %v", h.Timezone, err)
	}
	c := &Calendar{loc: loc, holidays: h.Holidays, closed: map[civil]bool{}}
	switch h.Holidays {
	case "france", "france-alsace-moselle", "none":
	default:
		return nil, fmt.Errorf("holidays: %q is not france, france-alsace-moselle or none", h.Holidays)
	}
	if h.Always {
		c.always, c.holidays = true, "none"
		for wd := range c.week {
			c.week[wd] = []span{{0, 24 * 60}}
		}
		return c, nil
	}
	open := 0
	for day, ranges := range h.Week {
		wd := weekday(day)
		if wd < 0 {
			return nil, fmt.Errorf("week: %q is not a weekday name (monday … sunday)", day)
		}
		for _, r := range ranges {
			sp, err := parseSpan(r)
			if err != nil {
				return nil, fmt.Errorf("week.%s: %w", day, err)
			}
			c.week[wd] = append(c.week[wd], sp)
			open += sp.to - sp.from
		}
		slices.SortFunc(c.week[wd], func(a, b span) int { return a.from - b.from })
		for i := 1; i < len(c.week[wd]); i++ {
			if c.week[wd][i].from < c.week[wd][i-1].to {
				return nil, fmt.Errorf("week.%s: ranges overlap", day)
			}
		}
	}
	if open == 0 {
		return nil, errors.New("week: the desk must be open at some time of the week (or always: true)")
	}
	for _, d := range h.Closed {
		t, err := time.Parse(time.DateOnly, d)
		if err != nil {
			return nil, fmt.Errorf("closed: %q is not a date YYYY-MM-DD", d)
		}
		c.closed[civil{t.Year(), t.Month(), t.Day()}] = true
	}
	return c, nil
}

// weekday returns the time.Weekday index of an English day name, or -1.
func weekday(name string) int {
	switch strings.ToLower(name) {
	case "sunday":
		return 0
	case "monday":
		return 1
	case "tuesday":
		return 2
	case "wednesday":
		return 3
	case "thursday":
		return 4
	case "friday":
		return 5
	case "saturday":
		return 6
	}
	return -1
}

func parseSpan(r string) (span, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(r), "-")
	if !ok {
		return span{}, fmt.Errorf("%q is not a range HH:MM-HH:MM", r)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return span{}, fmt.Errorf("%q is not a range HH:MM-HH:MM", r)
	}
	if to <= from {
		return span{}, fmt.Errorf("%q ends before it starts", r)
	}
	return span{from, to}, nil
}

func parseClock(s string) (int, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) || len(m) != 2 {
		return 0, errors.New("bad time")
	}
	return hh*60 + mm, nil
}

// Location returns the calendar's time zone.
func (c *Calendar) Location() *time.Location { return c.loc }

// openings returns the opening ranges of the local day d as times.
func (c *Calendar) openings(d civil, fn func(from, to time.Time) bool) bool {
	if c.closed[d] || c.isHoliday(d) {
		return true
	}
	wd := time.Date(d.y, d.m, d.d, 12, 0, 0, 0, c.loc).Weekday()
	for _, sp := range c.week[wd] {
		from := time.Date(d.y, d.m, d.d, sp.from/60, sp.from%60, 0, 0, c.loc)
		to := time.Date(d.y, d.m, d.d, sp.to/60, sp.to%60, 0, 0, c.loc)
		if !fn(from, to) {
			return false
		}
	}
	return true
}

func (c *Calendar) isHoliday(d civil) bool {
	if c.holidays == "none" {
		return false
	}
	days, ok := c.years.Load(d.y)
	if !ok {
		var bits [13]uint32
		for _, h := range Holidays(d.y, c.holidays == "france-alsace-moselle") {
			bits[h.Month] |= 1 << h.Day
		}
		days, _ = c.years.LoadOrStore(d.y, &bits)
	}
	return days.(*[13]uint32)[d.m]&(1<<d.d) != 0
}

func (c *Calendar) day(t time.Time) civil {
	t = t.In(c.loc)
	return civil{t.Year(), t.Month(), t.Day()}
}

func next(d civil) civil {
	t := time.Date(d.y, d.m, d.d+1, 12, 0, 0, 0, time.UTC)
	return civil{t.Year(), t.Month(), t.Day()}
}

// maxDays bounds the search for opening time: a calendar open at least once a week
// never needs more than a few weeks, even across holidays and closed days.
const maxDays = 3660

// Holiday reports whether t falls on a public holiday or an extra closed day.
func (c *Calendar) Holiday(t time.Time) bool {
	d := c.day(t)
	return c.closed[d] || c.isHoliday(d)
}

// Open reports whether the desk is open at t.
func (c *Calendar) Open(t time.Time) bool {
	if c.always {
		return true
	}
	open := false
	c.openings(c.day(t), func(from, to time.Time) bool {
		if !t.Before(from) && t.Before(to) {
			open = true
			return false
		}
		return true
	})
	return open
}

// Add returns the instant at which d of opening time will have passed after t. With d
// zero it returns the first open instant at or after t.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	day := c.day(t)
	for range maxDays {
		var out time.Time
		done := !c.openings(day, func(from, to time.Time) bool {
			if !to.After(t) {
				return true
			}
			start := from
			if t.After(from) {
				start = t
			}
			avail := to.Sub(start)
			if d < avail || (d == avail && d > 0) {
				out = start.Add(d)
				return false
			}
			d -= avail
			return true
		})
		if done {
			return out
		}
		day = next(day)
	}
	return t.Add(maxDays * 24 * time.Hour) // unreachable with a validated calendar
}

// Between returns the opening time between a and b (zero when b is not after a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	var total time.Duration
	last := c.day(b)
	day := c.day(a)
	for range maxDays {
		c.openings(day, func(from, to time.Time) bool {
			if from.Before(a) {
				from = a
			}
			if to.After(b) {
				to = b
			}
			if to.After(from) {
				total += to.Sub(from)
			}
			return true
		})
		if day == last {
			break
		}
		day = next(day)
	}
	return total
}

// Holiday is a public holiday.
type Holiday struct {
	Month time.Month
	Day   int
	Name  string
}

// Holidays returns the French public holidays of year, in date order; alsaceMoselle adds
// the two local ones of Alsace and Moselle.
func Holidays(year int, alsaceMoselle bool) []Holiday {
	em, ed := Easter(year)
	easter := time.Date(year, em, ed, 12, 0, 0, 0, time.UTC)
	rel := func(days int, name string) Holiday {
		t := easter.AddDate(0, 0, days)
		return Holiday{t.Month(), t.Day(), name}
	}
	hs := []Holiday{
		{time.January, 1, "Jour de l'an"},
		rel(1, "Lundi de Pâques"),
		{time.May, 1, "Fête du Travail"},
		{time.May, 8, "Victoire 1945"},
		rel(39, "Ascension"),
		rel(50, "Lundi de Pentecôte"),
		{time.July, 14, "Fête nationale"},
		{time.August, 15, "Assomption"},
		{time.November, 1, "Toussaint"},
		{time.November, 11, "Armistice 1918"},
		{time.December, 25, "Noël"},
	}
	if alsaceMoselle {
		hs = append(hs, rel(-2, "Vendredi saint"), Holiday{time.December, 26, "Saint-Étienne"})
	}
	slices.SortFunc(hs, func(a, b Holiday) int {
		if a.Month != b.Month {
			return int(a.Month) - int(b.Month)
		}
		return a.Day - b.Day
	})
	return hs
}

// Easter returns the date of Easter Sunday of a Gregorian year (the anonymous
// Gregorian algorithm, also known as Meeus/Jones/Butcher).
func Easter(year int) (time.Month, int) {
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
	return time.Month(month), day
}
