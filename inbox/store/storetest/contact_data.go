package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// testEraseContact erases one contact among two: everything of the erased contact goes,
// the other's data (including a shared attachment content and a message the erased
// contact wrote in the other's conversation) stays.
func testEraseContact(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	author, _, team, _ := people(t, s)
	gone, c1 := seed(t, s, channels.Webchat, "visitor-1")
	kept, c2 := seed(t, s, channels.Email, "")
	c3 := inbox.Conversation{Channel: channels.Email, ContactID: gone.ID, Subject: "Relance", Status: inbox.StatusOpen, Tags: []string{}, LastMessageAt: t0, CreatedAt: t0, UpdatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		if err := tx.CreateConversation(ctx, &c3); err != nil {
			return err
		}
		if err := tx.AddIdentity(ctx, gone.ID, inbox.Identity{Kind: channels.KindVisitor, Value: "visitor-1"}); err != nil {
			return err
		}
		if err := tx.SaveVisitor(ctx, &inbox.Visitor{ID: "visitor-1", Site: "demo", Name: "Marie", Email: "marie@example.fr", LastSeenAt: t0, CreatedAt: t0}); err != nil {
			return err
		}
		msgs := []inbox.Message{
			{ConversationID: c1.ID, Kind: inbox.KindIn, Channel: channels.Webchat, ContactID: gone.ID, Text: "Bonjour, mon numéro est le 06 12 34 56 78", CreatedAt: t0,
				Attachments: []inbox.Attachment{{Filename: "cni.pdf", ContentType: "application/pdf", Size: 3, SHA256: "only-gone"},
					{Filename: "plan.pdf", ContentType: "application/pdf", Size: 3, SHA256: "shared"}}},
			{ConversationID: c1.ID, Kind: inbox.KindOut, Channel: channels.Webchat, AuthorUserID: author.ID, Text: "Bonjour Marie", CreatedAt: t0},
			{ConversationID: c3.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: "<c3@x>", ContactID: gone.ID, Text: "Relance", CreatedAt: t0},
			{ConversationID: c2.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: "<c2@x>", ContactID: kept.ID, Text: "Autre demande", CreatedAt: t0,
				Attachments: []inbox.Attachment{{Filename: "plan.pdf", ContentType: "application/pdf", Size: 3, SHA256: "shared"}}},
			// In copy of the other contact's thread: the message stays, unlinked.
			{ConversationID: c2.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: "<c2-cc@x>", ContactID: gone.ID, Text: "En copie", CreatedAt: t0},
		}
		for i := range msgs {
			if err := tx.CreateMessage(ctx, &msgs[i]); err != nil {
				return err
			}
		}
		return tx.AddEvent(ctx, &inbox.Event{ConversationID: c1.ID, Type: inbox.EventCreated, Data: []byte(`{}`), CreatedAt: t0})
	})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientTeamID: team.ID, CallerName: "Marie Dupont", ContactID: gone.ID, ConversationID: c1.ID})
	otherCall := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientTeamID: team.ID, CallerName: "Paul", ContactID: kept.ID, ConversationID: c1.ID})

	if ids, err := s.ContactConversationIDs(ctx, gone.ID); err != nil || !slices.Equal(ids, []int64{c1.ID, c3.ID}) {
		t.Fatalf("ContactConversationIDs() = %v, %v; want [%d %d]", ids, err, c1.ID, c3.ID)
	}
	if vs, err := s.ContactVisitors(ctx, gone.ID); err != nil || len(vs) != 1 || vs[0].Email != "marie@example.fr" {
		t.Fatalf("ContactVisitors() = %+v, %v", vs, err)
	}
	if id, err := s.ContactIDByIdentity(ctx, gone.Identities[0]); err != nil || id != gone.ID {
		t.Fatalf("ContactIDByIdentity() = %d, %v; want %d", id, err, gone.ID)
	}

	var e inbox.Erasure
	write(t, s, func(ctx context.Context, tx inbox.Tx) (err error) {
		e, err = tx.EraseContact(ctx, gone.ID)
		return err
	})
	if e.Conversations != 2 || e.Messages != 3 || e.Attachments != 2 || e.PhoneMessages != 1 || e.Visitors != 1 || !slices.Equal(e.Blobs, []string{"only-gone"}) {
		t.Fatalf("EraseContact() = %+v, want 2 conversations, 3 messages, 2 attachments, 1 phone message, 1 visitor, blob only-gone", e)
	}
	for _, id := range []int64{c1.ID, c3.ID} {
		if _, err := s.Conversation(ctx, id); !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("Conversation(%d) after erasure = %v, want ErrNotFound", id, err)
		}
		if msgs, err := s.Messages(ctx, id); err != nil || len(msgs) != 0 {
			t.Errorf("Messages(%d) after erasure = %d, %v", id, len(msgs), err)
		}
		if evs, err := s.Events(ctx, id); err != nil || len(evs) != 0 {
			t.Errorf("Events(%d) after erasure = %d, %v", id, len(evs), err)
		}
	}
	if _, err := s.Contact(ctx, gone.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Contact() after erasure = %v, want ErrNotFound", err)
	}
	if _, err := s.ContactIDByIdentity(ctx, gone.Identities[0]); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("identity after erasure = %v, want ErrNotFound", err)
	}
	if _, err := s.Visitor(ctx, "demo", "visitor-1"); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Visitor() after erasure = %v, want ErrNotFound", err)
	}
	pms, err := s.PhoneMessages(ctx, inbox.PhoneMessageQuery{Limit: 10})
	if err != nil || len(pms) != 1 || pms[0].ID != otherCall.ID || pms[0].ConversationID != 0 {
		t.Errorf("PhoneMessages() after erasure = %+v, %v; want only Paul's, unlinked from the erased call", pms, err)
	}
	msgs, err := s.Messages(ctx, c2.ID)
	if err != nil || len(msgs) != 2 || msgs[1].Text != "En copie" || msgs[1].ContactID != 0 || len(msgs[0].Attachments) != 1 {
		t.Errorf("the other contact's conversation after erasure = %+v, %v", msgs, err)
	}
	if _, err := s.Contact(ctx, kept.ID); err != nil {
		t.Errorf("Contact(kept) = %v", err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		_, err := tx.EraseContact(ctx, gone.ID)
		return err
	})
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("EraseContact(again) = %v, want ErrNotFound", err)
	}
}

