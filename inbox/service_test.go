package inbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type fixture struct {
	svc   *inbox.Service
	store *store.SQLite
	clock *clock
	blobs *blob.Dir
}

func newFixture(t testing.TB, cfg inbox.Config, opts ...inbox.Option) *fixture {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.Config{}, dir, log)
	if err != nil {
		t.Fatalf("store.Open() = %v", err)
	}
	t.Cleanup(func() { st.Close() })
	b, err := blob.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	return &fixture{svc: inbox.New(st, b, cfg, log, append([]inbox.Option{inbox.WithClock(c.now)}, opts...)...), store: st, clock: c, blobs: b}
}

func email(from, extID, subject, text string, refs ...string) channels.Envelope {
	return channels.Envelope{
		Channel: channels.Email, ExternalID: extID, References: refs,
		From:    channels.Identity{Kind: channels.KindEmail, Value: from, Name: "Marie Dupont"},
		Subject: subject, Text: text,
	}
}

func (f *fixture) ingest(t *testing.T, env channels.Envelope) inbox.IngestResult {
	t.Helper()
	res, err := f.svc.Ingest(context.Background(), env)
	if err != nil {
		t.Fatalf("Ingest(%s) = %v", env.ExternalID, err)
	}
	return res
}

func (f *fixture) user(t *testing.T, email string, role inbox.Role, teams ...string) inbox.User {
	t.Helper()
	u, err := f.svc.CreateUser(context.Background(), inbox.NewUser{Email: email, Name: "User " + email, Role: role, Password: "motdepasse-solide", Teams: teams})
	if err != nil {
		t.Fatalf("CreateUser(%s) = %v", email, err)
	}
	return u
}

func TestIngestCreatesAndDeduplicates(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	env := email("Marie.Dupont@Example.fr", "<1@example.fr>", "Demande de rendez-vous", "Bonjour, je souhaite un rendez-vous.")
	first := f.ingest(t, env)
	if first.Duplicate || !first.NewConversation || first.MessageID == 0 || first.ConversationID == 0 {
		t.Fatalf("Ingest(new) = %+v, want a new message in a new conversation", first)
	}
	again := f.ingest(t, env)
	if !again.Duplicate || again.MessageID != first.MessageID || again.ConversationID != first.ConversationID {
		t.Fatalf("Ingest(replay) = %+v, want Duplicate with the ids of %+v", again, first)
	}
	msgs, _ := f.store.Messages(ctx, first.ConversationID)
	if len(msgs) != 1 {
		t.Fatalf("conversation holds %d messages after a replay, want 1", len(msgs))
	}
	c, _ := f.store.Conversation(ctx, first.ConversationID)
	if c.Status != inbox.StatusOpen || c.Subject != "Demande de rendez-vous" || c.MessageCount != 1 || c.WaitingSince == nil {
		t.Fatalf("new conversation = %+v", c)
	}
	ct, _ := f.store.Contact(ctx, c.ContactID)
	if ct.Name != "Marie Dupont" || len(ct.Identities) != 1 || ct.Identities[0].Value != "marie.dupont@example.fr" {
		t.Fatalf("contact = %+v, want Marie with her normalised address", ct)
	}
	recs, _ := f.store.OutboxAfter(ctx, 0, 10)
	var types []string
	for _, r := range recs {
		types = append(types, r.Type)
	}
	if !slices.Equal(types, []string{inbox.TopicConversationCreated, inbox.TopicMessageCreated}) {
		t.Fatalf("outbox = %v, want conversation.created then message.created (and nothing for the replay)", types)
	}
	ev, err := inbox.DecodeBusEvent(recs[1].Payload)
	if err != nil || ev.MessageID != first.MessageID || ev.ConversationID != first.ConversationID || ev.Kind != inbox.KindIn {
		t.Fatalf("DecodeBusEvent() = %+v, %v", ev, err)
	}
}

