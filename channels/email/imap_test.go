package email

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestIMAPBackfillIdleReconnectAndResync(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	day := 24 * time.Hour
	f.add(t, "INBOX", "old", time.Now().Add(-30*day))
	for i := range 60 {
		f.add(t, "INBOX", "r"+itoa(int64(i)), time.Now().Add(-day))
	}
	f.add(t, "INBOX", "read-elsewhere", time.Now().Add(-day), imap.FlagSeen)
	cfg := baseConfig()
	cfg.Mailboxes = []MailboxConfig{f.mailboxConfig("accueil")}
	c := newTestChannel(t, cfg, h.svc)
	runPoller(t, c)

	eventually(t, 20*time.Second, "backfill of 61 messages", func() bool { return len(h.externalIDs(t)) == 61 })
	ids := h.externalIDs(t)
	if ids[msgID("old")] != 0 || ids[msgID("read-elsewhere")] != 1 || ids[msgID("r59")] != 1 {
		t.Fatalf("backfill imported %v; want the last 7 days only, \\Seen included", ids)
	}
	cp, _ := h.svc.MailboxCheckpoint(context.Background(), "accueil")
	if cp.LastUID != 62 || cp.UIDValidity == 0 {
		t.Fatalf("checkpoint after backfill = %+v; want last UID 62", cp)
	}

	// IDLE: new mail shows within 2 seconds.
	eventually(t, 5*time.Second, "session in IDLE", func() bool {
		st, _ := c.MailboxStates(context.Background())
		return st[0].Connected && st[0].Mode == "idle" && st[0].LastSync != nil
	})
	start := time.Now()
	f.add(t, "INBOX", "new1", time.Now())
	eventually(t, 2*time.Second, "new mail through IDLE", func() bool { return h.externalIDs(t)[msgID("new1")] == 1 })
	t.Logf("IDLE delivery took %v", time.Since(start))

	// A dropped connection: reconnect, nothing lost, nothing doubled.
	f.drop()
	f.add(t, "INBOX", "new2", time.Now())
	eventually(t, 10*time.Second, "new mail after reconnect", func() bool { return h.externalIDs(t)[msgID("new2")] == 1 })
	st, _ := c.MailboxStates(context.Background())
	if st[0].Reconnects < 1 || st[0].LastError == "" || st[0].Failures < 1 {
		t.Fatalf("state after a drop = %+v; want the reconnect and the error visible", st[0])
	}

	// UIDVALIDITY changes (mailbox rebuilt): resync without duplicates.
	if err := f.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := f.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r1", "r2", "new1", "new3"} {
		f.add(t, "INBOX", id, time.Now())
	}
	f.drop()
	eventually(t, 10*time.Second, "new mail after a UIDVALIDITY change", func() bool { return h.externalIDs(t)[msgID("new3")] == 1 })
	for id, n := range h.externalIDs(t) {
		if n != 1 {
			t.Errorf("%s stored %d times", id, n)
		}
	}
	if n := len(h.externalIDs(t)); n != 64 {
		t.Errorf("%d messages after resync, want 64", n)
	}
	cp2, _ := h.svc.MailboxCheckpoint(context.Background(), "accueil")
	if cp2.UIDValidity == cp.UIDValidity || cp2.LastUID != 4 {
		t.Fatalf("checkpoint after resync = %+v (before %+v); want the new UIDVALIDITY, last UID 4", cp2, cp)
	}
}

func TestIMAPExpungeBetweenSearchAndFetch(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	for _, id := range []string{"a", "b", "c"} {
		f.add(t, "INBOX", id, time.Now())
	}
	other := f.client(t)
	defer other.Close()
	f.onFetch = func() {
		// Another client deletes b after our search, before our fetch.
		if _, err := other.Select("INBOX", nil).Wait(); err != nil {
			t.Error(err)
			return
		}
		if err := other.Store(imap.UIDSetNum(2), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
			t.Error(err)
		}
		if _, err := other.Expunge().Collect(); err != nil {
			t.Error(err)
		}
	}
	cfg := baseConfig()
	cfg.Mailboxes = []MailboxConfig{f.mailboxConfig("accueil")}
	c := newTestChannel(t, cfg, h.svc)
	runPoller(t, c)
	eventually(t, 10*time.Second, "a and c imported", func() bool { ids := h.externalIDs(t); return ids[msgID("a")] == 1 && ids[msgID("c")] == 1 })
	if h.externalIDs(t)[msgID("b")] != 0 {
		t.Fatal("b was imported although it was expunged")
	}
	f.add(t, "INBOX", "d", time.Now())
	eventually(t, 5*time.Second, "the mailbox goes on after the expunge", func() bool { return h.externalIDs(t)[msgID("d")] == 1 })
}

func TestIMAPMarkSeenAndMove(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	if err := f.user.Create("Traite", nil); err != nil {
		t.Fatal(err)
	}
	f.add(t, "INBOX", "x", time.Now())
	f.add(t, "INBOX", "y", time.Now())
	cfg := baseConfig()
	mb := f.mailboxConfig("accueil")
	mb.MarkSeen, mb.MoveTo = true, "Traite"
	cfg.Mailboxes = []MailboxConfig{mb}
	runPoller(t, newTestChannel(t, cfg, h.svc))
	eventually(t, 10*time.Second, "x and y imported", func() bool { return len(h.externalIDs(t)) == 2 })
	other := f.client(t)
	defer other.Close()
	eventually(t, 5*time.Second, "messages moved, seen", func() bool {
		in, err1 := other.Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
		done, err2 := other.Status("Traite", &imap.StatusOptions{NumMessages: true, NumUnseen: true}).Wait()
		return err1 == nil && err2 == nil && *in.NumMessages == 0 && *done.NumMessages == 2 && *done.NumUnseen == 0
	})
}

