package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// testVisitors checks the webchat's visitor records and its email queue.
func testVisitors(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	if _, err := s.Visitor(ctx, "demo", "v1"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Visitor(unknown) = %v, want ErrNotFound", err)
	}
	v := inbox.Visitor{ID: "v1", Site: "demo", Name: "Marie", Language: "fr", LastSeenAt: t0, CreatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.SaveVisitor(ctx, &v) })
	// A later save with empty fields keeps what was known; the last-seen time only grows.
	later := inbox.Visitor{ID: "v1", Site: "demo", Email: "marie@example.fr", LastSeenAt: t0.Add(-time.Hour), CreatedAt: t0.Add(time.Hour)}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.SaveVisitor(ctx, &later) })
	got, err := s.Visitor(ctx, "demo", "v1")
	if err != nil {
		t.Fatalf("Visitor() = %v", err)
	}
	want := inbox.Visitor{ID: "v1", Site: "demo", Name: "Marie", Email: "marie@example.fr", Language: "fr", LastSeenAt: t0, CreatedAt: t0}
	if got != want {
		t.Fatalf("Visitor() = %+v, want %+v", got, want)
	}
	if _, err := s.Visitor(ctx, "other", "v1"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Visitor(other site) = %v, want ErrNotFound: visitors are per site", err)
	}

	// Conversations by thread, and the contact's view of their messages.
	_, c1 := seed(t, s, channels.Webchat, "v1")
	var ids []int64
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		for i, k := range []inbox.MessageKind{inbox.KindIn, inbox.KindNote, inbox.KindOut, inbox.KindSystem, inbox.KindIn} {
			m := inbox.Message{ConversationID: c1.ID, Kind: k, Channel: channels.Webchat, Text: string(k), CreatedAt: t0.Add(time.Duration(i) * time.Second)}
			if k == inbox.KindIn {
				m.Attachments = []inbox.Attachment{{Filename: "a.png", ContentType: "image/png", Size: 3, SHA256: "ab"}}
			}
			if err := tx.CreateMessage(ctx, &m); err != nil {
				return err
			}
			ids = append(ids, m.ID)
		}
		return nil
	})
	c, err := s.LatestThreadConversation(ctx, channels.Webchat, "", "v1")
	if err != nil || c.ID != c1.ID {
		t.Fatalf("LatestThreadConversation() = %d, %v; want %d", c.ID, err, c1.ID)
	}
	msgs, err := s.ContactMessagesAfter(ctx, c1.ID, 0, 10)
	if err != nil {
		t.Fatalf("ContactMessagesAfter() = %v", err)
	}
	var kinds []inbox.MessageKind
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
	}
	if len(msgs) != 3 || msgs[0].ID != ids[0] || msgs[1].ID != ids[2] || msgs[2].ID != ids[4] {
		t.Fatalf("ContactMessagesAfter(0) kinds = %v, want in, out, in (no notes, no system)", kinds)
	}
	if len(msgs[0].Attachments) != 1 || len(msgs[1].Attachments) != 0 {
		t.Fatalf("ContactMessagesAfter(0) attachments = %v / %v", msgs[0].Attachments, msgs[1].Attachments)
	}
	msgs, _ = s.ContactMessagesAfter(ctx, c1.ID, ids[0], 1)
	if len(msgs) != 1 || msgs[0].ID != ids[2] {
		t.Fatalf("ContactMessagesAfter(%d, limit 1) = %v, want message %d", ids[0], msgs, ids[2])
	}
	a, conv, kind, err := s.Attachment(ctx, msgs0Attachment(t, s, c1.ID))
	if err != nil || conv != c1.ID || kind != inbox.KindIn || a.Filename != "a.png" {
		t.Fatalf("Attachment() = %+v, %d, %s, %v", a, conv, kind, err)
	}
	if _, _, _, err := s.Attachment(ctx, 1<<40); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Attachment(unknown) = %v, want ErrNotFound", err)
	}

	// The email queue.
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		for i, id := range []int64{ids[2], ids[4]} {
			e := inbox.VisitorEmail{MessageID: id, Site: "demo", VisitorID: "v1", DueAt: t0.Add(time.Duration(i) * time.Minute)}
			if err := tx.QueueVisitorEmail(ctx, e); err != nil {
				return err
			}
			if err := tx.QueueVisitorEmail(ctx, e); err != nil { // idempotent
				return err
			}
		}
		return nil
	})
	due, err := s.DueVisitorEmails(ctx, t0, 10)
	if err != nil || len(due) != 1 || due[0].MessageID != ids[2] || !due[0].DueAt.Equal(t0) {
		t.Fatalf("DueVisitorEmails(t0) = %+v, %v; want message %d only", due, err, ids[2])
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		n, err := tx.DeleteVisitorEmails(ctx, "demo", "v1", ids[2])
		if n != 1 {
			t.Errorf("DeleteVisitorEmails(up to %d) = %d, want 1", ids[2], n)
		}
		return err
	})
	due, _ = s.DueVisitorEmails(ctx, t0.Add(time.Hour), 10)
	if len(due) != 1 || due[0].MessageID != ids[4] {
		t.Fatalf("DueVisitorEmails(later) = %+v, want message %d only", due, ids[4])
	}
}

// msgs0Attachment returns the id of the first attachment of the conversation.
func msgs0Attachment(t *testing.T, s inbox.Store, conv int64) int64 {
	t.Helper()
	msgs, err := s.Messages(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if len(m.Attachments) > 0 {
			return m.Attachments[0].ID
		}
	}
	t.Fatal("no attachment stored")
	return 0
}
