package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestInvalidates(t *testing.T) {
	tests := []struct {
		query string
		want  bool
	}{
		{"SELECT * FROM conversations WHERE id = ?", false},
		{"  pragma data_version", false},
		{"BEGIN IMMEDIATE", false},
		{"SAVEPOINT w", false},
		{"RELEASE w", false},
		{"INSERT INTO messages (conversation_id, contact_id) VALUES (?, ?)", false},
		{"INSERT INTO events (conversation_id, type) VALUES (?, ?)", false},
		{"INSERT INTO outbox (stream, type, payload) VALUES (?, ?, ?)", false},
		{"DELETE FROM outbox WHERE id < ?", false},
		{"DELETE FROM user_teams WHERE user_id = ?", false},
		{"UPDATE conversations SET status = ? WHERE id = ?", true},
		{"update Conversations set tags = ?", true},
		{"DELETE FROM contacts WHERE id = ?", true},
		{"DELETE FROM webchat_visitors WHERE id IN (SELECT value FROM contact_identities WHERE contact_id = ?)", true},
		{"UPDATE contacts SET name = ? WHERE id = ?", true},
		{"DELETE FROM teams WHERE id = ?", true},
		{"DELETE FROM users WHERE id = ?", true},
		{"WITH x AS (SELECT 1) UPDATE conversations SET priority = 1", true},
		{"INSERT INTO conversations_archive SELECT 1", false},
	}
	for _, tt := range tests {
		if got := invalidates(tt.query); got != tt.want {
			t.Errorf("invalidates(%q) = %v, want %v", tt.query, got, tt.want)
		}
	}
}

// seedThread creates a contact with an email identity and a conversation on thread key
// "t1", and returns the conversation id.
func seedThread(t *testing.T, s *SQLite) int64 {
	t.Helper()
	var id int64
	err := s.Write(context.Background(), func(ctx context.Context, tx inbox.Tx) error {
		now := time.Now().UTC()
		ct := inbox.Contact{Name: "Léa", Identities: []inbox.Identity{{Kind: channels.KindEmail, Value: "lea@example.fr"}},
			CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateContact(ctx, &ct); err != nil {
			return err
		}
		c := inbox.Conversation{Channel: "email", ThreadKey: "t1", ContactID: ct.ID, Subject: "Passeport",
			Status: inbox.StatusOpen, Tags: []string{}, LastMessageAt: now, CreatedAt: now, UpdatedAt: now}
		if err := tx.CreateConversation(ctx, &c); err != nil {
			return err
		}
		id = c.ID
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return id
}

// thread reads thread "t1" and the contact of lea@example.fr through the writer, as
// Ingest does.
func thread(t *testing.T, s *SQLite) (inbox.Conversation, inbox.Contact) {
	t.Helper()
	var c inbox.Conversation
	var ct inbox.Contact
	err := s.Write(context.Background(), func(ctx context.Context, tx inbox.Tx) error {
		var err error
		if c, err = tx.LatestConversationByThread(ctx, "email", "", "t1"); err != nil {
			return err
		}
		ct, err = tx.ContactByIdentity(ctx, inbox.Identity{Kind: channels.KindEmail, Value: "lea@example.fr"})
		return err
	})
	if err != nil {
		t.Fatalf("read thread: %v", err)
	}
	return c, ct
}

// TestWriterCacheMatchesStore checks that what the writer serves from its cache after
// each kind of update equals what the database holds.
func TestWriterCacheMatchesStore(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	id := seedThread(t, s)
	thread(t, s) // now cached
	due := time.Date(2026, 11, 27, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	steps := []func(ctx context.Context, tx inbox.Tx, c *inbox.Conversation) error{
		func(ctx context.Context, tx inbox.Tx, c *inbox.Conversation) error {
			c.MessageCount, c.WaitingSince, c.LastMessageAt = 3, &due, due.Add(time.Nanosecond)
			return tx.UpdateActivity(ctx, c)
		},
		func(ctx context.Context, tx inbox.Tx, c *inbox.Conversation) error {
			c.Status, c.Tags, c.AssigneeID, c.ResolvedAt = inbox.StatusResolved, []string{"urgent", "é"}, 0, &due
			return tx.UpdateConversation(ctx, c)
		},
		func(ctx context.Context, tx inbox.Tx, c *inbox.Conversation) error {
			c.Status, c.SLAPausedAt, c.SLAPausedSeconds = inbox.StatusPending, &due, 5400
			return tx.UpdateConversation(ctx, c)
		},
		func(ctx context.Context, tx inbox.Tx, c *inbox.Conversation) error {
			c.Category, c.Priority, c.Tags, c.FirstResponseDue = "etat-civil", 60, nil, &due
			return tx.(inbox.PipelineTx).UpdateClassification(ctx, c)
		},
	}
	for i, step := range steps {
		err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
			c, err := tx.Conversation(ctx, id)
			if err != nil {
				return err
			}
			return step(ctx, tx, &c)
		})
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		cached, _ := thread(t, s)
		fromDB, err := s.Conversation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cached, fromDB) {
			t.Fatalf("step %d: writer serves\n%+v\nthe database holds\n%+v", i, cached, fromDB)
		}
	}
}

// TestWriterCacheRollback: a function that fails after changing a cached row leaves
// the cache with the database's truth, not its own change.
func TestWriterCacheRollback(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	id := seedThread(t, s)
	before, _ := thread(t, s)
	boom := errors.New("boom")
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return err
		}
		c.MessageCount = 99
		if err := tx.UpdateActivity(ctx, &c); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write() = %v, want boom", err)
	}
	after, _ := thread(t, s)
	if after.MessageCount != before.MessageCount {
		t.Fatalf("after a rollback the writer serves message_count %d, want %d", after.MessageCount, before.MessageCount)
	}
}

