package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

// env is a real hub core for tests: a SQLite store in a temp folder, the inbox
// service, and a bleve index on disk.
type env struct {
	t     *testing.T
	dir   string
	store *store.SQLite
	inbox *inbox.Service
	idx   *Index
	seq   atomic.Int64
	// users by name
	super, admin inbox.User
}

var testLog = slog.New(slog.DiscardHandler)

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, testLog)
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	blobs, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatalf("blob.Open() = %v", err)
	}
	e := &env{t: t, dir: dir, store: st, inbox: inbox.New(st, blobs, inbox.Config{}, testLog)}
	e.idx = e.open(filepath.Join(dir, "index"))
	e.super = e.user("sup@desk.fr", inbox.RoleSupervisor)
	e.admin = e.user("admin@desk.fr", inbox.RoleAdmin)
	return e
}

func (e *env) open(path string) *Index {
	e.t.Helper()
	idx, err := Open(path, Options{Directory: e.store, DefaultCountry: "33", Logger: testLog})
	if err != nil {
		e.t.Fatalf("Open(%s) = %v", path, err)
	}
	e.t.Cleanup(func() { idx.Close() })
	return idx
}

// team creates a team and returns its id.
func (e *env) team(slug string) int64 {
	e.t.Helper()
	tm, err := e.inbox.EnsureTeam(context.Background(), slug, slug)
	if err != nil {
		e.t.Fatalf("EnsureTeam(%s) = %v", slug, err)
	}
	return tm.ID
}

// user creates a user in teams.
func (e *env) user(email string, role inbox.Role, teams ...int64) inbox.User {
	e.t.Helper()
	u := inbox.User{Email: email, Name: email, Role: role, TeamIDs: teams, CreatedAt: time.Now()}
	err := e.store.Write(context.Background(), func(ctx context.Context, tx inbox.Tx) error { return tx.CreateUser(ctx, &u) })
	if err != nil {
		e.t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}

// msg is an inbound message to ingest.
type msg struct {
	channel, from, name, subject, text, lang, thread string
	at                                               time.Time
}

// ingest stores m and returns where it landed.
func (e *env) ingest(m msg) inbox.IngestResult {
	e.t.Helper()
	if m.channel == "" {
		m.channel = channels.Email
	}
	kind := channels.KindEmail
	if m.channel == channels.SMS || m.channel == channels.Telephony {
		kind = channels.KindPhone
	}
	if m.from == "" {
		m.from = fmt.Sprintf("visiteur%d@example.fr", e.seq.Add(1))
	}
	env := channels.Envelope{
		Channel: m.channel, ExternalID: fmt.Sprintf("ext-%d", e.seq.Add(1)), ThreadKey: m.thread,
		From: channels.Identity{Kind: kind, Value: m.from, Name: m.name}, Subject: m.subject, Text: m.text,
		Language: m.lang, ReceivedAt: m.at,
	}
	res, err := e.inbox.Ingest(context.Background(), env)
	if err != nil {
		e.t.Fatalf("Ingest(%q) = %v", m.text, err)
	}
	return res
}

// patch changes a conversation as the supervisor.
func (e *env) patch(id int64, p inbox.Patch) {
	e.t.Helper()
	if _, err := e.inbox.UpdateConversation(context.Background(), e.super, id, p); err != nil {
		e.t.Fatalf("UpdateConversation(%d) = %v", id, err)
	}
}

// reply adds an agent message or note as u.
func (e *env) reply(u inbox.User, conv int64, text string, note bool) inbox.Message {
	e.t.Helper()
	m, err := e.inbox.Reply(context.Background(), u, conv, inbox.ReplyInput{Text: text, Note: note})
	if err != nil {
		e.t.Fatalf("Reply(%d) = %v", conv, err)
	}
	return m
}

// indexAll brings the index up to date from the store (a catch-up from nothing).
func (e *env) indexAll() {
	e.t.Helper()
	x := NewIndexer(e.idx, e.store, nil, Config{CatchUpMargin: time.Hour}, "test", testLog)
	if _, err := x.indexSince(context.Background(), time.Time{}, nil); err != nil {
		e.t.Fatalf("index everything: %v", err)
	}
}

// search runs a request as u, failing the test on error.
func (e *env) search(u inbox.User, r Request) Result {
	e.t.Helper()
	res, err := e.idx.Search(context.Background(), u, r)
	if err != nil {
		e.t.Fatalf("Search(%+v) as %s = %v", r, u.Email, err)
	}
	return res
}

// ids returns the message ids of res.
func ids(res Result) []int64 {
	out := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = h.MessageID
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func itoa(id int64) string { return fmt.Sprint(id) }

func isInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}
