package inbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
)

// paris reads a wall-clock time in Paris.
func paris(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return v.UTC()
}

// deskFixture is a fixture from start whose Service counts SLA pauses in the default
// opening hours (Monday to Friday, 8:30-12:30 and 13:30-17:30, Paris).
func deskFixture(t *testing.T, start time.Time) *fixture {
	t.Helper()
	cal, err := calendar.New(calendar.Hours{}.WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, inbox.Config{}, inbox.WithOpeningTime(cal))
	f.clock.add(start.Sub(f.clock.now()))
	return f
}

// TestSLAPausedWhileWaitingForTheContact: a conversation set to pending stops its SLA
// clock; when the contact writes back it opens again and each deadline still ahead
// gets back the opening time it had left, counted in the desk's hours; a deadline
// already past stays past.
func TestSLAPausedWhileWaitingForTheContact(t *testing.T) {
	ctx := context.Background()
	f := deskFixture(t, paris(t, "2026-11-27 10:00")) // a Friday
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	res := f.ingest(t, email("marie@example.fr", "<1@example.fr>", "Carte d'identité", "Bonjour, quelles pièces fournir ?"))
	first, resolution, next := paris(t, "2026-11-27 12:00"), paris(t, "2026-11-30 10:00"), paris(t, "2026-11-27 09:30")
	if _, _, err := f.svc.Classify(ctx, res.ConversationID, inbox.Routing{MessageID: res.MessageID,
		FirstResponseDue: &first, ResolutionDue: &resolution, NextResponseDue: &next}); err != nil {
		t.Fatal(err)
	}

	pending := inbox.StatusPending
	c, err := f.svc.UpdateConversation(ctx, admin, res.ConversationID, inbox.Patch{Status: &pending})
	if err != nil {
		t.Fatal(err)
	}
	if c.SLAPausedAt == nil || !c.SLAPausedAt.Equal(paris(t, "2026-11-27 10:00")) || !inbox.SLAPaused(c.Status) {
		t.Fatalf("pending conversation: paused at %v, status %s; want paused at Friday 10:00", c.SLAPausedAt, c.Status)
	}

	// The contact answers on Tuesday at 14:00.
	f.clock.add(paris(t, "2026-12-01 14:00").Sub(f.clock.now()))
	again := f.ingest(t, email("marie@example.fr", "<2@example.fr>", "Re: Carte d'identité", "Voici mon justificatif.", "<1@example.fr>"))
	if again.ConversationID != res.ConversationID {
		t.Fatalf("the answer went to conversation %d, want %d", again.ConversationID, res.ConversationID)
	}
	c, err = f.store.Conversation(ctx, res.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != inbox.StatusOpen || c.SLAPausedAt != nil {
		t.Fatalf("after the answer: status %s, paused at %v; want open and running", c.Status, c.SLAPausedAt)
	}
	// Stopped for 19 opening hours: Friday 10:00-12:30 and 13:30-17:30, Monday 8 h,
	// Tuesday 8:30-12:30 and 13:30-14:00. Marie waited from Friday 10:00, when the
	// clock stopped: her wait now counts from Tuesday 14:00.
	if c.SLAPausedSeconds != 19*3600 || c.WaitingSince == nil || !c.WaitingSince.Equal(paris(t, "2026-12-01 14:00")) {
		t.Fatalf("paused %d s, waiting since %v; want 68400 s and Tuesday 14:00", c.SLAPausedSeconds, c.WaitingSince)
	}
	for _, tc := range []struct {
		name      string
		got, want *time.Time
	}{
		// 2 h were left (Friday 10:00-12:00): Tuesday 14:00 + 2 h.
		{"first response", c.FirstResponseDue, ptr(paris(t, "2026-12-01 16:00"))},
		// 8 h were left (Friday 10:00-12:30 and 13:30-17:30, Monday 8:30-10:00):
		// Tuesday 14:00-17:30, Wednesday 8:30-12:30, then 30 min after 13:30.
		{"resolution", c.ResolutionDue, ptr(paris(t, "2026-12-02 14:00"))},
		// Already past when the clock stopped: stays.
		{"next response", c.NextResponseDue, ptr(next)},
	} {
		if tc.got == nil || !tc.got.Equal(*tc.want) {
			t.Errorf("%s due %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// TestSLAPauseEndsEveryWay: the clock stops when pending or snoozed, keeps stopped from
// one to the other, restarts when the snooze ends (plain time without a calendar), and
// is cleared, deadlines unmoved, when the conversation is resolved.
func TestSLAPauseEndsEveryWay(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	res := f.ingest(t, email("paul@example.fr", "<p1@example.fr>", "Urbanisme", "Mon permis ?"))
	start := f.clock.now()
	due := start.Add(10 * time.Hour)
	if _, _, err := f.svc.Classify(ctx, res.ConversationID, inbox.Routing{MessageID: res.MessageID, ResolutionDue: &due}); err != nil {
		t.Fatal(err)
	}
	status := func(st inbox.Status, until *time.Time) inbox.Conversation {
		t.Helper()
		c, err := f.svc.UpdateConversation(ctx, admin, res.ConversationID, inbox.Patch{Status: &st, SnoozedUntil: until})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	status(inbox.StatusPending, nil)
	f.clock.add(time.Hour)
	wake := f.clock.now().Add(2 * time.Hour)
	c := status(inbox.StatusSnoozed, &wake)
	if c.SLAPausedAt == nil || !c.SLAPausedAt.Equal(start) {
		t.Fatalf("pending then snoozed: paused at %v, want %v (the first stop)", c.SLAPausedAt, start)
	}
	f.clock.add(2 * time.Hour)
	if n, err := f.svc.WakeSnoozed(ctx); err != nil || n != 1 {
		t.Fatalf("WakeSnoozed() = %d, %v", n, err)
	}
	c, _ = f.store.Conversation(ctx, res.ConversationID)
	if want := due.Add(3 * time.Hour); c.Status != inbox.StatusOpen || c.SLAPausedAt != nil || !c.ResolutionDue.Equal(want) {
		t.Fatalf("woken: %s, paused at %v, resolution due %v; want open, running, due %v", c.Status, c.SLAPausedAt, c.ResolutionDue, want)
	}

	status(inbox.StatusPending, nil)
	f.clock.add(time.Hour)
	c = status(inbox.StatusResolved, nil)
	if c.SLAPausedAt != nil || !c.ResolutionDue.Equal(due.Add(3*time.Hour)) {
		t.Fatalf("resolved while pending: paused at %v, due %v; want cleared, due unmoved", c.SLAPausedAt, c.ResolutionDue)
	}
	// Writing to the contact of a resolved conversation waits for them again: stopped.
	f.clock.add(time.Hour)
	if _, err := f.svc.Reply(ctx, admin, res.ConversationID, inbox.ReplyInput{Text: "Un dernier mot : le dossier est complet."}); err != nil {
		t.Fatal(err)
	}
	c, _ = f.store.Conversation(ctx, res.ConversationID)
	if c.Status != inbox.StatusPending || c.SLAPausedAt == nil || !c.SLAPausedAt.Equal(f.clock.now()) {
		t.Fatalf("after a reply to a resolved conversation: %s, paused at %v; want pending, stopped now", c.Status, c.SLAPausedAt)
	}
}

func ptr[T any](v T) *T { return &v }
