package inbox

import "time"

// The SLA clock stops while the desk waits for the contact.
//
// A conversation set to pending (waiting for the contact: a missing document, an
// answer to a question) or snoozed is not late on its deadlines while it waits: its
// SLA clock stops (SLAPausedAt), the router records no warning or breach and gives no
// deadline points to its priority. When it opens again (the contact writes back, an
// agent reopens it, the snooze ends), each deadline still ahead when the clock stopped
// gets back the opening time it had left, and the targets counted from the creation
// start later by the opening time spent stopped (SLAPausedSeconds), so that their
// warnings, at a share of their time, do not fire at once. A deadline already past when
// the clock stopped stays past; a resolved conversation's clock is simply cleared.

// OpeningTime measures and adds the desk's opening time (its business hours), in which
// SLA deadlines are counted. The router's SLA calendar is one; without one the Service
// counts plain time.
type OpeningTime interface {
	Between(a, b time.Time) time.Duration
	Add(t time.Time, d time.Duration) time.Time
}

// WithOpeningTime makes the Service count the time an SLA clock was stopped in o.
func WithOpeningTime(o OpeningTime) Option { return func(s *Service) { s.opening = o } }

// SLAPaused reports whether the SLA clock of a conversation in status st is stopped.
func SLAPaused(st Status) bool { return st == StatusPending || st == StatusSnoozed }

// setStatus moves c to status to at now, and stops or restarts its SLA clock. It
// returns the status c had.
func (s *Service) setStatus(c *Conversation, to Status, now time.Time) Status {
	from := c.Status
	c.Status = to
	switch {
	case SLAPaused(to):
		if c.SLAPausedAt == nil {
			at := now
			c.SLAPausedAt = &at
		}
	case c.SLAPausedAt != nil:
		if paused := *c.SLAPausedAt; to == StatusOpen && now.After(paused) {
			if c.FirstResponseAt == nil {
				c.FirstResponseDue = s.resume(c.FirstResponseDue, paused, now)
			}
			c.NextResponseDue = s.resume(c.NextResponseDue, paused, now)
			c.ResolutionDue = s.resume(c.ResolutionDue, paused, now)
			// The targets counted from the creation start that much later (their
			// warnings come at the same share of their time), and a contact who was
			// waiting before the pause has waited only outside it.
			c.SLAPausedSeconds += int64(s.openingBetween(paused, now) / time.Second)
			if c.WaitingSince != nil && !c.WaitingSince.After(paused) {
				w := c.WaitingSince.Add(now.Sub(paused))
				c.WaitingSince = &w
			}
		}
		c.SLAPausedAt = nil
	}
	return from
}

// openingBetween is the opening time from a to b (plain time without a calendar).
func (s *Service) openingBetween(a, b time.Time) time.Duration {
	if s.opening != nil {
		return s.opening.Between(a, b)
	}
	return b.Sub(a)
}

// resume returns deadline due of a clock stopped at paused and restarted at now: the
// time it had left at paused, counted from now.
func (s *Service) resume(due *time.Time, paused, now time.Time) *time.Time {
	if due == nil || !due.After(paused) || !now.After(paused) {
		return due
	}
	left := s.openingBetween(paused, *due)
	moved := now.Add(left)
	if s.opening != nil {
		moved = s.opening.Add(now, left)
	}
	moved = moved.UTC().Truncate(time.Microsecond)
	return &moved
}