func TestIngestConcurrentReplays(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	env := email("paul@example.fr", "<same@example.fr>", "Objet", "Texte")
	var wg sync.WaitGroup
	results := make([]inbox.IngestResult, 20)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.ingest(t, env)
		}()
	}
	wg.Wait()
	fresh := 0
	for _, r := range results {
		if !r.Duplicate {
			fresh++
		}
		if r.MessageID != results[0].MessageID {
			t.Fatalf("concurrent replays got different message ids: %d and %d", r.MessageID, results[0].MessageID)
		}
	}
	if fresh != 1 {
		t.Fatalf("%d of 20 concurrent ingests of one message were not duplicates, want exactly 1", fresh)
	}
}

func TestIngestThreading(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	first := f.ingest(t, email("marie@example.fr", "<1@x>", "Facture", "Ma facture est fausse"))
	// A reply referencing the first message joins its conversation.
	reply := f.ingest(t, email("marie@example.fr", "<2@x>", "Re: Facture", "Toujours rien", "<unknown@x>", "<1@x>"))
	if reply.ConversationID != first.ConversationID || reply.NewConversation {
		t.Fatalf("reply by reference landed in %d (new=%v), want %d", reply.ConversationID, reply.NewConversation, first.ConversationID)
	}
	// Same subject without reference: a new conversation (no merging on subject alone).
	other := f.ingest(t, email("marie@example.fr", "<3@x>", "Facture", "Autre sujet"))
	if other.ConversationID == first.ConversationID {
		t.Fatal("a message with the same subject and no reference joined the old conversation")
	}
	// A conversation token only counts for the same contact.
	hinted := email("marie@example.fr", "<4@x>", "x", "y")
	hinted.ConversationHint = first.ConversationID
	if r := f.ingest(t, hinted); r.ConversationID != first.ConversationID {
		t.Fatalf("hinted message landed in %d, want %d", r.ConversationID, first.ConversationID)
	}
	stranger := email("intrus@example.com", "<5@x>", "x", "y")
	stranger.ConversationHint = first.ConversationID
	if r := f.ingest(t, stranger); r.ConversationID == first.ConversationID {
		t.Fatal("another sender's message joined a conversation through its token")
	}
	// Thread keys group messages of channels such as SMS.
	sms := func(id string) channels.Envelope {
		return channels.Envelope{Channel: channels.SMS, ExternalID: id, ThreadKey: "+33612345678",
			From: channels.Identity{Kind: channels.KindPhone, Value: "06 12 34 56 78"}, Text: "Bonjour"}
	}
	a, b := f.ingest(t, sms("SM1")), f.ingest(t, sms("SM2"))
	if a.ConversationID != b.ConversationID || a.ContactID != b.ContactID {
		t.Fatalf("two SMS of one number: conversations %d and %d, want one", a.ConversationID, b.ConversationID)
	}
}