// TestWriterCacheInvalidatedByOtherWrites: a write the cache cannot follow (a plain
// statement on the writer, or a commit by another connection such as a CLI command
// while serve runs) is seen by the next read.
func TestWriterCacheInvalidatedByOtherWrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, Config{}, dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := seedThread(t, s)
	thread(t, s)

	// A statement of the writer's own that names the table.
	err = s.Write(ctx, func(ctx context.Context, _ inbox.Tx) error {
		_, err := s.exec(ctx, `UPDATE conversations SET subject = 'Carte d''identité' WHERE id = ?`, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := thread(t, s); c.Subject != "Carte d'identité" {
		t.Fatalf("after an UPDATE on the writer, subject = %q", c.Subject)
	}

	// Another connection, as another process would.
	other, err := sql.Open("sqlite", "file:"+filepath.Join(dir, DefaultPath)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `UPDATE conversations SET status = 'pending' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, `UPDATE contacts SET name = 'Léa Martin'`); err != nil {
		t.Fatal(err)
	}
	c, ct := thread(t, s)
	if c.Status != inbox.StatusPending || ct.Name != "Léa Martin" {
		t.Fatalf("after another connection's commit the writer serves status %q, name %q", c.Status, ct.Name)
	}

	// The conversation deleted elsewhere: the thread is gone.
	if _, err := other.ExecContext(ctx, `DELETE FROM conversations`); err != nil {
		t.Fatal(err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		_, err := tx.LatestConversationByThread(ctx, "email", "", "t1")
		return err
	})
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("thread after its conversation's deletion: %v, want not found", err)
	}
}

// TestWriterCacheBounds: a full map loses an entry to make room; a cache that is off
// keeps nothing.
func TestWriterCacheBounds(t *testing.T) {
	c := newWriterCache(2)
	for id := int64(1); id <= 5; id++ {
		c.putConversation(inbox.Conversation{ID: id})
		c.putThread("email", "", fmt.Sprint("t", id), id)
		c.putContact(channels.KindEmail, fmt.Sprint(id, "@example.fr"), inbox.Contact{ID: id})
	}
	if len(c.convs) != 2 || len(c.threads) != 2 || len(c.contacts) != 2 {
		t.Fatalf("cache of 2 holds %d conversations, %d threads, %d contacts", len(c.convs), len(c.threads), len(c.contacts))
	}
	if _, ok := c.conversation(5); !ok {
		t.Fatal("the newest conversation was evicted to make room for itself")
	}
	off := newWriterCache(-1)
	off.putConversation(inbox.Conversation{ID: 1})
	off.putThread("email", "", "t1", 1)
	off.putContact(channels.KindEmail, "a@example.fr", inbox.Contact{ID: 1})
	if _, ok := off.conversation(1); ok {
		t.Fatal("a cache that is off returned a conversation")
	}
	if _, ok := off.thread("email", "", "t1"); ok {
		t.Fatal("a cache that is off returned a thread")
	}
	if _, ok := off.contact(channels.KindEmail, "a@example.fr"); ok {
		t.Fatal("a cache that is off returned a contact")
	}
}
