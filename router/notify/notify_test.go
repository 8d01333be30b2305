package notify_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router/notify"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// recorder is a Notifier that records notices and fails as scripted.
type recorder struct {
	mu     sync.Mutex
	got    []notify.Notice
	script []error
}

func (r *recorder) Notify(_ context.Context, n notify.Notice) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.script) > 0 {
		err := r.script[0]
		r.script = r.script[1:]
		if err != nil {
			return err
		}
	}
	r.got = append(r.got, n)
	return nil
}

func (r *recorder) to() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, n := range r.got {
		out = append(out, n.Kind+":"+n.To.Email)
	}
	return out
}

type fixture struct {
	svc                     *inbox.Service
	st                      *store.SQLite
	clock                   *clock
	author, jean, paul, sup inbox.User
	team                    inbox.Team
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := blob.Open(filepath.Join(dir, "blobs"))
	c := &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	f := &fixture{svc: inbox.New(st, b, inbox.Config{}, quiet(), inbox.WithClock(c.now)), st: st, clock: c}
	mk := func(email string, role inbox.Role, langs []string, teams ...string) inbox.User {
		u, err := f.svc.CreateUser(ctx, inbox.NewUser{Email: email, Name: email, Role: role, Password: "motdepasse-solide", Teams: teams, Languages: langs})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.author = mk("accueil@x.fr", inbox.RoleAgent, nil, "accueil")
	f.jean = mk("jean@x.fr", inbox.RoleAgent, []string{"en"}, "urbanisme")
	f.paul = mk("paul@x.fr", inbox.RoleAgent, nil, "urbanisme")
	f.sup = mk("sup@x.fr", inbox.RoleSupervisor, nil)
	teams, _ := f.svc.Teams(ctx)
	for _, tm := range teams {
		if tm.Slug == "urbanisme" {
			f.team = tm
		}
	}
	return f
}

// events returns the outbox's phone message events as deliveries of attempt.
func (f *fixture) events(t *testing.T, topic string, attempt int) []queue.Delivery {
	t.Helper()
	recs, err := f.st.OutboxAfter(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []queue.Delivery
	for _, r := range recs {
		if r.Type == topic {
			out = append(out, queue.Delivery{Message: queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}, Attempt: attempt})
		}
	}
	return out
}

func TestWorkerNotifiesOncePerPersonAndChannel(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	before := f.clock.now().Add(time.Hour)
	p, _, err := f.svc.CreatePhoneMessage(ctx, f.author, inbox.NewPhoneMessage{CallerName: "Marie Dupont", Phone: "0612345678",
		RecipientTeamID: f.team.ID, Subject: "Permis", CallbackBefore: &before, Urgency: inbox.UrgencyUrgent})
	if err != nil {
		t.Fatal(err)
	}
	email := &recorder{script: []error{nil, errors.New("smtp timeout")}}
	slack := &recorder{script: []error{channels.Permanent(errors.New("no such slack user"))}}
	w, err := notify.New(f.svc, map[string]notify.Notifier{"email": email, "slack": slack}, notify.Config{Link: "https://accueil.example.fr/app/phone-messages/{id}"}, 3, quiet())
	if err != nil {
		t.Fatal(err)
	}
	// Attempt 1: jean by email works, paul by email fails for now, jean's Slack is refused
	// for good, paul's Slack works.
	errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 1))
	if len(errs) != 1 || errs[0] == nil {
		t.Fatalf("Handle(attempt 1) = %v, want a retryable error", errs)
	}
	// Attempt 2 (redelivered): only paul's email is tried again.
	if errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 2)); errs != nil {
		t.Fatalf("Handle(attempt 2) = %v", errs)
	}
	if errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 3)); errs != nil {
		t.Fatalf("Handle(replay) = %v", errs)
	}
	if got := email.to(); !slices.Equal(got, []string{"created:jean@x.fr", "created:paul@x.fr"}) {
		t.Fatalf("emails = %v, want jean then paul, once each", got)
	}
	if got := slack.to(); !slices.Equal(got, []string{"created:paul@x.fr"}) {
		t.Fatalf("slack = %v, want paul only", got)
	}
	recs, err := f.svc.PhoneMessageNotifications(ctx, p.ID)
	if err != nil || len(recs) != 4 {
		t.Fatalf("recorded notifications = %+v, %v; want 4", recs, err)
	}
	failed := 0
	for _, r := range recs {
		if r.Status == inbox.NoticeFailed {
			failed++
			if r.UserID != f.jean.ID || r.Channel != "slack" || !strings.Contains(r.Error, "no such slack user") {
				t.Errorf("failed notification = %+v", r)
			}
		}
	}
	if failed != 1 {
		t.Fatalf("failed notifications = %d, want 1", failed)
	}
	n := email.got[0]
	if n.Link != "https://accueil.example.fr/app/phone-messages/1" || n.Message.ID != p.ID {
		t.Fatalf("notice = %+v", n)
	}
	// Overdue: author, recipients and the supervisor.
	f.clock.add(2 * time.Hour)
	if _, err := f.svc.MarkOverduePhoneMessages(ctx); err != nil {
		t.Fatal(err)
	}
	email.got = nil
	if errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageOverdue, 1)); errs != nil {
		t.Fatal(errs)
	}
	want := []string{"overdue:accueil@x.fr", "overdue:jean@x.fr", "overdue:paul@x.fr", "overdue:sup@x.fr"}
	if got := email.to(); !slices.Equal(got, want) {
		t.Fatalf("overdue emails = %v, want %v", got, want)
	}
}