func TestIngestReopenWindow(t *testing.T) {
	f := newFixture(t, inbox.Config{ReopenWindow: 48 * time.Hour})
	ctx := context.Background()
	admin := f.user(t, "admin@x.fr", inbox.RoleAdmin)
	sms := func(id string) channels.Envelope {
		return channels.Envelope{Channel: channels.SMS, ExternalID: id, ThreadKey: "+33700000000",
			From: channels.Identity{Kind: channels.KindPhone, Value: "+33700000000"}, Text: "Bonjour"}
	}
	first := f.ingest(t, sms("a"))
	resolved := inbox.StatusResolved
	if _, err := f.svc.UpdateConversation(ctx, admin, first.ConversationID, inbox.Patch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(24 * time.Hour)
	r := f.ingest(t, sms("b"))
	if r.ConversationID != first.ConversationID || !r.Reopened {
		t.Fatalf("message 1 day after resolving = %+v, want it to reopen %d", r, first.ConversationID)
	}
	c, _ := f.store.Conversation(ctx, first.ConversationID)
	if c.Status != inbox.StatusOpen || c.ResolvedAt != nil {
		t.Fatalf("reopened conversation = %+v", c)
	}
	if _, err := f.svc.UpdateConversation(ctx, admin, first.ConversationID, inbox.Patch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	f.clock.add(72 * time.Hour)
	late := f.ingest(t, sms("c"))
	if late.ConversationID == first.ConversationID || !late.NewConversation {
		t.Fatalf("message 3 days after resolving = %+v, want a new conversation", late)
	}
	events, _ := f.store.Events(ctx, first.ConversationID)
	var types []string
	for _, e := range events {
		types = append(types, e.Type)
	}
	want := []string{inbox.EventCreated, inbox.EventStatusChanged, inbox.EventReopened, inbox.EventStatusChanged}
	if !slices.Equal(types, want) {
		t.Fatalf("timeline = %v, want %v", types, want)
	}
}

func TestIngestLimitsAndBadInput(t *testing.T) {
	f := newFixture(t, inbox.Config{MaxTextBytes: 1024, MaxAttachmentBytes: 2048, MaxAttachments: 2})
	ctx := context.Background()
	env := email("a@b.fr", "<big@x>", "Pièces", strings.Repeat("é", 600))
	env.Attachments = []channels.Attachment{
		{Filename: "ok.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 small")},
		{Filename: "huge.bin", Data: make([]byte, 4096)},
		{Filename: "third.txt", Data: []byte("x")},
	}
	r := f.ingest(t, env)
	m, err := f.store.Message(ctx, r.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Text) > 1024 || !strings.HasPrefix(m.Text, "éé") || strings.ContainsRune(m.Text, '\uFFFD') {
		t.Fatalf("text of %d bytes kept as %d bytes, want it cut on a rune boundary under 1024", len(env.Text), len(m.Text))
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "ok.pdf" {
		t.Fatalf("attachments = %+v, want only ok.pdf", m.Attachments)
	}
	if rc, err := f.blobs.Open(ctx, m.Attachments[0].SHA256); err != nil {
		t.Fatalf("blob of ok.pdf: %v", err)
	} else {
		rc.Close()
	}
	if len(m.Warnings) != 3 {
		t.Fatalf("warnings = %q, want 3 (text cut, huge dropped, over count)", m.Warnings)
	}

	bad := []channels.Envelope{
		{},
		{Channel: channels.Email, From: channels.Identity{Kind: channels.KindEmail, Value: "a@b.fr"}, Text: "no id"},
		{Channel: channels.Email, ExternalID: "x", Text: "no sender"},
		{Channel: channels.Email, ExternalID: "x", From: channels.Identity{Kind: channels.KindEmail, Value: "not-an-address"}, Text: "t"},
		{Channel: channels.Email, ExternalID: "x", From: channels.Identity{Kind: channels.KindEmail, Value: "a@b.fr"}},
		{Channel: channels.Email, ExternalID: strings.Repeat("x", 1000), From: channels.Identity{Kind: channels.KindEmail, Value: "a@b.fr"}, Text: "t"},
	}
	for i, env := range bad {
		if _, err := f.svc.Ingest(ctx, env); !inbox.IsInvalid(err) {
			t.Errorf("Ingest(bad envelope %d) = %v, want an *InvalidError", i, err)
		}
	}
}

func TestVisibilityAndPermissions(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	accueil := f.user(t, "accueil@x.fr", inbox.RoleAgent, "accueil")
	compta := f.user(t, "compta@x.fr", inbox.RoleAgent, "compta")
	sup := f.user(t, "sup@x.fr", inbox.RoleSupervisor)
	teams, _ := f.svc.Teams(ctx)
	var comptaTeam int64
	for _, tm := range teams {
		if tm.Slug == "compta" {
			comptaTeam = tm.ID
		}
	}
	shared := f.ingest(t, email("a@b.fr", "<s@x>", "Question", "?"))
	billing := f.ingest(t, email("c@d.fr", "<b@x>", "Facture", "?"))
	if _, err := f.svc.UpdateConversation(ctx, sup, billing.ConversationID, inbox.Patch{TeamID: &comptaTeam}); err != nil {
		t.Fatal(err)
	}
	list := func(u inbox.User) []int64 {
		cs, _, err := f.svc.Conversations(ctx, u, inbox.ConversationQuery{})
		if err != nil {
			t.Fatalf("Conversations(%s) = %v", u.Email, err)
		}
		var ids []int64
		for _, c := range cs {
			ids = append(ids, c.ID)
		}
		slices.Sort(ids)
		return ids
	}
	if got := list(accueil); !slices.Equal(got, []int64{shared.ConversationID}) {
		t.Errorf("accueil agent sees %v, want only the shared one %d", got, shared.ConversationID)
	}
	if got := list(compta); len(got) != 2 {
		t.Errorf("compta agent sees %v, want both", got)
	}
	if got := list(sup); len(got) != 2 {
		t.Errorf("supervisor sees %v, want both", got)
	}
	if _, err := f.svc.Conversation(ctx, accueil, billing.ConversationID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Conversation(other team's) as agent = %v, want ErrNotFound", err)
	}
	if _, err := f.svc.Reply(ctx, accueil, billing.ConversationID, inbox.ReplyInput{Text: "x"}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Reply(other team's) as agent = %v, want ErrNotFound", err)
	}
	open := inbox.StatusResolved
	if _, err := f.svc.UpdateConversation(ctx, accueil, billing.ConversationID, inbox.Patch{Status: &open}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("UpdateConversation(other team's) as agent = %v, want ErrNotFound", err)
	}
	// Assigned to the accueil agent, the conversation becomes visible to them.
	if _, err := f.svc.UpdateConversation(ctx, sup, billing.ConversationID, inbox.Patch{AssigneeID: &accueil.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Conversation(ctx, accueil, billing.ConversationID); err != nil {
		t.Errorf("Conversation(assigned to me) = %v", err)
	}
	if err := f.svc.SetDisabled(ctx, compta.Email, true); err != nil {
		t.Fatal(err)
	}
	disabled, _ := f.svc.UserByEmail(ctx, compta.Email)
	if _, _, err := f.svc.Conversations(ctx, disabled, inbox.ConversationQuery{}); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Errorf("Conversations(disabled user) = %v, want ErrUnauthorized", err)
	}
}

func TestReplyAndNote(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	agent := f.user(t, "agent@x.fr", inbox.RoleAgent)
	in := f.ingest(t, email("a@b.fr", "<q@x>", "Horaires", "Quels sont vos horaires ?"))
	f.clock.add(time.Minute)
	note, err := f.svc.Reply(ctx, agent, in.ConversationID, inbox.ReplyInput{Text: "Client régulier", Note: true})
	if err != nil || note.Kind != inbox.KindNote || note.DeliveryStatus != "" {
		t.Fatalf("Reply(note) = %+v, %v", note, err)
	}
	c, _ := f.store.Conversation(ctx, in.ConversationID)
	if c.WaitingSince == nil || c.FirstResponseAt != nil {
		t.Fatalf("a private note changed the waiting state: %+v", c)
	}
	out, err := f.svc.Reply(ctx, agent, in.ConversationID, inbox.ReplyInput{Text: "  Nous sommes ouverts de 9h à 17h.  "})
	if err != nil || out.Kind != inbox.KindOut || out.DeliveryStatus != inbox.DeliveryQueued || out.Text != "Nous sommes ouverts de 9h à 17h." {
		t.Fatalf("Reply() = %+v, %v", out, err)
	}
	c, _ = f.store.Conversation(ctx, in.ConversationID)
	if c.WaitingSince != nil || c.FirstResponseAt == nil || c.MessageCount != 3 {
		t.Fatalf("after a reply conversation = %+v, want not waiting, first response set, 3 messages", c)
	}
	for _, text := range []string{"", "   ", strings.Repeat("x", inbox.DefaultMaxTextBytes+1)} {
		if _, err := f.svc.Reply(ctx, agent, in.ConversationID, inbox.ReplyInput{Text: text}); !inbox.IsInvalid(err) {
			t.Errorf("Reply(%d bytes) = %v, want InvalidError", len(text), err)
		}
	}
	if _, err := f.svc.Reply(ctx, agent, 9999, inbox.ReplyInput{Text: "x"}); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Reply(unknown conversation) = %v, want ErrNotFound", err)
	}
	if err := f.svc.RecordDelivery(ctx, out.ID, inbox.DeliveryFailed, "", "550 mailbox unavailable"); err != nil {
		t.Fatalf("RecordDelivery() = %v", err)
	}
	d, _ := f.svc.Conversation(ctx, agent, in.ConversationID)
	last := d.Messages[len(d.Messages)-1]
	if last.DeliveryStatus != inbox.DeliveryFailed || last.DeliveryError != "550 mailbox unavailable" {
		t.Fatalf("after a failed delivery message = %+v", last)
	}
	if d.Events[len(d.Events)-1].Type != inbox.EventDelivery {
		t.Fatalf("timeline ends with %s, want %s", d.Events[len(d.Events)-1].Type, inbox.EventDelivery)
	}
	if err := f.svc.RecordDelivery(ctx, note.ID, inbox.DeliverySent, "", ""); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("RecordDelivery(note) = %v, want ErrNotFound (only outbound messages are delivered)", err)
	}
}

func TestUpdateConversationPatch(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	agent := f.user(t, "agent@x.fr", inbox.RoleAgent)
	in := f.ingest(t, email("a@b.fr", "<p@x>", "Sujet", "Texte"))
	st := func(s inbox.Status) *inbox.Status { return &s }
	intp := func(i int) *int { return &i }
	future := f.clock.now().Add(2 * time.Hour)
	past := f.clock.now().Add(-time.Hour)
	farFuture := time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -10*3600)) // year 10000 in UTC
	badID := int64(4242)
	tests := []struct {
		name  string
		patch inbox.Patch
		field string
	}{
		{"unknown status", inbox.Patch{Status: st("closed")}, "status"},
		{"snooze without time", inbox.Patch{Status: st(inbox.StatusSnoozed)}, "snoozed_until"},
		{"snooze in the past", inbox.Patch{Status: st(inbox.StatusSnoozed), SnoozedUntil: &past}, "snoozed_until"},
		{"time without snooze", inbox.Patch{SnoozedUntil: &future}, "snoozed_until"},
		{"snooze past the accepted years", inbox.Patch{Status: st(inbox.StatusSnoozed), SnoozedUntil: &farFuture}, "snoozed_until"},
		{"priority too high", inbox.Patch{Priority: intp(101)}, "priority"},
		{"priority negative", inbox.Patch{Priority: intp(-1)}, "priority"},
		{"tag too long", inbox.Patch{Tags: &[]string{strings.Repeat("t", 51)}}, "tags"},
		{"unknown assignee", inbox.Patch{AssigneeID: &badID}, "assignee_id"},
		{"unknown team", inbox.Patch{TeamID: &badID}, "team_id"},
	}
	for _, tt := range tests {
		_, err := f.svc.UpdateConversation(ctx, agent, in.ConversationID, tt.patch)
		var ie *inbox.InvalidError
		if !errors.As(err, &ie) || ie.Field != tt.field {
			t.Errorf("%s: UpdateConversation() = %v, want InvalidError on %s", tt.name, err, tt.field)
		}
	}
	got, err := f.svc.UpdateConversation(ctx, agent, in.ConversationID, inbox.Patch{
		Status: st(inbox.StatusSnoozed), SnoozedUntil: &future, Priority: intp(80),
		Tags: &[]string{" Urgent", "facture", "urgent"}, AssigneeID: &agent.ID,
	})
	if err != nil {
		t.Fatalf("UpdateConversation(valid) = %v", err)
	}
	if got.Status != inbox.StatusSnoozed || got.SnoozedUntil == nil || got.Priority != 80 ||
		!slices.Equal(got.Tags, []string{"facture", "urgent"}) || got.AssigneeID != agent.ID {
		t.Fatalf("UpdateConversation() = %+v", got)
	}
	before, _ := f.store.OutboxAfter(ctx, 0, 100)
	if _, err := f.svc.UpdateConversation(ctx, agent, in.ConversationID, inbox.Patch{Priority: intp(80)}); err != nil {
		t.Fatal(err)
	}
	after, _ := f.store.OutboxAfter(ctx, 0, 100)
	if len(after) != len(before) {
		t.Fatalf("a patch that changes nothing wrote %d outbox events", len(after)-len(before))
	}
	ev, _ := inbox.DecodeBusEvent(before[len(before)-1].Payload)
	if !slices.Equal(ev.Changed, []string{"status", "priority", "tags", "assignee"}) || ev.ActorUserID != agent.ID {
		t.Fatalf("conversation.updated event = %+v", ev)
	}
}

func TestUsersTokensLogin(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	u := f.user(t, "lea@mairie.fr", inbox.RoleSupervisor, "accueil")
	if _, err := f.svc.CreateUser(ctx, inbox.NewUser{Email: "lea@mairie.fr", Name: "Léa", Role: inbox.RoleAgent, Password: "motdepasse-solide"}); !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("CreateUser(same email) = %v, want ErrDuplicate", err)
	}
	bad := []inbox.NewUser{
		{Email: "x", Name: "n", Role: inbox.RoleAgent, Password: "motdepasse"},
		{Email: "a@b.fr", Name: "", Role: inbox.RoleAgent, Password: "motdepasse"},
		{Email: "a@b.fr", Name: "n", Role: "boss", Password: "motdepasse"},
		{Email: "a@b.fr", Name: "n", Role: inbox.RoleAgent, Password: "court"},
		{Email: "a@b.fr", Name: "n", Role: inbox.RoleAgent, Password: "motdepasse", Teams: []string{"Bad Team"}},
	}
	for i, nu := range bad {
		if _, err := f.svc.CreateUser(ctx, nu); !inbox.IsInvalid(err) {
			t.Errorf("CreateUser(bad %d) = %v, want InvalidError", i, err)
		}
	}
	secret, tok, err := f.svc.CreateToken(ctx, u.Email, "integration")
	if err != nil || !strings.HasPrefix(secret, "fdk_") || len(secret) < 40 || !strings.HasPrefix(secret, tok.Prefix) {
		t.Fatalf("CreateToken() = %q, %+v, %v", secret, tok, err)
	}
	got, err := f.svc.Authenticate(ctx, secret)
	if err != nil || got.ID != u.ID {
		t.Fatalf("Authenticate(token) = %+v, %v", got, err)
	}
	for _, s := range []string{"", "fdk_", secret + "x", "Bearer " + secret, strings.Repeat("a", 500)} {
		if _, err := f.svc.Authenticate(ctx, s); !errors.Is(err, inbox.ErrUnauthorized) {
			t.Errorf("Authenticate(%.20q) = %v, want ErrUnauthorized", s, err)
		}
	}
	if err := f.svc.SetDisabled(ctx, u.Email, true); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, secret); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("Authenticate(token of disabled user) = %v, want ErrUnauthorized at once", err)
	}
	f.svc.SetDisabled(ctx, u.Email, false)
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("Authenticate(after re-enabling) = %v", err)
	}
	n, err := f.svc.RevokeTokens(ctx, u.Email, tok.Prefix)
	if err != nil || n != 1 {
		t.Fatalf("RevokeTokens() = %d, %v", n, err)
	}
	if _, err := f.svc.Authenticate(ctx, secret); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("Authenticate(revoked) = %v, want ErrUnauthorized", err)
	}

	if _, err := f.svc.Login(ctx, "LEA@mairie.fr", "motdepasse-solide"); err != nil {
		t.Fatalf("Login(right password, other case) = %v", err)
	}
	if err := f.svc.SetPassword(ctx, u.Email, "nouveau-secret"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ email, pw string }{
		{"lea@mairie.fr", "motdepasse-solide"}, {"nobody@mairie.fr", "motdepasse-solide"}, {"lea@mairie.fr", ""},
	} {
		if _, err := f.svc.Login(ctx, c.email, c.pw); !errors.Is(err, inbox.ErrUnauthorized) {
			t.Errorf("Login(%s, %q) = %v, want ErrUnauthorized", c.email, c.pw, err)
		}
	}
	if _, err := f.svc.Login(ctx, "lea@mairie.fr", "nouveau-secret"); err != nil {
		t.Fatalf("Login(new password) = %v", err)
	}
}

