package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
)

func TestContactDataRights(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	sup := f.user(t, "sup@mairie.fr", inbox.RoleSupervisor)

	scan := []byte("%PDF-1.4 carte d'identité de Marie")
	shared := []byte("%PDF-1.4 plan d'accès à la mairie")
	env := email("marie@example.fr", "<m1@x>", "Carte d'identité", "Bonjour, voici ma pièce d'identité.")
	env.Attachments = []channels.Attachment{
		{Filename: "cni.pdf", ContentType: "application/pdf", Data: scan},
		{Filename: "plan.pdf", ContentType: "application/pdf", Data: shared},
	}
	marie := f.ingest(t, env)
	f.ingest(t, email("marie@example.fr", "<m2@x>", "Autre question", "Et pour le passeport ?"))
	other := email("paul@example.fr", "<p1@x>", "Plan", "Voici le plan")
	other.Attachments = []channels.Attachment{{Filename: "plan.pdf", ContentType: "application/pdf", Data: shared}}
	paul := f.ingest(t, other)

	// Finding a contact: admins only, from an address as typed.
	if _, err := f.svc.FindContact(ctx, sup, channels.KindEmail, "marie@example.fr"); !errors.Is(err, inbox.ErrForbidden) {
		t.Fatalf("FindContact(supervisor) = %v, want ErrForbidden", err)
	}
	c, err := f.svc.FindContact(ctx, admin, channels.KindEmail, " Marie@Example.FR ")
	if err != nil || c.ID != marie.ContactID || len(c.Identities) != 1 {
		t.Fatalf("FindContact(admin) = %+v, %v; want contact %d", c, err, marie.ContactID)
	}
	if _, err := f.svc.FindContact(ctx, admin, channels.KindEmail, "nobody@example.fr"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("FindContact(unknown) = %v, want ErrNotFound", err)
	}

	// Export: everything, with an audit entry.
	if _, err := f.svc.ExportContact(ctx, sup, marie.ContactID, ""); !errors.Is(err, inbox.ErrForbidden) {
		t.Fatalf("ExportContact(supervisor) = %v, want ErrForbidden", err)
	}
	x, err := f.svc.ExportContact(ctx, admin, marie.ContactID, "demande d'accès n°12")
	if err != nil {
		t.Fatalf("ExportContact() = %v", err)
	}
	if x.Contact.ID != marie.ContactID || len(x.Conversations) != 2 || len(x.Conversations[0].Messages) != 1 ||
		len(x.Conversations[0].Messages[0].Attachments) != 2 || x.Conversations[1].Messages[0].Text != "Et pour le passeport ?" {
		t.Fatalf("ExportContact() = %+v, want both conversations with messages and attachments", x)
	}
	if _, err := f.svc.ExportContact(ctx, admin, marie.ContactID, " "); !inbox.IsInvalid(err) {
		t.Fatalf("ExportContact(no reason) = %v, want invalid: the audit log keeps why", err)
	}
	if _, err := f.svc.ExportContact(ctx, admin, 999, "r"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("ExportContact(unknown) = %v, want ErrNotFound", err)
	}

	// Erase: a reason is required, the admin only; then everything of Marie goes.
	if _, err := f.svc.EraseContact(ctx, admin, marie.ContactID, "  "); !inbox.IsInvalid(err) {
		t.Fatalf("EraseContact(no reason) = %v, want invalid", err)
	}
	if _, err := f.svc.EraseContact(ctx, admin, marie.ContactID, "a\nb"); !inbox.IsInvalid(err) {
		t.Fatalf("EraseContact(two-line reason) = %v, want invalid", err)
	}
	if _, err := f.svc.EraseContact(ctx, sup, marie.ContactID, "demande"); !errors.Is(err, inbox.ErrForbidden) {
		t.Fatalf("EraseContact(supervisor) = %v, want ErrForbidden", err)
	}
	before, _ := f.store.OutboxAfter(ctx, 0, 1000)
	e, err := f.svc.EraseContact(ctx, admin, marie.ContactID, "demande d'effacement n°13")
	if err != nil {
		t.Fatalf("EraseContact() = %v", err)
	}
	if e.Conversations != 2 || e.Messages != 2 || e.Attachments != 2 || e.BlobsDeleted != 1 {
		t.Fatalf("EraseContact() = %+v, want 2 conversations, 2 messages, 2 attachments, 1 blob deleted", e)
	}
	if _, err := f.svc.Conversation(ctx, admin, marie.ConversationID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Conversation(erased) = %v, want ErrNotFound", err)
	}
	sum := func(b []byte) string {
		d := t.TempDir()
		bd, _ := blob.Open(d)
		s, _ := bd.Put(ctx, b)
		return s
	}
	if _, err := f.blobs.Open(ctx, sum(scan)); !errors.Is(err, blob.ErrNotFound) {
		t.Errorf("the erased contact's own attachment content is still stored: %v", err)
	}
	if rc, err := f.blobs.Open(ctx, sum(shared)); err != nil {
		t.Errorf("content shared with another contact was deleted: %v", err)
	} else {
		rc.Close()
	}
	if d, err := f.svc.Conversation(ctx, admin, paul.ConversationID); err != nil || len(d.Messages[0].Attachments) != 1 {
		t.Errorf("the other contact's conversation = %+v, %v", d, err)
	}
	after, _ := f.store.OutboxAfter(ctx, before[len(before)-1].ID, 10)
	if len(after) != 1 || after[0].Type != inbox.TopicContactErased {
		t.Fatalf("outbox after erasure = %+v, want one %s event", after, inbox.TopicContactErased)
	}
	var ev inbox.ContactErased
	if err := json.Unmarshal(after[0].Payload, &ev); err != nil || ev.ContactID != marie.ContactID {
		t.Fatalf("contact.erased payload = %s, %v", after[0].Payload, err)
	}
	if _, err := f.svc.EraseContact(ctx, admin, marie.ContactID, "encore"); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("EraseContact(again) = %v, want ErrNotFound", err)
	}
	// A new message from the same address starts from scratch.
	again := f.ingest(t, email("marie@example.fr", "<m3@x>", "Bonjour", "C'est encore moi"))
	if again.ContactID == marie.ContactID || !again.NewConversation {
		t.Fatalf("ingest after erasure = %+v, want a new contact and conversation", again)
	}

	// The audit log: admins only, newest first, no personal data.
	if _, err := f.svc.AuditLog(ctx, sup, inbox.AuditQuery{}); !errors.Is(err, inbox.ErrForbidden) {
		t.Fatalf("AuditLog(supervisor) = %v, want ErrForbidden", err)
	}
	log, err := f.svc.AuditLog(ctx, admin, inbox.AuditQuery{})
	if err != nil || len(log) != 2 || log[0].Action != inbox.AuditContactErased || log[1].Action != inbox.AuditContactExported ||
		log[0].ActorUserID != admin.ID || log[0].Reason != "demande d'effacement n°13" || !strings.Contains(log[0].Detail, `"conversations":2`) {
		t.Fatalf("AuditLog() = %+v, %v", log, err)
	}
	for _, a := range log {
		if strings.Contains(a.Detail+a.Reason+a.Object, "marie") {
			t.Errorf("audit entry %+v holds personal data", a)
		}
	}
	// The command line acts as an administrator without an account.
	if _, err := f.svc.ExportContact(ctx, inbox.CLIActor, paul.ContactID, "demande 7"); err != nil {
		t.Fatalf("ExportContact(cli) = %v", err)
	}
	if log, _ := f.svc.AuditLog(ctx, admin, inbox.AuditQuery{Limit: 1}); len(log) != 1 || log[0].Actor != "cli" || log[0].ActorUserID != 0 {
		t.Fatalf("AuditLog()[0] = %+v, want the command line's export", log)
	}
}

