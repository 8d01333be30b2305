package email

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

func quietLog() *slog.Logger {
	if os.Getenv("EMAIL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// hub is a real inbox over a SQLite store in a temp folder.
type hub struct {
	svc   *inbox.Service
	store *store.SQLite
	admin inbox.User
}

func newHub(t testing.TB) *hub {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{}, dir, quietLog())
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	svc := inbox.New(st, b, inbox.Config{}, quietLog())
	admin, err := svc.CreateUser(context.Background(), inbox.NewUser{Email: "admin@mairie.example", Name: "Admin", Role: inbox.RoleAdmin, Password: "motdepasse-solide"})
	if err != nil {
		t.Fatal(err)
	}
	return &hub{svc: svc, store: st, admin: admin}
}

func (h *hub) conversation(t testing.TB, id int64) inbox.ConversationDetail {
	t.Helper()
	d, err := h.svc.Conversation(context.Background(), h.admin, id)
	if err != nil {
		t.Fatalf("Conversation(%d) = %v", id, err)
	}
	return d
}

func (h *hub) all(t testing.TB) []inbox.Conversation {
	t.Helper()
	list, _, err := h.svc.Conversations(context.Background(), h.admin, inbox.ConversationQuery{Limit: 200, Channel: channels.Email})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func baseConfig() Config {
	return Config{
		Domain:  "mairie.example",
		SMTPOut: SMTPOutConfig{From: "accueil@mairie.example", FromName: "Mairie - Accueil"},
	}
}

func newTestChannel(t testing.TB, cfg Config, in Inbox, opts ...Option) *Channel {
	t.Helper()
	c, err := New(cfg, in, testSecret, quietLog(), opts...)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return c
}

// rawMail builds a CRLF message from header lines and a body.
func rawMail(headers []string, body string) []byte {
	s := ""
	for _, h := range headers {
		s += h + "\r\n"
	}
	return []byte(s + "\r\n" + body + "\r\n")
}

type channelsEnvelope = channels.Envelope

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
