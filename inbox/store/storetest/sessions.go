package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func testSessions(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var u inbox.User
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		u = inbox.User{Email: "s@x.fr", Name: "S", Role: inbox.RoleAgent, CreatedAt: t0}
		return tx.CreateUser(ctx, &u)
	})
	h1, h2 := []byte("hash-one-0123456789abcdef0123456"), []byte("hash-two-0123456789abcdef0123456")
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		if err := tx.CreateSession(ctx, h1, inbox.Session{UserID: u.ID, CSRF: "c1", UserAgent: "Firefox", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		return tx.CreateSession(ctx, h2, inbox.Session{UserID: u.ID, CSRF: "c2", CreatedAt: t0, ExpiresAt: t0.Add(time.Minute)})
	})
	sess, got, err := s.SessionByHash(ctx, h1, t0.Add(30*time.Minute))
	if err != nil || got.ID != u.ID || sess.CSRF != "c1" || sess.UserAgent != "Firefox" || !sess.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("SessionByHash() = %+v, %+v, %v", sess, got, err)
	}
	if _, _, err := s.SessionByHash(ctx, h2, t0.Add(2*time.Minute)); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("SessionByHash(expired) = %v, want ErrNotFound", err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		n, err := tx.DeleteExpiredSessions(ctx, t0.Add(2*time.Minute))
		if err == nil && n != 1 {
			t.Errorf("DeleteExpiredSessions() = %d, want 1", n)
		}
		return err
	})
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.DeleteSession(ctx, h1) })
	if _, _, err := s.SessionByHash(ctx, h1, t0); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("SessionByHash(deleted) = %v, want ErrNotFound", err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		if err := tx.CreateSession(ctx, h1, inbox.Session{UserID: u.ID, CSRF: "c", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			return err
		}
		n, err := tx.DeleteSessions(ctx, u.ID)
		if err == nil && n != 1 {
			t.Errorf("DeleteSessions() = %d, want 1", n)
		}
		return err
	})
}

func testReadMarkers(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var u inbox.User
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		u = inbox.User{Email: "r@x.fr", Name: "R", Role: inbox.RoleAgent, CreatedAt: t0}
		return tx.CreateUser(ctx, &u)
	})
	ct, c := seed(t, s, channels.Email, "")
	_, quiet := seed(t, s, channels.Email, "")
	var ids []int64
	for _, kind := range []inbox.MessageKind{inbox.KindIn, inbox.KindIn, inbox.KindOut, inbox.KindIn} {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error {
			m := inbox.Message{ConversationID: c.ID, Kind: kind, Channel: channels.Email, ContactID: ct.ID, CreatedAt: t0}
			err := tx.CreateMessage(ctx, &m)
			ids = append(ids, m.ID)
			return err
		})
	}
	var otherMessage int64
	ct2, other := seed(t, s, channels.Email, "")
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		m := inbox.Message{ConversationID: other.ID, Kind: inbox.KindIn, Channel: channels.Email, ContactID: ct2.ID, CreatedAt: t0}
		if err := tx.CreateMessage(ctx, &m); err != nil {
			return err
		}
		otherMessage = m.ID
		return tx.MarkRead(ctx, u.ID, other.ID, m.ID) // read: only c counts below
	})
	unread := func() (int, int) {
		t.Helper()
		list, err := s.Conversations(ctx, inbox.ConversationQuery{Reader: u.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		per := -1
		for _, cv := range list {
			if cv.ID == c.ID {
				per = cv.Unread
			} else if cv.ID == quiet.ID && cv.Unread != 0 {
				t.Fatalf("conversation without messages shows %d unread", cv.Unread)
			}
		}
		n, err := s.UnreadConversations(ctx, inbox.ConversationQuery{}, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return per, n
	}
	if per, n := unread(); per != 3 || n != 1 {
		t.Fatalf("before reading: unread %d in the conversation, %d conversations; want 3 and 1", per, n)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.MarkRead(ctx, u.ID, c.ID, ids[2]) })
	if per, n := unread(); per != 1 || n != 1 {
		t.Fatalf("after reading up to the reply: unread %d, %d conversations; want 1 and 1", per, n)
	}
	// A message of another conversation, or an id not given yet, moves nothing: it would
	// hide the conversation's next messages from the unread count.
	for _, bad := range []int64{ids[len(ids)-1] + 1000, otherMessage} {
		err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.MarkRead(ctx, u.ID, c.ID, bad) })
		if !errors.Is(err, inbox.ErrNotFound) {
			t.Fatalf("MarkRead(message %d, not of the conversation) = %v, want ErrNotFound", bad, err)
		}
	}
	if per, _ := unread(); per != 1 {
		t.Fatalf("after refused markers: unread %d, want 1 still", per)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.MarkRead(ctx, u.ID, c.ID, ids[3]) })
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.MarkRead(ctx, u.ID, c.ID, ids[0]) })
	if per, n := unread(); per != 0 || n != 0 {
		t.Fatalf("after reading everything (and an older marker): unread %d, %d conversations; want 0 and 0", per, n)
	}
}
