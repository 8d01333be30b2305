package inbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestRecordDeliveryReport(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	res := f.ingest(t, email("marie@example.fr", "<in-1@example.fr>", "Dossier", "Bonjour"))
	out, err := f.svc.Reply(ctx, admin, res.ConversationID, inbox.ReplyInput{Text: "Bien reçu"})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RecordDelivery(ctx, out.ID, inbox.DeliverySent, "<fd.out@mairie.fr>", ""); err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.RecordDeliveryReport(ctx, channels.Email, "<fd.out@mairie.fr>", "5.1.1 user unknown")
	if err != nil || m.ID != out.ID || m.DeliveryStatus != inbox.DeliveryFailed {
		t.Fatalf("RecordDeliveryReport() = %+v, %v; want message %d failed", m, err, out.ID)
	}
	d, _ := f.svc.Conversation(ctx, admin, res.ConversationID)
	got := d.Messages[len(d.Messages)-1]
	if got.DeliveryStatus != inbox.DeliveryFailed || got.DeliveryError != "5.1.1 user unknown" || got.ExternalID != "<fd.out@mairie.fr>" {
		t.Fatalf("message after report = %+v", got)
	}
	if last := d.Events[len(d.Events)-1]; last.Type != inbox.EventDelivery {
		t.Fatalf("last event = %s, want %s", last.Type, inbox.EventDelivery)
	}
	// A second report changes nothing and adds no event.
	if _, err := f.svc.RecordDeliveryReport(ctx, channels.Email, "<fd.out@mairie.fr>", "again"); err != nil {
		t.Fatal(err)
	}
	d2, _ := f.svc.Conversation(ctx, admin, res.ConversationID)
	if len(d2.Events) != len(d.Events) || d2.Messages[len(d2.Messages)-1].DeliveryError != "5.1.1 user unknown" {
		t.Fatalf("second report changed the thread: %d events, %+v", len(d2.Events), d2.Messages[len(d2.Messages)-1])
	}
	for _, id := range []string{"<unknown@x>", "<in-1@example.fr>"} {
		if _, err := f.svc.RecordDeliveryReport(ctx, channels.Email, id, "x"); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("RecordDeliveryReport(%s) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestAutoReplyLeavesTheConversationWaiting(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	res := f.ingest(t, email("marie@example.fr", "<in-1@example.fr>", "Dossier", "Bonjour"))
	m, err := f.svc.AutoReply(ctx, res.ConversationID, "  Nous avons bien reçu votre message.  ")
	if err != nil || !m.AutoSubmitted || m.Kind != inbox.KindOut || m.DeliveryStatus != inbox.DeliveryQueued || m.Text != "Nous avons bien reçu votre message." {
		t.Fatalf("AutoReply() = %+v, %v", m, err)
	}
	d, _ := f.svc.Conversation(ctx, admin, res.ConversationID)
	if d.WaitingSince == nil || d.FirstResponseAt != nil || d.Status != inbox.StatusOpen || d.MessageCount != 2 {
		t.Fatalf("conversation after auto reply = %+v; want still waiting, no first response", d.Conversation)
	}
	if _, err := f.svc.AutoReply(ctx, res.ConversationID, " "); !inbox.IsInvalid(err) {
		t.Fatalf("AutoReply(blank) = %v, want invalid", err)
	}
	if _, err := f.svc.AutoReply(ctx, 999, "x"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("AutoReply(unknown) = %v, want ErrNotFound", err)
	}
}

func TestMailboxCheckpoint(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	cp, err := f.svc.MailboxCheckpoint(ctx, "accueil")
	if err != nil || cp != (inbox.MailboxCheckpoint{Mailbox: "accueil"}) {
		t.Fatalf("MailboxCheckpoint(new) = %+v, %v; want zero", cp, err)
	}
	if err := f.svc.SaveMailboxCheckpoint(ctx, inbox.MailboxCheckpoint{Mailbox: "accueil", UIDValidity: 3, LastUID: 10}); err != nil {
		t.Fatal(err)
	}
	cp, err = f.svc.MailboxCheckpoint(ctx, "accueil")
	if err != nil || cp.UIDValidity != 3 || cp.LastUID != 10 || cp.UpdatedAt.IsZero() {
		t.Fatalf("MailboxCheckpoint() = %+v, %v", cp, err)
	}
	if err := f.svc.SaveMailboxCheckpoint(ctx, inbox.MailboxCheckpoint{}); !inbox.IsInvalid(err) {
		t.Fatalf("SaveMailboxCheckpoint(no name) = %v, want invalid", err)
	}
}