func TestConversationsPagination(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	sup := f.user(t, "sup@x.fr", inbox.RoleSupervisor)
	for i := range 7 {
		f.clock.add(time.Second)
		f.ingest(t, email("a@b.fr", "<"+string(rune('a'+i))+"@x>", "S", "T"))
	}
	var all []int64
	var cur *inbox.Cursor
	for {
		page, next, err := f.svc.Conversations(ctx, sup, inbox.ConversationQuery{Limit: 3, After: cur})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page {
			all = append(all, c.ID)
		}
		if next == nil {
			break
		}
		cur = next
	}
	if len(all) != 7 || all[0] < all[6] {
		t.Fatalf("paged ids = %v, want 7, newest first", all)
	}
	for _, q := range []inbox.ConversationQuery{{Limit: 500}, {Limit: -1}, {Sort: "random"}, {Statuses: []inbox.Status{"gone"}}} {
		if _, _, err := f.svc.Conversations(ctx, sup, q); !inbox.IsInvalid(err) {
			t.Errorf("Conversations(%+v) = %v, want InvalidError", q, err)
		}
	}
}

func TestWakeSnoozed(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	agent := f.user(t, "agent@x.fr", inbox.RoleAgent)
	a := f.ingest(t, email("a@b.fr", "<s1@x>", "Rappel", "Rappelez-moi demain"))
	b := f.ingest(t, email("c@d.fr", "<s2@x>", "Plus tard", "Dans une semaine"))
	snoozed := inbox.StatusSnoozed
	soon, later := f.clock.now().Add(time.Hour), f.clock.now().Add(7*24*time.Hour)
	f.svc.UpdateConversation(ctx, agent, a.ConversationID, inbox.Patch{Status: &snoozed, SnoozedUntil: &soon})
	f.svc.UpdateConversation(ctx, agent, b.ConversationID, inbox.Patch{Status: &snoozed, SnoozedUntil: &later})
	if n, err := f.svc.WakeSnoozed(ctx); err != nil || n != 0 {
		t.Fatalf("WakeSnoozed() before any snooze ended = %d, %v", n, err)
	}
	f.clock.add(2 * time.Hour)
	if n, err := f.svc.WakeSnoozed(ctx); err != nil || n != 1 {
		t.Fatalf("WakeSnoozed() after one snooze ended = %d, %v; want 1", n, err)
	}
	ca, _ := f.store.Conversation(ctx, a.ConversationID)
	cb, _ := f.store.Conversation(ctx, b.ConversationID)
	if ca.Status != inbox.StatusOpen || ca.SnoozedUntil != nil || cb.Status != inbox.StatusSnoozed {
		t.Fatalf("after waking: %s (until %v) and %s; want open and still snoozed", ca.Status, ca.SnoozedUntil, cb.Status)
	}
	if n, _ := f.svc.WakeSnoozed(ctx); n != 0 {
		t.Fatalf("WakeSnoozed() again = %d, want 0", n)
	}
}

