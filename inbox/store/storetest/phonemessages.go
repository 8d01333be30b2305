package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// phoneMessageCases are the contract cases of phone messages and message edits.
var phoneMessageCases = []struct {
	name string
	fn   func(t *testing.T, s inbox.Store)
}{
	{"PhoneMessageRoundTrip", testPhoneMessageRoundTrip},
	{"PhoneMessageIdempotencyKey", testPhoneMessageKey},
	{"PhoneMessageQueries", testPhoneMessageQueries},
	{"PhoneMessagesDue", testPhoneMessagesDue},
	{"PhoneMessageNotifications", testPhoneMessageNotifications},
	{"UpdateMessageText", testUpdateMessageText},
}

// people creates two teams, an author and a recipient (in team a).
func people(t *testing.T, s inbox.Store) (author, recipient inbox.User, a, b inbox.Team) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		a, b = inbox.Team{Slug: "accueil", Name: "Accueil"}, inbox.Team{Slug: "urbanisme", Name: "Urbanisme"}
		for _, tm := range []*inbox.Team{&a, &b} {
			if err := tx.CreateTeam(ctx, tm); err != nil {
				return err
			}
		}
		author = inbox.User{Email: "accueil@x.fr", Name: "Accueil", Role: inbox.RoleAgent, TeamIDs: []int64{a.ID}, CreatedAt: t0}
		recipient = inbox.User{Email: "jean@x.fr", Name: "Jean", Role: inbox.RoleAgent, TeamIDs: []int64{b.ID}, CreatedAt: t0}
		if err := tx.CreateUser(ctx, &author); err != nil {
			return err
		}
		return tx.CreateUser(ctx, &recipient)
	})
	return author, recipient, a, b
}

func createPhoneMessage(t *testing.T, s inbox.Store, p inbox.PhoneMessage) inbox.PhoneMessage {
	t.Helper()
	if p.Subject == "" {
		p.Subject = "Rappeler Mme Dupont"
	}
	if p.Urgency == "" {
		p.Urgency = inbox.UrgencyNormal
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt, p.UpdatedAt = t0, t0
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreatePhoneMessage(ctx, &p) })
	return p
}

func testPhoneMessageRoundTrip(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	author, recipient, _, _ := people(t, s)
	ct, c := seed(t, s, channels.Telephony, "+33612345678")
	before := t0.Add(3 * time.Hour)
	p := createPhoneMessage(t, s, inbox.PhoneMessage{
		AuthorID: author.ID, RecipientUserID: recipient.ID, CallerName: "Marie Dupont", Organisation: "Association Vélo",
		Phone: "+33612345678", Email: "marie@example.fr", ContactID: ct.ID, ConversationID: c.ID, Subject: "Subvention",
		Text: "Rappeler avant 12 h", Urgency: inbox.UrgencyUrgent, CallbackRequested: true, CallbackBefore: &before,
	})
	if p.ID == 0 {
		t.Fatal("CreatePhoneMessage did not set the id")
	}
	got, err := s.PhoneMessage(ctx, p.ID)
	if err != nil {
		t.Fatalf("PhoneMessage(%d) = %v", p.ID, err)
	}
	if got.AuthorID != author.ID || got.RecipientUserID != recipient.ID || got.RecipientTeamID != 0 ||
		got.CallerName != "Marie Dupont" || got.Organisation != "Association Vélo" || got.Phone != "+33612345678" ||
		got.Email != "marie@example.fr" || got.ContactID != ct.ID || got.ConversationID != c.ID ||
		got.Subject != "Subvention" || got.Urgency != inbox.UrgencyUrgent || !got.CallbackRequested ||
		got.CallbackBefore == nil || !got.CallbackBefore.Equal(before) || got.AcknowledgedAt != nil || !got.CreatedAt.Equal(t0) {
		t.Fatalf("PhoneMessage(%d) = %+v, want the fields written: %+v", p.ID, got, p)
	}
	ack, done := t0.Add(time.Hour), t0.Add(2*time.Hour)
	got.AcknowledgedAt, got.AcknowledgedBy = &ack, recipient.ID
	got.CallbackDoneAt, got.CallbackDoneBy, got.CallbackNote = &done, recipient.ID, "rappelée, RDV mardi"
	got.OverdueAt, got.UpdatedAt = &done, done
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdatePhoneMessage(ctx, &got) })
	again, err := s.PhoneMessage(ctx, p.ID)
	if err != nil || again.AcknowledgedAt == nil || !again.AcknowledgedAt.Equal(ack) || again.AcknowledgedBy != recipient.ID ||
		again.CallbackDoneAt == nil || !again.CallbackDoneAt.Equal(done) || again.CallbackNote != "rappelée, RDV mardi" ||
		again.OverdueAt == nil || !again.UpdatedAt.Equal(done) {
		t.Fatalf("PhoneMessage(%d) after update = %+v, %v", p.ID, again, err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		bad := inbox.PhoneMessage{AuthorID: author.ID, Subject: "x", Urgency: inbox.UrgencyNormal, CreatedAt: t0, UpdatedAt: t0}
		return tx.CreatePhoneMessage(ctx, &bad)
	})
	if err == nil {
		t.Fatal("CreatePhoneMessage(no recipient) = nil, want an error")
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		ghost := inbox.PhoneMessage{ID: p.ID + 100, UpdatedAt: t0}
		return tx.UpdatePhoneMessage(ctx, &ghost)
	})
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("UpdatePhoneMessage(unknown) = %v, want ErrNotFound", err)
	}
	if _, err := s.PhoneMessage(ctx, p.ID+100); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("PhoneMessage(unknown) = %v, want ErrNotFound", err)
	}
}