// TestErasedIDsNotReused: after erasing the contact who holds the highest ids, the next
// person gets new ids (contact, conversation, message, attachment, timeline event),
// so the audit log's "contact:N" and old links never name someone else.
func TestErasedIDsNotReused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	f.ingest(t, email("paul@example.fr", "<p1@x>", "Plan", "Voici le plan"))
	env := email("marie@example.fr", "<m1@x>", "Carte d'identité", "Bonjour.")
	env.Attachments = []channels.Attachment{{Filename: "cni.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 cni")}}
	marie := f.ingest(t, env)
	before, err := f.store.Message(ctx, marie.MessageID)
	if err != nil || len(before.Attachments) != 1 {
		t.Fatalf("Message() = %+v, %v", before, err)
	}
	events, err := f.store.Events(ctx, marie.ConversationID)
	if err != nil || len(events) == 0 {
		t.Fatalf("Events() = %v, %v", events, err)
	}
	lastEvent := events[len(events)-1].ID
	if _, err := f.svc.EraseContact(ctx, admin, marie.ContactID, "demande n°3"); err != nil {
		t.Fatal(err)
	}
	next := email("luc@example.fr", "<l1@x>", "Autre", "Bonjour.")
	next.Attachments = []channels.Attachment{{Filename: "a.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 a")}}
	luc := f.ingest(t, next)
	m, err := f.store.Message(ctx, luc.MessageID)
	if err != nil || len(m.Attachments) != 1 {
		t.Fatalf("Message() = %+v, %v", m, err)
	}
	lucEvents, err := f.store.Events(ctx, luc.ConversationID)
	if err != nil || len(lucEvents) == 0 {
		t.Fatalf("Events() = %v, %v", lucEvents, err)
	}
	for _, c := range []struct {
		what       string
		got, after int64
	}{
		{"contact", luc.ContactID, marie.ContactID},
		{"conversation", luc.ConversationID, marie.ConversationID},
		{"message", luc.MessageID, marie.MessageID},
		{"attachment", m.Attachments[0].ID, before.Attachments[0].ID},
		{"event", lucEvents[0].ID, lastEvent},
	} {
		if c.got <= c.after {
			t.Errorf("new %s id %d, want above the erased %d", c.what, c.got, c.after)
		}
	}
}