// TestIngestDateOutOfRange: a sender's date outside the accepted years (an email's Date
// header can say anything) does not refuse the message: it is kept, dated on arrival,
// with a warning; a sane past date is kept as given.
func TestIngestDateOutOfRange(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	for i, at := range []time.Time{
		time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.FixedZone("", 3600)),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.FixedZone("", -10*3600)),
	} {
		env := email("a@b.fr", fmt.Sprintf("<odd-date-%d@x>", i), "Sujet", "Texte")
		env.ReceivedAt = at
		r := f.ingest(t, env)
		m, err := f.store.Message(ctx, r.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		if !m.CreatedAt.Equal(f.clock.now()) || len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "out of range") {
			t.Errorf("date %v: message dated %v with warnings %q, want dated now (%v) with one warning", at, m.CreatedAt, m.Warnings, f.clock.now())
		}
	}
	env := email("a@b.fr", "<sane-date@x>", "Sujet", "Texte")
	env.ReceivedAt = f.clock.now().Add(-48 * time.Hour)
	r := f.ingest(t, env)
	if m, err := f.store.Message(ctx, r.MessageID); err != nil || !m.CreatedAt.Equal(env.ReceivedAt) || len(m.Warnings) != 0 {
		t.Errorf("sane date: message %+v, %v, want dated %v without warning", m, err, env.ReceivedAt)
	}
}

