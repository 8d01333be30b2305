package outbound

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// recorder is a Sender that records what it is asked to send and answers with the
// errors queued in fail.
type recorder struct {
	mu   sync.Mutex
	sent []channels.Outbound
	fail []error
	// asked is every call, sent or failed, with the time left before its deadline
	// (0 without one).
	asked []asked
}

type asked struct {
	out  channels.Outbound
	left time.Duration
}

func (r *recorder) Send(ctx context.Context, out channels.Outbound) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	a := asked{out: out}
	if dl, ok := ctx.Deadline(); ok {
		a.left = time.Until(dl)
	}
	r.asked = append(r.asked, a)
	if len(r.fail) > 0 {
		err := r.fail[0]
		r.fail = r.fail[1:]
		return "", err
	}
	r.sent = append(r.sent, out)
	return "<sent-" + string(rune('a'+len(r.sent))) + "@hub>", nil
}

type fixture struct {
	dir    string
	svc    *inbox.Service
	agent  inbox.User
	email  *recorder
	worker *Worker
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := blob.Open(filepath.Join(dir, "blobs"))
	svc := inbox.New(st, b, inbox.Config{}, log)
	agent, err := svc.CreateUser(ctx, inbox.NewUser{Email: "camille@x.fr", Name: "Camille Martin", Role: inbox.RoleAgent, Password: "motdepasse-solide"})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	return &fixture{dir: dir, svc: svc, agent: agent, email: rec,
		worker: New(svc, map[string]channels.Sender{channels.Email: rec}, 3, log)}
}

// reply ingests a message on channel and answers it; it returns the event the outbox
// holds for the reply.
func (f *fixture) reply(t *testing.T, channel string, from channels.Identity, note bool) (inbox.Message, queue.Delivery) {
	t.Helper()
	ctx := context.Background()
	res, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channel, ExternalID: "<in-" + from.Value + ">", From: from, Subject: "Horaires", Text: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Reply(ctx, f.agent, res.ConversationID, inbox.ReplyInput{Text: "Nous sommes ouverts de 9 h à 17 h.", Note: note})
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(inbox.BusEvent{ConversationID: res.ConversationID, MessageID: m.ID, Kind: m.Kind, Channel: channel})
	return m, queue.Delivery{Message: queue.Message{ID: uint64(m.ID), Type: inbox.TopicMessageCreated, Payload: payload}, Attempt: 1}
}

func (f *fixture) status(t *testing.T, id int64) (string, string, string) {
	t.Helper()
	m, err := f.svc.Message(context.Background(), f.agent, id)
	if err != nil {
		t.Fatal(err)
	}
	return m.DeliveryStatus, m.DeliveryError, m.ExternalID
}

func handle(f *fixture, d queue.Delivery) error {
	errs := f.worker.Handle(context.Background(), []queue.Delivery{d})
	if errs == nil {
		return nil
	}
	return errs[0]
}