func TestIMAPPollingWithoutIdle(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	cfg := baseConfig()
	mb := f.mailboxConfig("accueil")
	mb.PollInterval = time.Second
	no := false
	mb.Idle = &no // go-imap's server always offers IDLE: turn it off on our side
	cfg.Mailboxes = []MailboxConfig{mb}
	c := newTestChannel(t, cfg, h.svc)
	runPoller(t, c)
	eventually(t, 5*time.Second, "connected in poll mode", func() bool {
		st, _ := c.MailboxStates(context.Background())
		return st[0].Mode == "poll" && st[0].LastSync != nil
	})
	f.add(t, "INBOX", "p1", time.Now())
	eventually(t, 3*time.Second, "polled mail", func() bool { return h.externalIDs(t)[msgID("p1")] == 1 })
}

func TestIMAPBadPasswordKeepsTrying(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	cfg := baseConfig()
	mb := f.mailboxConfig("accueil")
	mb.Password = "wrong"
	cfg.Mailboxes = []MailboxConfig{mb}
	c := newTestChannel(t, cfg, h.svc)
	runPoller(t, c)
	eventually(t, 5*time.Second, "the failure visible", func() bool {
		st, _ := c.MailboxStates(context.Background())
		return !st[0].Connected && strings.Contains(st[0].LastError, "login")
	})
}

// TestIMAPMessageWithoutReadableSender: a message whose From cannot be read is stored
// under the next readable sender (Sender, Reply-To, Return-Path) or, with none, under a
// placeholder in the .invalid domain with a warning; never refused, never skipped, and
// never answered automatically.
func TestIMAPMessageWithoutReadableSender(t *testing.T) {
	f := startIMAP(t, nil)
	h := newHub(t)
	tests := []struct {
		id, from string
		headers  []string
		warning  string
	}{
		{"sender", "secretariat@example.fr", []string{"From: Marie", "Sender: Secretariat@Example.fr"}, "From"}, // mailparse itself may fall back to Sender
		{"replyto", "paul@example.fr", []string{"From: <<broken", "Reply-To: Paul <paul@example.fr>"}, "Reply-To header used"},
		{"returnpath", "jean.martin@example.fr", []string{"Return-Path: <Jean.Martin@Example.fr>"}, "Return-Path header used"},
		{"nobody", "unknown-sender@mairie.example.invalid", []string{"From: undisclosed", "Return-Path: <>"}, "no readable sender"},
		{"nothing", "unknown-sender@mairie.example.invalid", nil, "no readable sender"},
	}
	for _, tt := range tests {
		f.addRaw(t, "INBOX", rawMail(append(tt.headers, "To: accueil@mairie.example", "Subject: Sans expéditeur "+tt.id,
			"Message-ID: <"+tt.id+"@example.fr>"), "Bonjour"), time.Now())
	}
	f.add(t, "INBOX", "after", time.Now())
	cfg := baseConfig()
	cfg.SMTPOut.Host = "smtp.mairie.example"
	cfg.AutoAck.Enabled = true
	cfg.Mailboxes = []MailboxConfig{f.mailboxConfig("accueil")}
	c := newTestChannel(t, cfg, h.svc)
	runPoller(t, c)

	eventually(t, 10*time.Second, "every message stored", func() bool { return len(h.externalIDs(t)) == len(tests)+1 })
	byID := map[string]int64{}
	for _, conv := range h.all(t) {
		d := h.conversation(t, conv.ID)
		byID[d.Messages[0].ExternalID] = conv.ID
	}
	for _, tt := range tests {
		conv, ok := byID[msgID(tt.id)]
		if !ok {
			t.Errorf("%s: not stored", tt.id)
			continue
		}
		d := h.conversation(t, conv)
		if len(d.Contact.Identities) == 0 || d.Contact.Identities[0].Value != tt.from {
			t.Errorf("%s: contact %+v; want identity %s", tt.id, d.Contact.Identities, tt.from)
		}
		in := d.Messages[0]
		if !slices.ContainsFunc(in.Warnings, func(w string) bool { return strings.Contains(w, tt.warning) }) {
			t.Errorf("%s: warnings %q; want one saying %q", tt.id, in.Warnings, tt.warning)
		}
		acked := slices.ContainsFunc(d.Messages, func(m inbox.Message) bool { return m.Kind == inbox.KindOut })
		if placeholder := strings.HasSuffix(tt.from, ".invalid"); acked == placeholder {
			t.Errorf("%s: acknowledgement queued %v; want one only for a real address", tt.id, acked)
		}
	}
	cp, _ := h.svc.MailboxCheckpoint(context.Background(), "accueil")
	if cp.LastUID != uint32(len(tests)+1) {
		t.Fatalf("checkpoint %+v; want it past every message (UID %d)", cp, len(tests)+1)
	}
}
