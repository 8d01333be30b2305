package web

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/channels/email"
)

type fakeMailboxes struct {
	list []email.MailboxState
	err  error
}

func (f fakeMailboxes) MailboxStates(context.Context) ([]email.MailboxState, error) {
	return f.list, f.err
}

func TestMailboxList(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		mailboxes Mailboxes
		who       string
		status    int
		check     func(t *testing.T, r response)
	}{
		{"supervisor sees states", fakeMailboxes{list: []email.MailboxState{{Name: "accueil", Connected: true, Mode: "idle", LastSync: &at, LastError: "login: bad password", Imported: 3}}}, "sup@x.fr", 200,
			func(t *testing.T, r response) {
				list := r.body["mailboxes"].([]any)
				m := list[0].(map[string]any)
				if len(list) != 1 || m["name"] != "accueil" || m["connected"] != true || m["last_error"] != "login: bad password" || m["last_sync"] != "2026-11-27T09:00:00Z" {
					t.Fatalf("body = %v", r.body)
				}
			}},
		{"agent is refused", fakeMailboxes{}, "agent@x.fr", 403, nil},
		{"anonymous is refused", fakeMailboxes{}, "", 401, nil},
		{"email off: empty list", nil, "sup@x.fr", 200,
			func(t *testing.T, r response) {
				if l, ok := r.body["mailboxes"].([]any); !ok || len(l) != 0 {
					t.Fatalf("body = %v, want an empty list", r.body)
				}
			}},
		{"failure is a 500", fakeMailboxes{err: errors.New("boom")}, "sup@x.fr", 500, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPIWith(t, tt.mailboxes)
			r := f.do(t, tt.who, "GET", "/api/v1/admin/mailboxes", "")
			if r.status != tt.status {
				t.Fatalf("GET /api/v1/admin/mailboxes as %q = %d %s, want %d", tt.who, r.status, r.raw, tt.status)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

// newAPIWith is newAPI serving the email mailboxes' state of mb.
func newAPIWith(t *testing.T, mb Mailboxes) *apiFixture {
	t.Helper()
	f := newAPI(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := New(Config{Addr: "127.0.0.1:0"}, Deps{Inbox: f.svc, Logger: log, Registry: prometheus.NewRegistry(), Mailboxes: mb})
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	f.srv = httptest.NewServer(s.Handler())
	t.Cleanup(f.srv.Close)
	return f
}
