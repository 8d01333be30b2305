package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// testConversationsChanged checks the listing the search indexer catches up with: by
// (updated_at, id), from a time, in pages that neither skip nor repeat.
func testConversationsChanged(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var ids []int64
	for i := range 7 {
		_, c := seed(t, s, channels.Email, "")
		// Three share one time, to exercise the id tie-breaker.
		c.UpdatedAt = t0.Add(time.Duration(min(i, 4)) * time.Minute)
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateConversation(ctx, &c) })
		ids = append(ids, c.ID)
	}
	var got []int64
	var after *inbox.Cursor
	for range 10 {
		page, err := s.ConversationsChanged(ctx, t0.Add(time.Minute), after, 2)
		if err != nil {
			t.Fatalf("ConversationsChanged() = %v", err)
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			got = append(got, c.ID)
		}
		last := page[len(page)-1]
		after = &inbox.Cursor{Time: last.UpdatedAt.UnixMicro(), ID: last.ID}
	}
	if want := ids[1:]; !slices.Equal(got, want) {
		t.Fatalf("ConversationsChanged(since t0+1m) pages = %v, want %v", got, want)
	}
	if _, err := s.ConversationsChanged(ctx, t0, nil, 0); err == nil {
		t.Fatalf("ConversationsChanged(limit 0) = nil error, want one")
	}
}

// testBulkReads checks the by-id reads of the indexer: missing ids are left out,
// messages come without attachments, contacts with their identities.
func testBulkReads(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	ct1, c1 := seed(t, s, channels.Email, "")
	ct2, c2 := seed(t, s, channels.SMS, "")
	var m1, m2, m3 inbox.Message
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		m1 = inbox.Message{ConversationID: c1.ID, Kind: inbox.KindIn, Channel: channels.Email, Text: "un", CreatedAt: t0,
			Attachments: []inbox.Attachment{{Filename: "a.pdf", Size: 1, SHA256: "x"}}}
		m2 = inbox.Message{ConversationID: c2.ID, Kind: inbox.KindNote, Channel: channels.SMS, Text: "deux", CreatedAt: t0}
		m3 = inbox.Message{ConversationID: c1.ID, Kind: inbox.KindOut, Channel: channels.Email, Text: "trois", CreatedAt: t0}
		for _, m := range []*inbox.Message{&m1, &m2, &m3} {
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
		}
		return tx.AddIdentity(ctx, ct2.ID, inbox.Identity{Kind: channels.KindPhone, Value: "+33612345678"})
	})
	msgs, err := s.MessagesByID(ctx, []int64{m2.ID, 999999, m1.ID})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("MessagesByID(two known, one unknown) = %d messages, %v; want 2", len(msgs), err)
	}
	for _, m := range msgs {
		if len(m.Attachments) != 0 || (m.ID != m1.ID && m.ID != m2.ID) {
			t.Fatalf("MessagesByID() returned %+v, want m1 or m2 without attachments", m)
		}
	}
	of, err := s.MessagesOf(ctx, []int64{c2.ID, c1.ID})
	if err != nil {
		t.Fatalf("MessagesOf() = %v", err)
	}
	var gotIDs []int64
	for _, m := range of {
		gotIDs = append(gotIDs, m.ID)
	}
	want := []int64{m1.ID, m3.ID, m2.ID}
	if c2.ID < c1.ID {
		want = []int64{m2.ID, m1.ID, m3.ID}
	}
	if !slices.Equal(gotIDs, want) {
		t.Fatalf("MessagesOf(c1, c2) = %v, want %v (by conversation, then id)", gotIDs, want)
	}
	convs, err := s.ConversationsByID(ctx, []int64{c1.ID, c2.ID, 424242})
	if err != nil || len(convs) != 2 {
		t.Fatalf("ConversationsByID() = %d, %v; want 2", len(convs), err)
	}
	cts, err := s.ContactsByID(ctx, []int64{ct1.ID, ct2.ID})
	if err != nil || len(cts) != 2 {
		t.Fatalf("ContactsByID() = %d, %v; want 2", len(cts), err)
	}
	for _, c := range cts {
		wantIDs := 1
		if c.ID == ct2.ID {
			wantIDs = 2
		}
		if len(c.Identities) != wantIDs {
			t.Fatalf("ContactsByID(): contact %d has %d identities, want %d", c.ID, len(c.Identities), wantIDs)
		}
	}
	if n, err := s.CountMessages(ctx); err != nil || n != 3 {
		t.Fatalf("CountMessages() = %d, %v; want 3", n, err)
	}
	if empty, err := s.MessagesByID(ctx, nil); err != nil || len(empty) != 0 {
		t.Fatalf("MessagesByID(nil) = %v, %v; want empty", empty, err)
	}
	tooMany := make([]int64, inbox.MaxBulkIDs+1)
	if _, err := s.MessagesByID(ctx, tooMany); err == nil {
		t.Fatalf("MessagesByID(%d ids) = nil error, want one", len(tooMany))
	}
}

// testSavedSearches checks saved searches are per user, unique by name, deletable only
// by their owner.
func testSavedSearches(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var a, b inbox.User
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		a = inbox.User{Email: "a@x.fr", Name: "A", Role: inbox.RoleSupervisor, CreatedAt: t0}
		b = inbox.User{Email: "b@x.fr", Name: "B", Role: inbox.RoleAgent, CreatedAt: t0}
		if err := tx.CreateUser(ctx, &a); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &b)
	})
	sv := inbox.SavedSearch{UserID: a.ID, Name: "Réclamations", Params: "q=r%C3%A9clamation&status=open", CreatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateSavedSearch(ctx, &sv) })
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		dup := inbox.SavedSearch{UserID: a.ID, Name: "Réclamations", CreatedAt: t0}
		return tx.CreateSavedSearch(ctx, &dup)
	})
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("CreateSavedSearch(same user, same name) = %v, want ErrDuplicate", err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		other := inbox.SavedSearch{UserID: b.ID, Name: "Réclamations", CreatedAt: t0}
		return tx.CreateSavedSearch(ctx, &other)
	})
	got, err := s.SavedSearches(ctx, a.ID)
	if err != nil || len(got) != 1 || got[0].Params != sv.Params || !got[0].CreatedAt.Equal(t0) {
		t.Fatalf("SavedSearches(a) = %+v, %v; want the one saved", got, err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.DeleteSavedSearch(ctx, b.ID, sv.ID) })
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("DeleteSavedSearch(by another user) = %v, want ErrNotFound", err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.DeleteSavedSearch(ctx, a.ID, sv.ID) })
	if got, _ := s.SavedSearches(ctx, a.ID); len(got) != 0 {
		t.Fatalf("SavedSearches(a) after delete = %+v, want none", got)
	}
}