// TestIngestDropsControls: NUL and other control characters (not tab or line breaks)
// are dropped from a message's text and never reach a contact's name, where they
// showed as nothing and broke CSV exports and terminals.
func TestIngestDropsControls(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	tests := []struct{ text, name, wantText, wantName string }{
		{"Bon\x00jour\tà\r\nvous\x1b[31m", "Ma\x00rie", "Bonjour\tà\r\nvous[31m", "Ma rie"},
		{"sans rien", "Paul\x7f", "sans rien", "Paul"},
		{"\x00\x01Texte\x0b", "\x00", "Texte", ""},
	}
	for i, tt := range tests {
		env := email(fmt.Sprintf("c%d@example.fr", i), fmt.Sprintf("<ctl-%d@x>", i), "Sujet", tt.text)
		env.From.Name = tt.name
		r := f.ingest(t, env)
		m, err := f.store.Message(ctx, r.MessageID)
		if err != nil || m.Text != tt.wantText {
			t.Errorf("text %q stored as %q (%v), want %q", tt.text, m.Text, err, tt.wantText)
		}
		c, err := f.store.Contact(ctx, r.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Identities[0].Name; got != tt.wantName {
			t.Errorf("name %q stored as %q, want %q", tt.name, got, tt.wantName)
		}
	}
}

// TestIngestLongSubject: a subject over 998 bytes is cut, and the message says so.
func TestIngestLongSubject(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	r := f.ingest(t, email("a@b.fr", "<long-subject@x>", strings.Repeat("é", 1000), "Texte"))
	m, err := f.store.Message(context.Background(), r.MessageID)
	if err != nil || len(m.Subject) > 998 || !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.HasPrefix(w, "subject cut at ") }) {
		t.Fatalf("subject of %d bytes, warnings %q (%v); want at most 998 bytes and a warning", len(m.Subject), m.Warnings, err)
	}
	// Spaces trimmed from a subject that fits are not a cut.
	r = f.ingest(t, email("a@b.fr", "<fits@x>", strings.Repeat("a", 995)+"          ", "Texte"))
	if m, err := f.store.Message(context.Background(), r.MessageID); err != nil || len(m.Subject) != 995 || len(m.Warnings) != 0 {
		t.Fatalf("subject of %d bytes, warnings %q (%v); want 995 bytes and no warning", len(m.Subject), m.Warnings, err)
	}
}

