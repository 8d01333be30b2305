package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestReplyWithRunsInTheSameTransaction(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	res := f.ingest(t, email("marie@example.fr", "<m1@x>", "Rendez-vous", "Bonjour"))
	agent := f.user(t, "camille@mairie.fr", inbox.RoleAgent)
	link := func(ts string) func(ctx context.Context, tx inbox.Tx, m inbox.Message) error {
		return func(ctx context.Context, tx inbox.Tx, m inbox.Message) error {
			return tx.AddSlackMessage(ctx, inbox.SlackMessage{MessageID: m.ID, TeamID: "T1", ChannelID: "C1", TS: ts})
		}
	}
	m, err := f.svc.ReplyWith(ctx, agent, res.ConversationID, inbox.ReplyInput{Text: "vu", Note: true}, link("1.1"))
	if err != nil {
		t.Fatalf("ReplyWith() = %v", err)
	}
	if got, err := f.store.SlackMessageByID(ctx, m.ID); err != nil || got.TS != "1.1" {
		t.Fatalf("SlackMessageByID(%d) = %+v, %v; want the link written with the note", m.ID, got, err)
	}
	// The same Slack message again: the link's unique key refuses it and the note is
	// rolled back with it.
	_, err = f.svc.ReplyWith(ctx, agent, res.ConversationID, inbox.ReplyInput{Text: "vu", Note: true}, link("1.1"))
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("ReplyWith(same slack ts) = %v, want ErrDuplicate", err)
	}
	msgs, _ := f.store.Messages(ctx, res.ConversationID)
	if len(msgs) != 2 {
		t.Fatalf("conversation has %d messages, want 2 (the second note rolled back)", len(msgs))
	}
	c, _ := f.store.Conversation(ctx, res.ConversationID)
	if c.MessageCount != 2 {
		t.Fatalf("MessageCount = %d, want 2", c.MessageCount)
	}
}

func TestAttachIdentity(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	marie := f.ingest(t, email("marie@example.fr", "<m1@x>", "Rendez-vous", "Bonjour"))
	paul := f.ingest(t, email("paul@example.fr", "<p1@x>", "Facture", "Bonjour"))
	mail := inbox.Identity{Kind: channels.KindEmail, Value: "Marie@Example.fr"}
	slackID := inbox.Identity{Kind: channels.KindSlack, Value: "U1", Name: "Marie"}
	tests := []struct {
		name        string
		known, add  inbox.Identity
		wantContact int64
		wantErr     error
	}{
		{"attach", mail, slackID, marie.ContactID, nil},
		{"again is a no-op", mail, slackID, marie.ContactID, nil},
		{"owned by another contact", inbox.Identity{Kind: channels.KindEmail, Value: "paul@example.fr"}, slackID, paul.ContactID, inbox.ErrDuplicate},
		{"unknown known", inbox.Identity{Kind: channels.KindEmail, Value: "nobody@example.fr"}, slackID, 0, inbox.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := f.svc.AttachIdentity(ctx, tt.known, tt.add)
			if !errors.Is(err, tt.wantErr) || (err == nil && id != tt.wantContact) {
				t.Fatalf("AttachIdentity(%s) = %d, %v; want %d, %v", tt.known.Value, id, err, tt.wantContact, tt.wantErr)
			}
		})
	}
	if _, err := f.svc.AttachIdentity(ctx, mail, inbox.Identity{Kind: channels.KindEmail, Value: "not an address"}); !inbox.IsInvalid(err) {
		t.Fatalf("AttachIdentity(bad address) = %v, want an invalid-input error", err)
	}
	// A Slack message from U1 now lands with Marie's contact.
	res := f.ingest(t, channels.Envelope{Channel: channels.Slack, ExternalID: "T1/D1/1.1", From: channels.Identity{Kind: channels.KindSlack, Value: "U1"}, Text: "Coucou"})
	if res.ContactID != marie.ContactID {
		t.Fatalf("Ingest(slack U1) contact = %d, want Marie's %d", res.ContactID, marie.ContactID)
	}
}

func TestRecordMessageChange(t *testing.T) {
	f := newFixture(t, inbox.Config{})
	ctx := context.Background()
	res := f.ingest(t, channels.Envelope{Channel: channels.Slack, ExternalID: "T1/D1/1.1", From: channels.Identity{Kind: channels.KindSlack, Value: "U1"}, Text: "Bonjour"})
	if _, err := f.svc.RecordMessageChange(ctx, channels.Slack, "T1/D1/1.1", inbox.MessageChange{Text: "Bonjour !"}, nil); err != nil {
		t.Fatalf("RecordMessageChange(edit) = %v", err)
	}
	at := f.clock.now().Add(-time.Minute)
	if _, err := f.svc.RecordMessageChange(ctx, channels.Slack, "T1/D1/1.1", inbox.MessageChange{Deleted: true, At: at}, nil); err != nil {
		t.Fatalf("RecordMessageChange(delete) = %v", err)
	}
	if _, err := f.svc.RecordMessageChange(ctx, channels.Slack, "T1/D1/9.9", inbox.MessageChange{Deleted: true}, nil); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("RecordMessageChange(unknown message) = %v, want ErrNotFound", err)
	}
	boom := errors.New("boom")
	if _, err := f.svc.RecordMessageChange(ctx, channels.Slack, "T1/D1/1.1", inbox.MessageChange{Text: "x"}, func(context.Context, inbox.Tx, inbox.Message) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("RecordMessageChange(failing also) = %v, want boom", err)
	}
	evs, err := f.store.Events(ctx, res.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	var edit map[string]any
	for _, e := range evs {
		types = append(types, e.Type)
		if e.Type == inbox.EventMessageEdited {
			json.Unmarshal(e.Data, &edit)
		}
	}
	want := []string{inbox.EventCreated, inbox.EventMessageEdited, inbox.EventMessageDeleted}
	if len(types) != len(want) || types[1] != want[1] || types[2] != want[2] {
		t.Fatalf("timeline = %v, want %v (the failed change rolled back)", types, want)
	}
	if edit["text"] != "Bonjour !" || edit["message_id"] != float64(res.MessageID) {
		t.Fatalf("edit event data = %v", edit)
	}
	m, _ := f.store.Message(ctx, res.MessageID)
	if m.Text != "Bonjour" {
		t.Fatalf("message text = %q, want the first text kept", m.Text)
	}
}
