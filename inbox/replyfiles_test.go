package inbox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestReplyFilesRefusedBeforeStored: files for a conversation the agent may not see,
// or going by SMS, are refused before anything reaches the blob store; a note with
// files in an SMS conversation is fine (it is not sent).
func TestReplyFilesRefusedBeforeStored(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	other := f.user(t, "compta@mairie.fr", inbox.RoleAgent, "compta")
	admin := f.user(t, "admin@mairie.fr", inbox.RoleAdmin)
	mail := f.ingest(t, email("marie@example.fr", "<r1@example.fr>", "Formulaire", "Le formulaire ?"))
	sms, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.SMS, ExternalID: "SM1",
		From: channels.Identity{Kind: channels.KindPhone, Value: "+33612345678"}, Text: "Bonjour"})
	if err != nil {
		t.Fatal(err)
	}
	f.user(t, "etat-civil@mairie.fr", inbox.RoleAgent, "etat-civil")
	teams, err := f.store.Teams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		if tm.Slug == "etat-civil" {
			if _, err := f.svc.UpdateConversation(ctx, admin, mail.ConversationID, inbox.Patch{TeamID: &tm.ID}); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := []channels.Attachment{{Filename: "cerfa.pdf", Data: []byte("%PDF secret")}}
	if _, err := f.svc.Reply(ctx, other, mail.ConversationID, inbox.ReplyInput{Text: "x", Attachments: file}); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("Reply(another team's conversation) = %v, want ErrNotFound", err)
	}
	var inv *inbox.InvalidError
	if _, err := f.svc.Reply(ctx, admin, sms.ConversationID, inbox.ReplyInput{Text: "x", Attachments: file}); !errors.As(err, &inv) || inv.Field != "attachments" {
		t.Fatalf("Reply(SMS with a file) = %v, want invalid attachments", err)
	}
	sum := sha256.Sum256(file[0].Data)
	if r, err := f.blobs.Open(ctx, hex.EncodeToString(sum[:])); !errors.Is(err, fs.ErrNotExist) {
		if r != nil {
			r.Close()
		}
		t.Fatalf("the refused file is in the blob store (%v)", err)
	}
	if _, err := f.svc.Reply(ctx, admin, sms.ConversationID, inbox.ReplyInput{Text: "Pièce reçue au guichet.", Note: true, Attachments: file}); err != nil {
		t.Fatalf("note with a file in an SMS conversation = %v", err)
	}
}