func testPhoneMessageKey(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	author, recipient, _, _ := people(t, s)
	first := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, IdempotencyKey: "k1"})
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		dup := inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, Subject: "x", Urgency: inbox.UrgencyLow, IdempotencyKey: "k1", CreatedAt: t0, UpdatedAt: t0}
		return tx.CreatePhoneMessage(ctx, &dup)
	})
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("CreatePhoneMessage(same author and key) = %v, want ErrDuplicate", err)
	}
	// Another author may use the same key; messages without a key never collide.
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: recipient.ID, RecipientUserID: author.ID, IdempotencyKey: "k1"})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID})
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		got, err := tx.PhoneMessageByKey(ctx, author.ID, "k1")
		if err != nil || got.ID != first.ID {
			return fmt.Errorf("PhoneMessageByKey(k1) = %d, %v; want %d", got.ID, err, first.ID)
		}
		if _, err := tx.PhoneMessageByKey(ctx, author.ID, "k2"); !errors.Is(err, inbox.ErrNotFound) {
			return fmt.Errorf("PhoneMessageByKey(k2) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testPhoneMessageQueries(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	author, recipient, a, b := people(t, s)
	due, later := t0.Add(time.Hour), t0.Add(5*time.Hour)
	ack := t0.Add(time.Minute)
	ct, c := seed(t, s, channels.Telephony, "+33600000001")
	forUser := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &due, ContactID: ct.ID, ConversationID: c.ID})
	forTeamB := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientTeamID: b.ID, AcknowledgedAt: &ack, AcknowledgedBy: recipient.ID})
	forTeamA := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: recipient.ID, RecipientTeamID: a.ID, CallbackRequested: true, CallbackBefore: &later, AcknowledgedAt: &ack})
	doneOne := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: recipient.ID, RecipientUserID: author.ID, CallbackRequested: true, CallbackBefore: &due, CallbackDoneAt: &ack, AcknowledgedAt: &ack})
	at := t0.Add(2 * time.Hour)
	ids := func(q inbox.PhoneMessageQuery) []int64 {
		t.Helper()
		list, err := s.PhoneMessages(ctx, q)
		if err != nil {
			t.Fatalf("PhoneMessages(%+v) = %v", q, err)
		}
		out := []int64{}
		for _, p := range list {
			out = append(out, p.ID)
		}
		return out
	}
	tests := []struct {
		name string
		q    inbox.PhoneMessageQuery
		want []int64
	}{
		{"all, newest first", inbox.PhoneMessageQuery{}, []int64{doneOne.ID, forTeamA.ID, forTeamB.ID, forUser.ID}},
		{"for a user", inbox.PhoneMessageQuery{RecipientUserID: recipient.ID}, []int64{forUser.ID}},
		{"for teams", inbox.PhoneMessageQuery{RecipientTeamIDs: []int64{a.ID, b.ID}}, []int64{forTeamA.ID, forTeamB.ID}},
		{"for no team", inbox.PhoneMessageQuery{RecipientTeamIDs: []int64{}}, []int64{}},
		{"by author", inbox.PhoneMessageQuery{AuthorID: author.ID}, []int64{forTeamB.ID, forUser.ID}},
		{"by contact", inbox.PhoneMessageQuery{ContactID: ct.ID}, []int64{forUser.ID}},
		{"by conversation", inbox.PhoneMessageQuery{ConversationID: c.ID}, []int64{forUser.ID}},
		{"visible to recipient", inbox.PhoneMessageQuery{Visible: &inbox.Visibility{UserID: recipient.ID, TeamIDs: recipient.TeamIDs}}, []int64{doneOne.ID, forTeamA.ID, forTeamB.ID, forUser.ID}},
		{"visible to nobody's", inbox.PhoneMessageQuery{Visible: &inbox.Visibility{UserID: 999}}, []int64{}},
		{"overdue", inbox.PhoneMessageQuery{DueBy: &at}, []int64{forUser.ID}},
		{"status new", inbox.PhoneMessageQuery{Statuses: []inbox.PhoneMessageStatus{inbox.PhoneMessageNew}}, []int64{forUser.ID}},
		{"status acknowledged", inbox.PhoneMessageQuery{Statuses: []inbox.PhoneMessageStatus{inbox.PhoneMessageAcknowledged}}, []int64{forTeamA.ID}},
		{"status done", inbox.PhoneMessageQuery{Statuses: []inbox.PhoneMessageStatus{inbox.PhoneMessageDone}}, []int64{doneOne.ID, forTeamB.ID}},
		{"new or acknowledged", inbox.PhoneMessageQuery{Statuses: []inbox.PhoneMessageStatus{inbox.PhoneMessageNew, inbox.PhoneMessageAcknowledged}}, []int64{forTeamA.ID, forUser.ID}},
		{"page", inbox.PhoneMessageQuery{BeforeID: forTeamA.ID, Limit: 1}, []int64{forTeamB.ID}},
	}
	for _, tt := range tests {
		if got := ids(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: PhoneMessages() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if _, err := s.PhoneMessages(ctx, inbox.PhoneMessageQuery{Statuses: []inbox.PhoneMessageStatus{"lost"}}); err == nil {
		t.Error("PhoneMessages(unknown status) = nil error")
	}
}

func testPhoneMessagesDue(t *testing.T, s inbox.Store) {
	author, recipient, _, _ := people(t, s)
	d1, d2, d3 := t0.Add(time.Hour), t0.Add(30*time.Minute), t0.Add(3*time.Hour)
	flagged := t0
	p1 := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &d1})
	p2 := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &d2})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &d3})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &d2, OverdueAt: &flagged})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID, CallbackRequested: true, CallbackBefore: &d2, CallbackDoneAt: &flagged})
	createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID})
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		got, err := tx.DuePhoneMessages(ctx, t0.Add(2*time.Hour), 10)
		if err != nil || len(got) != 2 || got[0].ID != p2.ID || got[1].ID != p1.ID {
			return fmt.Errorf("DuePhoneMessages(t0+2h) = %+v, %v; want [%d %d] (earliest due first)", got, err, p2.ID, p1.ID)
		}
		if got, err := tx.DuePhoneMessages(ctx, t0.Add(2*time.Hour), 1); err != nil || len(got) != 1 {
			return fmt.Errorf("DuePhoneMessages(limit 1) = %d, %v", len(got), err)
		}
		if got, err := tx.DuePhoneMessages(ctx, t0, 10); err != nil || len(got) != 0 {
			return fmt.Errorf("DuePhoneMessages(t0) = %d, %v; want none yet", len(got), err)
		}
		return nil
	})
}