func TestDeliversAndRecords(t *testing.T) {
	f := newFixture(t)
	m, d := f.reply(t, channels.Email, channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr", Name: "Marie"}, false)
	if err := handle(f, d); err != nil {
		t.Fatalf("Handle() = %v", err)
	}
	st, _, ext := f.status(t, m.ID)
	if st != inbox.DeliverySent || ext == "" {
		t.Fatalf("after delivery: status %q external id %q, want sent with the provider's id", st, ext)
	}
	if len(f.email.sent) != 1 {
		t.Fatalf("Send called %d times, want 1", len(f.email.sent))
	}
	out := f.email.sent[0]
	if out.To.Value != "marie@example.fr" || out.Subject != "Re: Horaires" || out.AuthorName != "Camille Martin" ||
		out.InReplyTo != "<in-marie@example.fr>" || !slices.Equal(out.References, []string{"<in-marie@example.fr>"}) {
		t.Fatalf("Outbound = %+v", out)
	}
	// The same event again (redelivery) sends nothing more.
	if err := handle(f, d); err != nil || len(f.email.sent) != 1 {
		t.Fatalf("redelivered event: Handle() = %v, %d sends; want nil and still 1", err, len(f.email.sent))
	}
}

// TestFiles: a reply's files go to the sender with their content; a reply whose file
// has vanished from the blob store fails for good, saying so, instead of being
// retried until it is dead-lettered.
func TestFiles(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	to := channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}
	res, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "<in-f>", From: to, Subject: "Formulaire", Text: "Le formulaire ?"})
	if err != nil {
		t.Fatal(err)
	}
	send := func(name, content string) (inbox.Message, error) {
		m, err := f.svc.Reply(ctx, f.agent, res.ConversationID, inbox.ReplyInput{Text: "Le voici.",
			Attachments: []channels.Attachment{{Filename: name, ContentType: "application/pdf", Data: []byte(content)}}})
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(inbox.BusEvent{ConversationID: res.ConversationID, MessageID: m.ID, Kind: m.Kind, Channel: channels.Email})
		return m, handle(f, queue.Delivery{Message: queue.Message{ID: uint64(m.ID), Type: inbox.TopicMessageCreated, Payload: payload}, Attempt: 1})
	}
	if _, err := send("cerfa.pdf", "%PDF cerfa"); err != nil {
		t.Fatal(err)
	}
	if len(f.email.sent) != 1 || len(f.email.sent[0].Attachments) != 1 || string(f.email.sent[0].Attachments[0].Data) != "%PDF cerfa" {
		t.Fatalf("sent %+v, want the file with its content", f.email.sent)
	}
	// The next reply's file vanishes before delivery.
	sum := sha256.Sum256([]byte("%PDF plan"))
	blobs, _ := blob.Open(filepath.Join(f.dir, "blobs"))
	m, err := func() (inbox.Message, error) {
		// Store the file, then remove its blob as an erasure of shared content would.
		m, err := f.svc.Reply(ctx, f.agent, res.ConversationID, inbox.ReplyInput{Text: "Le plan.",
			Attachments: []channels.Attachment{{Filename: "plan.pdf", Data: []byte("%PDF plan")}}})
		if err != nil {
			return m, err
		}
		if err := blobs.Delete(ctx, hex.EncodeToString(sum[:])); err != nil {
			return m, err
		}
		payload, _ := json.Marshal(inbox.BusEvent{ConversationID: res.ConversationID, MessageID: m.ID, Kind: m.Kind, Channel: channels.Email})
		return m, handle(f, queue.Delivery{Message: queue.Message{ID: uint64(m.ID), Type: inbox.TopicMessageCreated, Payload: payload}, Attempt: 1})
	}()
	if err != nil {
		t.Fatalf("Handle() with a missing file = %v, want the failure recorded, not retried", err)
	}
	if st, reason, _ := f.status(t, m.ID); st != inbox.DeliveryFailed || !strings.Contains(reason, "plan.pdf") {
		t.Fatalf("reply with a missing file: %s %q, want failed naming the file", st, reason)
	}
}

func TestFailures(t *testing.T) {
	f := newFixture(t)
	from := func(v string) channels.Identity { return channels.Identity{Kind: channels.KindEmail, Value: v} }

	m, d := f.reply(t, channels.Email, from("perm@example.fr"), false)
	f.email.fail = []error{channels.Permanent(errors.New("550 5.1.1 no such user"))}
	if err := handle(f, d); err != nil {
		t.Fatalf("permanent failure: Handle() = %v, want nil (acknowledged)", err)
	}
	if st, reason, _ := f.status(t, m.ID); st != inbox.DeliveryFailed || reason != "550 5.1.1 no such user" {
		t.Fatalf("permanent failure recorded as %q %q", st, reason)
	}

	m, d = f.reply(t, channels.Email, from("temp@example.fr"), false)
	f.email.fail = []error{errors.New("421 try later")}
	if err := handle(f, d); err == nil {
		t.Fatal("temporary failure: Handle() = nil, want an error so the bus redelivers")
	}
	if st, _, _ := f.status(t, m.ID); st != inbox.DeliveryQueued {
		t.Fatalf("after a temporary failure status = %q, want still queued", st)
	}
	d.Attempt = 2
	if err := handle(f, d); err != nil {
		t.Fatalf("retry: Handle() = %v", err)
	}
	if st, _, _ := f.status(t, m.ID); st != inbox.DeliverySent {
		t.Fatalf("after a successful retry status = %q", st)
	}

	m, d = f.reply(t, channels.Email, from("last@example.fr"), false)
	f.email.fail = []error{errors.New("connection refused")}
	d.Attempt = 3
	if err := handle(f, d); err != nil {
		t.Fatalf("last attempt: Handle() = %v, want nil", err)
	}
	if st, reason, _ := f.status(t, m.ID); st != inbox.DeliveryFailed || reason != "gave up after 3 attempts: connection refused" {
		t.Fatalf("last attempt recorded as %q %q", st, reason)
	}
}