// TestTokenRevokedByAnotherProcess: a token revoked from another process (the CLI, on
// the same database) is refused by the hub once its cache entry ages out (2 s), where
// it was accepted for 30 s.
func TestTokenRevokedByAnotherProcess(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	f.user(t, "lea@mairie.fr", inbox.RoleAgent)
	secret, _, err := f.svc.CreateToken(ctx, "lea@mairie.fr", "script")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, secret); err != nil {
		t.Fatalf("Authenticate() = %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	other := inbox.New(f.store, f.blobs, inbox.Config{}, log) // its own token cache, as the CLI's process has
	if n, err := other.RevokeTokens(ctx, "lea@mairie.fr", ""); err != nil || n != 1 {
		t.Fatalf("RevokeTokens() = %d, %v", n, err)
	}
	f.clock.add(2100 * time.Millisecond)
	if _, err := f.svc.Authenticate(ctx, secret); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("Authenticate(revoked elsewhere, 2.1 s later) = %v, want ErrUnauthorized", err)
	}
}

// TestContactDisplayName: the name, else the first identity by kind, else nothing.
func TestContactDisplayName(t *testing.T) {
	for _, tt := range []struct {
		c    inbox.Contact
		want string
	}{
		{inbox.Contact{Name: "Marie", Identities: []inbox.Identity{{Kind: channels.KindEmail, Value: "m@x.fr"}}}, "Marie"},
		{inbox.Contact{Identities: []inbox.Identity{{Kind: channels.KindVisitor, Value: "visitor-1"}, {Kind: channels.KindEmail, Value: "m@x.fr"}}}, "m@x.fr"},
		{inbox.Contact{Identities: []inbox.Identity{{Kind: channels.KindVisitor, Value: "visitor-1"}}}, "visitor-1"},
		{inbox.Contact{}, ""},
	} {
		if got := tt.c.DisplayName(); got != tt.want {
			t.Errorf("DisplayName(%+v) = %q, want %q", tt.c, got, tt.want)
		}
	}
}