func TestWorkerGivesUpOnLastAttemptAndSkipsDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, _, _ := f.svc.CreatePhoneMessage(ctx, f.author, inbox.NewPhoneMessage{CallerName: "X", RecipientUserID: f.jean.ID, Subject: "s"})
	down := &recorder{script: []error{errors.New("down"), errors.New("down")}}
	w, _ := notify.New(f.svc, map[string]notify.Notifier{"email": down}, notify.Config{}, 2, quiet())
	if errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 1)); errs == nil {
		t.Fatal("Handle(attempt 1 of 2, failing) = nil, want a retry")
	}
	if errs := w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 2)); errs != nil {
		t.Fatalf("Handle(last attempt) = %v, want the failure recorded", errs)
	}
	recs, _ := f.svc.PhoneMessageNotifications(ctx, p.ID)
	if len(recs) != 1 || recs[0].Status != inbox.NoticeFailed {
		t.Fatalf("notifications = %+v, want one failed", recs)
	}
	// A message already dealt with is not announced.
	q, _, _ := f.svc.CreatePhoneMessage(ctx, f.author, inbox.NewPhoneMessage{CallerName: "Y", RecipientUserID: f.jean.ID, Subject: "s"})
	if _, err := f.svc.AcknowledgePhoneMessage(ctx, f.jean, q.ID); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w, _ = notify.New(f.svc, map[string]notify.Notifier{"email": rec}, notify.Config{}, 2, quiet())
	w.Handle(ctx, f.events(t, inbox.TopicPhoneMessageCreated, 3))
	if len(rec.got) != 0 {
		t.Fatalf("notified %v about messages done or already failed", rec.to())
	}
	other := []queue.Delivery{{Message: queue.Message{ID: 1, Type: inbox.TopicMessageCreated, Payload: []byte(`{}`)}, Attempt: 1},
		{Message: queue.Message{ID: 2, Type: inbox.TopicPhoneMessageCreated, Payload: []byte(`not json`)}, Attempt: 1}}
	if errs := w.Handle(ctx, other); errs != nil {
		t.Fatalf("Handle(other and undecodable events) = %v, want them skipped", errs)
	}
}

// sender is a channels.Sender recording what it is given.
type sender struct{ got []channels.Outbound }

func (s *sender) Send(_ context.Context, out channels.Outbound) (string, error) {
	s.got = append(s.got, out)
	return "id", nil
}

func TestViaSenderAndRender(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	before := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	p := inbox.PhoneMessage{ID: 12, CallerName: "Marie Dupont", Organisation: "Vélo Club", Phone: "+33612345678", Subject: "Permis",
		Text: "Rappeler ce matin", Urgency: inbox.UrgencyUrgent, CallbackRequested: true, CallbackBefore: &before,
		CreatedAt: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)}
	s := &sender{}
	v := notify.ViaSender{Channel: channels.Email, Sender: s}
	err := v.Notify(context.Background(), notify.Notice{Kind: inbox.NoticeCreated, Message: p, Location: paris,
		To: inbox.User{Email: "jean@x.fr", Name: "Jean"}, Link: "https://a/12"})
	if err != nil || len(s.got) != 1 {
		t.Fatalf("Notify() = %v, %d sends", err, len(s.got))
	}
	out := s.got[0]
	wantText := "Appelant : Marie Dupont\nOrganisme : Vélo Club\nTéléphone : +33612345678\nObjet : Permis\nUrgence : urgente\n" +
		"Rappel demandé : avant le 24/11/2026 16:00\nPris le : 24/11/2026 10:00\n\nRappeler ce matin\n\nhttps://a/12\n"
	if out.Channel != channels.Email || out.To.Value != "jean@x.fr" || out.To.Kind != channels.KindEmail || out.MessageID != 0 ||
		out.ThreadKey != "phone-message:12:created" || out.Subject != "URGENT – message téléphonique de Marie Dupont : Permis" || out.Text != wantText {
		t.Fatalf("Outbound = %+v\ntext:\n%s", out, out.Text)
	}
	subj, _ := notify.Render(notify.Notice{Kind: inbox.NoticeOverdue, Message: p, To: inbox.User{Languages: []string{"en"}}})
	if subj != "Overdue callback: Marie Dupont (Permis)" {
		t.Fatalf("Render(overdue, English) subject = %q", subj)
	}
}

// countingMarker counts sweeps and fails the second one.
type countingMarker struct {
	mu sync.Mutex
	n  int
}

func (m *countingMarker) MarkOverduePhoneMessages(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n++
	if m.n == 2 {
		return 0, errors.New("store busy")
	}
	return 1, nil
}

func (m *countingMarker) count() int { m.mu.Lock(); defer m.mu.Unlock(); return m.n }

func TestSweeperRunsEveryInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &countingMarker{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- notify.NewSweeper(m, time.Minute, quiet()).Run(ctx) }()
		synctest.Wait()
		if got := m.count(); got != 1 {
			t.Fatalf("sweeps at start = %d, want 1", got)
		}
		time.Sleep(3*time.Minute + time.Second)
		synctest.Wait()
		if got := m.count(); got != 4 {
			t.Fatalf("sweeps after 3 minutes = %d, want 4 (a failed one does not stop it)", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v, want nil after cancel", err)
		}
	})
}

func TestConfig(t *testing.T) {
	if err := (notify.Config{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []notify.Config{{OverdueCheck: time.Millisecond, Timezone: "UTC"}, {OverdueCheck: time.Minute, Timezone: "Moon/Base"}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
}