func testAuditLog(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	u := createUser(t, s, "admin@x.fr", inbox.RoleAdmin)
	entries := []inbox.AuditEntry{
		{At: t0, ActorUserID: u.ID, Actor: u.Email, Action: inbox.AuditContactExported, Object: "contact:1", Reason: "demande 12", Detail: `{"conversations":2}`},
		{At: t0, Actor: "cli", Action: inbox.AuditContactErased, Object: "contact:1", Detail: `{}`},
		{At: t0, Actor: "cli", Action: inbox.AuditContactErased, Object: "contact:2", Detail: `{}`},
	}
	for i := range entries {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.AddAudit(ctx, &entries[i]) })
	}
	all, err := s.AuditEntries(ctx, inbox.AuditQuery{Limit: 10})
	if err != nil || len(all) != 3 || all[0].ID != entries[2].ID || all[2].ActorUserID != u.ID || all[2].Reason != "demande 12" || !all[2].At.Equal(t0) {
		t.Fatalf("AuditEntries() = %+v, %v; want the three, newest first", all, err)
	}
	if all[1].ActorUserID != 0 {
		t.Errorf("command-line entry has actor %d, want 0", all[1].ActorUserID)
	}
	got, err := s.AuditEntries(ctx, inbox.AuditQuery{Object: "contact:1", Action: inbox.AuditContactErased, Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != entries[1].ID {
		t.Errorf("AuditEntries(contact:1, erased) = %+v, %v", got, err)
	}
	got, err = s.AuditEntries(ctx, inbox.AuditQuery{BeforeID: entries[1].ID, Limit: 10})
	if err != nil || len(got) != 1 || got[0].ID != entries[0].ID {
		t.Errorf("AuditEntries(before %d) = %+v, %v", entries[1].ID, got, err)
	}
}