func TestChannelsWithoutSender(t *testing.T) {
	f := newFixture(t)
	m, d := f.reply(t, channels.API, channels.Identity{Kind: channels.KindAPI, Value: "crm-77"}, false)
	if err := handle(f, d); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := f.status(t, m.ID); st != inbox.DeliveryStored {
		t.Fatalf("API reply status = %q, want stored (integrations fetch it)", st)
	}
	m, d = f.reply(t, channels.SMS, channels.Identity{Kind: channels.KindPhone, Value: "+33612345678"}, false)
	if err := handle(f, d); err != nil {
		t.Fatal(err)
	}
	if st, reason, _ := f.status(t, m.ID); st != inbox.DeliveryFailed || reason != "no sender configured for channel sms" {
		t.Fatalf("SMS reply without an SMS sender = %q %q", st, reason)
	}
}

func TestIgnoresWhatIsNotAReply(t *testing.T) {
	f := newFixture(t)
	_, note := f.reply(t, channels.Email, channels.Identity{Kind: channels.KindEmail, Value: "n@example.fr"}, true)
	batch := []queue.Delivery{
		note,
		{Message: queue.Message{ID: 1, Type: inbox.TopicConversationCreated, Payload: []byte(`{}`)}},
		{Message: queue.Message{ID: 2, Type: inbox.TopicMessageCreated, Payload: []byte(`not json`)}},
		{Message: queue.Message{ID: 3, Type: inbox.TopicMessageCreated, Payload: []byte(`{"message_id":999999,"kind":"out"}`)}},
	}
	if errs := f.worker.Handle(context.Background(), batch); errs != nil {
		t.Fatalf("Handle(notes, other events, garbage, erased message) = %v, want all acknowledged", errs)
	}
	if len(f.email.sent) != 0 {
		t.Fatalf("Send called %d times for a note and other events", len(f.email.sent))
	}
}

func TestBuildWithoutAddress(t *testing.T) {
	_, err := build(inbox.Outgoing{Conversation: inbox.Conversation{Channel: channels.Email},
		Contact: inbox.Contact{Identities: []inbox.Identity{{Kind: channels.KindPhone, Value: "+33612345678"}}}})
	if err == nil {
		t.Fatal("build() for an email conversation whose contact has no email = nil error")
	}
}

// TestRetryMarkedAndSendBounded: the first attempt is not marked a retry, the second
// is, and carries when the reply was written; with WithSendTimeout every Send has a
// deadline that near.
func TestRetryMarkedAndSendBounded(t *testing.T) {
	f := newFixture(t)
	f.worker = New(f.svc, map[string]channels.Sender{channels.Email: f.email}, 3, slog.New(slog.DiscardHandler), WithSendTimeout(5*time.Second))
	f.email.fail = []error{errors.New("421 try again later")}
	m, d := f.reply(t, channels.Email, channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, false)
	if err := handle(f, d); err == nil {
		t.Fatal("first attempt: Handle() = nil, want the temporary error")
	}
	d.Attempt = 2
	if err := handle(f, d); err != nil {
		t.Fatalf("second attempt: Handle() = %v", err)
	}
	if len(f.email.asked) != 2 {
		t.Fatalf("Send called %d times, want 2", len(f.email.asked))
	}
	for i, a := range f.email.asked {
		if a.out.Retry != (i == 1) || !a.out.CreatedAt.Equal(m.CreatedAt) {
			t.Errorf("attempt %d: Retry %v, CreatedAt %v; want Retry only on the second, written at %v", i+1, a.out.Retry, a.out.CreatedAt, m.CreatedAt)
		}
		if a.left <= 0 || a.left > 5*time.Second {
			t.Errorf("attempt %d: %v left before the deadline, want at most 5s", i+1, a.left)
		}
	}
}
