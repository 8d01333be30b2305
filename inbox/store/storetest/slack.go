package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// testSlackEvents: stored once per event id, pending until finished, retried later.
func testSlackEvents(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	add := func(id string, at time.Time) error {
		return s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
			return tx.AddSlackEvent(ctx, inbox.SlackEvent{EventID: id, TeamID: "T1", Body: []byte(`{"event_id":"` + id + `"}`), ReceivedAt: at})
		})
	}
	for i, id := range []string{"Ev1", "Ev2", "Ev3"} {
		if err := add(id, t0.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatalf("AddSlackEvent(%s) = %v", id, err)
		}
	}
	if err := add("Ev1", t0); !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("AddSlackEvent(Ev1 again) = %v, want ErrDuplicate", err)
	}
	pending := func(now time.Time) []string {
		t.Helper()
		evs, err := s.PendingSlackEvents(ctx, now, 10)
		if err != nil {
			t.Fatalf("PendingSlackEvents() = %v", err)
		}
		var ids []string
		for _, e := range evs {
			ids = append(ids, e.EventID)
		}
		return ids
	}
	if got := fmt.Sprint(pending(t0.Add(time.Hour))); got != "[Ev1 Ev2 Ev3]" {
		t.Fatalf("PendingSlackEvents = %s, want [Ev1 Ev2 Ev3]", got)
	}
	if got := fmt.Sprint(pending(t0.Add(time.Second))); got != "[Ev1 Ev2]" {
		t.Fatalf("PendingSlackEvents(at t0+1s) = %s, want the two due", got)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		if err := tx.FinishSlackEvent(ctx, "Ev1", t0, ""); err != nil {
			return err
		}
		return tx.RetrySlackEvent(ctx, "Ev2", t0.Add(time.Hour), "slack down")
	})
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.FinishSlackEvent(ctx, "Ev1", t0, "") })
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("FinishSlackEvent(done) = %v, want ErrDuplicate", err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.FinishSlackEvent(ctx, "Nope", t0, "") })
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("FinishSlackEvent(unknown) = %v, want ErrNotFound", err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.RetrySlackEvent(ctx, "Ev1", t0, "") })
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("RetrySlackEvent(done) = %v, want ErrNotFound", err)
	}
	if got := fmt.Sprint(pending(t0.Add(time.Minute))); got != "[Ev3]" {
		t.Fatalf("PendingSlackEvents after finish and retry = %s, want [Ev3]", got)
	}
	evs, _ := s.PendingSlackEvents(ctx, t0.Add(2*time.Hour), 10)
	if len(evs) != 2 || evs[0].EventID != "Ev2" || evs[0].Attempts != 1 || evs[0].LastError != "slack down" || string(evs[0].Body) != `{"event_id":"Ev2"}` {
		t.Fatalf("PendingSlackEvents(later) = %+v, want Ev2 with one failed attempt first", evs)
	}
	// Purging removes done events only; a purged id can be stored again.
	var purged int64
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		var err error
		purged, err = tx.PurgeSlackEvents(ctx, t0.Add(time.Second))
		return err
	})
	if purged != 1 {
		t.Fatalf("PurgeSlackEvents() = %d, want 1 (Ev1)", purged)
	}
	if got := fmt.Sprint(pending(t0.Add(2 * time.Hour))); got != "[Ev2 Ev3]" {
		t.Fatalf("PendingSlackEvents after purge = %s, want [Ev2 Ev3]", got)
	}
	if err := add("Ev1", t0); err != nil {
		t.Fatalf("AddSlackEvent(purged id) = %v", err)
	}
}

// testSlackLinks: threads and messages linked once on either key.
func testSlackLinks(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	ct, c := seed(t, s, channels.Email, "")
	_, c2 := seed(t, s, channels.Email, "")
	var m inbox.Message
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		m = inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Email, ContactID: ct.ID, Text: "x", CreatedAt: t0}
		if err := tx.CreateMessage(ctx, &m); err != nil {
			return err
		}
		if err := tx.AddSlackThread(ctx, inbox.SlackThread{ConversationID: c.ID, TeamID: "T1", ChannelID: "C1", ThreadTS: "1.1", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AddSlackMessage(ctx, inbox.SlackMessage{MessageID: m.ID, TeamID: "T1", ChannelID: "C1", TS: "1.2"})
	})
	dups := []struct {
		name string
		fn   func(ctx context.Context, tx inbox.Tx) error
	}{
		{"thread: same conversation", func(ctx context.Context, tx inbox.Tx) error {
			return tx.AddSlackThread(ctx, inbox.SlackThread{ConversationID: c.ID, TeamID: "T1", ChannelID: "C1", ThreadTS: "9.9", CreatedAt: t0})
		}},
		{"thread: same ts", func(ctx context.Context, tx inbox.Tx) error {
			return tx.AddSlackThread(ctx, inbox.SlackThread{ConversationID: c2.ID, TeamID: "T1", ChannelID: "C1", ThreadTS: "1.1", CreatedAt: t0})
		}},
		{"message: same message", func(ctx context.Context, tx inbox.Tx) error {
			return tx.AddSlackMessage(ctx, inbox.SlackMessage{MessageID: m.ID, TeamID: "T1", ChannelID: "C1", TS: "9.9"})
		}},
		{"message: same slack ts", func(ctx context.Context, tx inbox.Tx) error {
			m2 := inbox.Message{ConversationID: c.ID, Kind: inbox.KindNote, Channel: channels.Email, Text: "y", CreatedAt: t0}
			if err := tx.CreateMessage(ctx, &m2); err != nil {
				return err
			}
			return tx.AddSlackMessage(ctx, inbox.SlackMessage{MessageID: m2.ID, TeamID: "T1", ChannelID: "C1", TS: "1.2"})
		}},
	}
	for _, d := range dups {
		if err := s.Write(ctx, d.fn); !errors.Is(err, inbox.ErrDuplicate) {
			t.Errorf("%s: = %v, want ErrDuplicate", d.name, err)
		}
	}
	th, err := s.SlackThreadByConversation(ctx, c.ID)
	if err != nil || th.ThreadTS != "1.1" || th.ChannelID != "C1" || !th.CreatedAt.Equal(t0) {
		t.Fatalf("SlackThreadByConversation(%d) = %+v, %v", c.ID, th, err)
	}
	if th, err := s.SlackThreadByTS(ctx, "T1", "C1", "1.1"); err != nil || th.ConversationID != c.ID {
		t.Fatalf("SlackThreadByTS() = %+v, %v; want conversation %d", th, err, c.ID)
	}
	if _, err := s.SlackThreadByTS(ctx, "T2", "C1", "1.1"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("SlackThreadByTS(other team) = %v, want ErrNotFound", err)
	}
	if _, err := s.SlackThreadByConversation(ctx, c2.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("SlackThreadByConversation(unlinked) = %v, want ErrNotFound", err)
	}
	if sm, err := s.SlackMessageByID(ctx, m.ID); err != nil || sm.TS != "1.2" || sm.TeamID != "T1" {
		t.Fatalf("SlackMessageByID(%d) = %+v, %v", m.ID, sm, err)
	}
	if _, err := s.SlackMessageByID(ctx, m.ID+1000); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("SlackMessageByID(unknown) = %v, want ErrNotFound", err)
	}
}