func testPhoneMessageNotifications(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	author, recipient, _, _ := people(t, s)
	p := createPhoneMessage(t, s, inbox.PhoneMessage{AuthorID: author.ID, RecipientUserID: recipient.ID})
	put := func(n inbox.PhoneMessageNotification) {
		n.PhoneMessageID = p.ID
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.PutPhoneMessageNotification(ctx, n) })
	}
	put(inbox.PhoneMessageNotification{UserID: recipient.ID, Channel: "email", Kind: inbox.NoticeCreated, Status: inbox.NoticeFailed, Error: "timeout", At: t0})
	put(inbox.PhoneMessageNotification{UserID: recipient.ID, Channel: "slack", Kind: inbox.NoticeCreated, Status: inbox.NoticeSent, At: t0.Add(time.Second)})
	put(inbox.PhoneMessageNotification{UserID: recipient.ID, Channel: "email", Kind: inbox.NoticeCreated, Status: inbox.NoticeSent, At: t0.Add(time.Minute)})
	got, err := s.PhoneMessageNotifications(ctx, p.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("PhoneMessageNotifications() = %+v, %v; want 2 (the email one replaced)", got, err)
	}
	if got[0].Channel != "slack" || got[1].Channel != "email" || got[1].Status != inbox.NoticeSent || got[1].Error != "" || !got[1].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("PhoneMessageNotifications() = %+v, want slack then the replaced email", got)
	}
	if none, err := s.PhoneMessageNotifications(ctx, p.ID+1); err != nil || len(none) != 0 {
		t.Fatalf("PhoneMessageNotifications(other) = %+v, %v; want none", none, err)
	}
}

func testUpdateMessageText(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	ct, c := seed(t, s, channels.Telephony, "+33600000002")
	m := inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Telephony, ExternalID: "RE1", ContactID: ct.ID, Text: "Message vocal", CreatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateMessage(ctx, &m) })
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		return tx.UpdateMessageText(ctx, m.ID, "Message vocal : bonjour")
	})
	got, err := s.Message(ctx, m.ID)
	if err != nil || got.Text != "Message vocal : bonjour" || got.ExternalID != "RE1" {
		t.Fatalf("Message() after UpdateMessageText = %+v, %v", got, err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateMessageText(ctx, m.ID+100, "x") })
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("UpdateMessageText(unknown) = %v, want ErrNotFound", err)
	}
}
