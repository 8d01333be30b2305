package inbox_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// desk is a fixture with the people of a small front desk.
type desk struct {
	*fixture
	author, jean, urbaMate, outsider, sup, admin inbox.User
	urba                                         inbox.Team
}

func newDesk(t *testing.T) *desk {
	d := &desk{fixture: newFixture(t, inbox.Config{})}
	d.author = d.user(t, "accueil@x.fr", inbox.RoleAgent, "accueil")
	d.jean = d.user(t, "jean@x.fr", inbox.RoleAgent, "urbanisme")
	d.urbaMate = d.user(t, "paul@x.fr", inbox.RoleAgent, "urbanisme")
	d.outsider = d.user(t, "compta@x.fr", inbox.RoleAgent, "compta")
	d.sup = d.user(t, "sup@x.fr", inbox.RoleSupervisor)
	d.admin = d.user(t, "admin@x.fr", inbox.RoleAdmin)
	teams, err := d.svc.Teams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, tm := range teams {
		if tm.Slug == "urbanisme" {
			d.urba = tm
		}
	}
	return d
}

func (d *desk) take(t *testing.T, in inbox.NewPhoneMessage) inbox.PhoneMessage {
	t.Helper()
	p, created, err := d.svc.CreatePhoneMessage(context.Background(), d.author, in)
	if err != nil || !created {
		t.Fatalf("CreatePhoneMessage(%+v) = %v, created=%v", in, err, created)
	}
	return p
}

// topics returns the outbox event types written so far.
func (d *desk) topics(t *testing.T) []string {
	t.Helper()
	recs, err := d.store.OutboxAfter(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, r.Type)
	}
	return out
}

func TestPhoneMessageCreateValidates(t *testing.T) {
	d := newDesk(t)
	past := d.clock.now().Add(-time.Minute)
	ok := inbox.NewPhoneMessage{CallerName: "Marie Dupont", Phone: "06 12 34 56 78", RecipientUserID: d.jean.ID, Subject: "Permis de construire"}
	tests := []struct {
		name  string
		edit  func(*inbox.NewPhoneMessage)
		field string
	}{
		{"no subject", func(n *inbox.NewPhoneMessage) { n.Subject = "  " }, "subject"},
		{"long subject", func(n *inbox.NewPhoneMessage) { n.Subject = strings.Repeat("é", 150) }, "subject"},
		{"no recipient", func(n *inbox.NewPhoneMessage) { n.RecipientUserID = 0 }, "recipient"},
		{"two recipients", func(n *inbox.NewPhoneMessage) { n.RecipientTeamID = d.urba.ID }, "recipient"},
		{"unknown user", func(n *inbox.NewPhoneMessage) { n.RecipientUserID = 9999 }, "recipient_user_id"},
		{"unknown team", func(n *inbox.NewPhoneMessage) { n.RecipientUserID, n.RecipientTeamID = 0, 9999 }, "recipient_team_id"},
		{"bad phone", func(n *inbox.NewPhoneMessage) { n.Phone = "appelez-moi" }, "phone"},
		{"bad email", func(n *inbox.NewPhoneMessage) { n.Email = "marie@" }, "email"},
		{"bad urgency", func(n *inbox.NewPhoneMessage) { n.Urgency = "asap" }, "urgency"},
		{"past callback", func(n *inbox.NewPhoneMessage) { n.CallbackBefore = &past }, "callback_before"},
		{"anonymous", func(n *inbox.NewPhoneMessage) { n.CallerName, n.Phone = "", "" }, "caller_name"},
		{"unknown conversation", func(n *inbox.NewPhoneMessage) { n.ConversationID = 9999 }, "conversation_id"},
	}
	for _, tt := range tests {
		in := ok
		tt.edit(&in)
		_, _, err := d.svc.CreatePhoneMessage(context.Background(), d.author, in)
		var inv *inbox.InvalidError
		if !errors.As(err, &inv) || inv.Field != tt.field {
			t.Errorf("%s: CreatePhoneMessage() = %v, want an invalid %s", tt.name, err, tt.field)
		}
	}
	if got := d.topics(t); len(got) != 0 {
		t.Fatalf("refused creations wrote events %v", got)
	}
	disabled := d.author
	disabled.Disabled = true
	if _, _, err := d.svc.CreatePhoneMessage(context.Background(), disabled, ok); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("CreatePhoneMessage(disabled author) = %v, want ErrUnauthorized", err)
	}
}

func TestPhoneMessageCreateLinksCallerAndIsIdempotent(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	before := d.clock.now().Add(2 * time.Hour)
	in := inbox.NewPhoneMessage{CallerName: "Marie Dupont", Organisation: "Vélo Club", Phone: "06 12 34 56 78", Email: "Marie@Example.fr",
		RecipientUserID: d.jean.ID, Subject: "Permis", Text: "Rappeler ce matin", Urgency: inbox.UrgencyUrgent, CallbackBefore: &before, IdempotencyKey: "form-1"}
	p := d.take(t, in)
	if p.Phone != "+33612345678" || p.Email != "marie@example.fr" || !p.CallbackRequested || p.ContactID == 0 || p.Status != inbox.PhoneMessageNew || p.Overdue {
		t.Fatalf("CreatePhoneMessage() = %+v, want normalised caller, a contact, callback requested, status new", p)
	}
	again, created, err := d.svc.CreatePhoneMessage(ctx, d.author, in)
	if err != nil || created || again.ID != p.ID {
		t.Fatalf("CreatePhoneMessage(same key) = %d, created=%v, %v; want the first (%d), not created", again.ID, created, err, p.ID)
	}
	// The next message from the same number finds the same contact.
	q := d.take(t, inbox.NewPhoneMessage{Phone: "+33612345678", RecipientTeamID: d.urba.ID, Subject: "Encore"})
	if q.ContactID != p.ContactID {
		t.Fatalf("second message's contact = %d, want %d", q.ContactID, p.ContactID)
	}
	if got := d.topics(t); !slices.Equal(got, []string{inbox.TopicPhoneMessageCreated, inbox.TopicPhoneMessageCreated}) {
		t.Fatalf("outbox = %v, want two phone_message.created", got)
	}
	// From a call: caller fields come from the conversation's contact.
	res, err := d.svc.RecordCall(ctx, missedCall("CA1", "+33698765432", 60))
	if err != nil {
		t.Fatal(err)
	}
	r := d.take(t, inbox.NewPhoneMessage{ConversationID: res.ConversationID, RecipientUserID: d.jean.ID, Subject: "Rappel"})
	if r.Phone != "+33698765432" || r.ContactID != res.ContactID || r.ConversationID != res.ConversationID {
		t.Fatalf("message from a call = %+v, want the caller's number and contact", r)
	}
	conv, err := d.svc.Conversation(ctx, d.sup, res.ConversationID)
	if err != nil || !hasEvent(conv.Events, inbox.EventPhoneMessage) {
		t.Fatalf("conversation %d timeline = %+v, %v; want a phone_message event", res.ConversationID, conv.Events, err)
	}
}

func hasEvent(events []inbox.Event, typ string) bool {
	return slices.ContainsFunc(events, func(e inbox.Event) bool { return e.Type == typ })
}

func TestPhoneMessagePermissions(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	forJean := d.take(t, inbox.NewPhoneMessage{CallerName: "M. Martin", RecipientUserID: d.jean.ID, Subject: "Devis", CallbackRequested: true})
	forTeam := d.take(t, inbox.NewPhoneMessage{CallerName: "Mme Roux", RecipientTeamID: d.urba.ID, Subject: "Cadastre"})
	type who struct {
		name string
		u    inbox.User
	}
	tests := []struct {
		who            who
		p              inbox.PhoneMessage
		see, ack, done error
	}{
		{who{"recipient", d.jean}, forJean, nil, nil, nil},
		{who{"author", d.author}, forJean, nil, inbox.ErrForbidden, inbox.ErrForbidden},
		{who{"teammate of a user's message", d.urbaMate}, forJean, inbox.ErrNotFound, inbox.ErrNotFound, inbox.ErrNotFound},
		{who{"outsider", d.outsider}, forJean, inbox.ErrNotFound, inbox.ErrNotFound, inbox.ErrNotFound},
		{who{"supervisor", d.sup}, forJean, nil, inbox.ErrForbidden, nil},
		{who{"team member", d.urbaMate}, forTeam, nil, nil, nil},
		{who{"outsider on team message", d.outsider}, forTeam, inbox.ErrNotFound, inbox.ErrNotFound, inbox.ErrNotFound},
		{who{"admin", d.admin}, forTeam, nil, inbox.ErrForbidden, nil},
	}
	for _, tt := range tests {
		_, err := d.svc.PhoneMessage(ctx, tt.who.u, tt.p.ID)
		if !errors.Is(err, tt.see) && !(tt.see == nil && err == nil) {
			t.Errorf("%s: PhoneMessage(%d) = %v, want %v", tt.who.name, tt.p.ID, err, tt.see)
		}
		_, err = d.svc.AcknowledgePhoneMessage(ctx, tt.who.u, tt.p.ID)
		if (tt.ack == nil) != (err == nil) || (tt.ack != nil && !errors.Is(err, tt.ack)) {
			t.Errorf("%s: AcknowledgePhoneMessage(%d) = %v, want %v", tt.who.name, tt.p.ID, err, tt.ack)
		}
		_, err = d.svc.CompletePhoneMessageCallback(ctx, tt.who.u, tt.p.ID, "")
		if (tt.done == nil) != (err == nil) || (tt.done != nil && !errors.Is(err, tt.done)) {
			t.Errorf("%s: CompletePhoneMessageCallback(%d) = %v, want %v", tt.who.name, tt.p.ID, err, tt.done)
		}
	}
	if _, _, err := d.svc.PhoneMessages(ctx, d.jean, inbox.PhoneMessageList{Box: inbox.BoxAll}); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("PhoneMessages(agent, all) = %v, want ErrForbidden", err)
	}
	if list, _, err := d.svc.PhoneMessages(ctx, d.sup, inbox.PhoneMessageList{Box: inbox.BoxAll}); err != nil || len(list) != 2 {
		t.Errorf("PhoneMessages(supervisor, all) = %d, %v; want 2", len(list), err)
	}
}

func TestPhoneMessageFlow(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	res, err := d.svc.RecordCall(ctx, missedCall("CA9", "+33611111111", 0))
	if err != nil {
		t.Fatal(err)
	}
	before := d.clock.now().Add(time.Hour)
	p := d.take(t, inbox.NewPhoneMessage{ConversationID: res.ConversationID, RecipientUserID: d.jean.ID, Subject: "Rappeler", CallbackBefore: &before, Urgency: inbox.UrgencyUrgent})
	list := func(u inbox.User, box string) []int64 {
		t.Helper()
		l, _, err := d.svc.PhoneMessages(ctx, u, inbox.PhoneMessageList{Box: box})
		if err != nil {
			t.Fatalf("PhoneMessages(%s) = %v", box, err)
		}
		var ids []int64
		for _, p := range l {
			ids = append(ids, p.ID)
		}
		return ids
	}
	if got := list(d.jean, inbox.BoxMine); !slices.Equal(got, []int64{p.ID}) {
		t.Fatalf("jean's box = %v, want [%d]", got, p.ID)
	}
	if got := list(d.author, inbox.BoxSent); !slices.Equal(got, []int64{p.ID}) {
		t.Fatalf("author's sent box = %v, want [%d]", got, p.ID)
	}
	if got := list(d.sup, inbox.BoxOverdue); len(got) != 0 {
		t.Fatalf("overdue before the time = %v, want none", got)
	}
	// Delivered: the audience of the created notice is the recipient.
	_, aud, err := d.svc.PhoneMessageAudience(ctx, p.ID, inbox.NoticeCreated)
	if err != nil || len(aud) != 1 || aud[0].ID != d.jean.ID {
		t.Fatalf("PhoneMessageAudience(created) = %v, %v; want jean", aud, err)
	}
	acked, err := d.svc.AcknowledgePhoneMessage(ctx, d.jean, p.ID)
	if err != nil || acked.Status != inbox.PhoneMessageAcknowledged || acked.AcknowledgedBy != d.jean.ID {
		t.Fatalf("AcknowledgePhoneMessage() = %+v, %v", acked, err)
	}
	if _, err := d.svc.AcknowledgePhoneMessage(ctx, d.jean, p.ID); err != nil {
		t.Fatalf("AcknowledgePhoneMessage(again) = %v, want no error", err)
	}
	// Time passes: the callback is overdue, flagged once.
	if n, err := d.svc.MarkOverduePhoneMessages(ctx); err != nil || n != 0 {
		t.Fatalf("MarkOverduePhoneMessages(before due) = %d, %v", n, err)
	}
	d.clock.add(61 * time.Minute)
	if n, err := d.svc.MarkOverduePhoneMessages(ctx); err != nil || n != 1 {
		t.Fatalf("MarkOverduePhoneMessages(after due) = %d, %v; want 1", n, err)
	}
	if n, err := d.svc.MarkOverduePhoneMessages(ctx); err != nil || n != 0 {
		t.Fatalf("MarkOverduePhoneMessages(again) = %d, %v; want 0", n, err)
	}
	for _, u := range []inbox.User{d.sup, d.author, d.jean} {
		if got := list(u, inbox.BoxOverdue); !slices.Equal(got, []int64{p.ID}) {
			t.Errorf("%s's overdue box = %v, want [%d]", u.Email, got, p.ID)
		}
	}
	if got := list(d.outsider, inbox.BoxOverdue); len(got) != 0 {
		t.Errorf("outsider's overdue box = %v, want none", got)
	}
	_, aud, err = d.svc.PhoneMessageAudience(ctx, p.ID, inbox.NoticeOverdue)
	var ids []int64
	for _, u := range aud {
		ids = append(ids, u.ID)
	}
	if err != nil || !slices.Equal(ids, []int64{d.author.ID, d.jean.ID, d.sup.ID}) {
		t.Fatalf("PhoneMessageAudience(overdue) = %v, %v; want author, recipient and supervisor", ids, err)
	}
	shown, err := d.svc.PhoneMessage(ctx, d.author, p.ID)
	if err != nil || !shown.Overdue || shown.OverdueAt == nil {
		t.Fatalf("PhoneMessage() = %+v, %v; want overdue", shown, err)
	}
	done, err := d.svc.CompletePhoneMessageCallback(ctx, d.jean, p.ID, "Rappelée, dossier complet")
	if err != nil || done.Status != inbox.PhoneMessageDone || done.Overdue || done.CallbackNote != "Rappelée, dossier complet" {
		t.Fatalf("CompletePhoneMessageCallback() = %+v, %v", done, err)
	}
	if got := list(d.sup, inbox.BoxOverdue); len(got) != 0 {
		t.Fatalf("overdue box after the callback = %v, want none", got)
	}
	want := []string{inbox.TopicPhoneMessageCreated, inbox.TopicPhoneMessageAcknowledged, inbox.TopicPhoneMessageOverdue, inbox.TopicPhoneMessageCallbackDone}
	var got []string
	for _, typ := range d.topics(t) {
		if len(typ) > 14 && typ[:14] == "phone_message." {
			got = append(got, typ)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("phone message events = %v, want %v", got, want)
	}
	conv, err := d.svc.Conversation(ctx, d.sup, res.ConversationID)
	if err != nil {
		t.Fatal(err)
	}
	for _, typ := range []string{inbox.EventPhoneMessage, inbox.EventPhoneMessageAcknowledged, inbox.EventPhoneMessageOverdue, inbox.EventPhoneMessageCallbackDone} {
		if !hasEvent(conv.Events, typ) {
			t.Errorf("conversation timeline lacks %s", typ)
		}
	}
	if err := d.svc.RecordPhoneMessageNotification(ctx, inbox.PhoneMessageNotification{PhoneMessageID: p.ID, UserID: d.jean.ID, Channel: channels.Email, Kind: inbox.NoticeCreated, Status: inbox.NoticeSent}); err != nil {
		t.Fatal(err)
	}
	if det, err := d.svc.PhoneMessage(ctx, d.jean, p.ID); err != nil || len(det.Notifications) != 1 {
		t.Fatalf("PhoneMessage().Notifications = %+v, %v; want the email", det.Notifications, err)
	}
}

func TestPhoneMessageListPagesAndFilters(t *testing.T) {
	d := newDesk(t)
	ctx := context.Background()
	var ids []int64
	for range 5 {
		ids = append(ids, d.take(t, inbox.NewPhoneMessage{CallerName: "X", RecipientTeamID: d.urba.ID, Subject: "s"}).ID)
	}
	if _, err := d.svc.AcknowledgePhoneMessage(ctx, d.jean, ids[0]); err != nil {
		t.Fatal(err)
	}
	var seen []int64
	var before int64
	for range 10 {
		page, next, err := d.svc.PhoneMessages(ctx, d.urbaMate, inbox.PhoneMessageList{Box: inbox.BoxTeam, Limit: 2, BeforeID: before})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range page {
			seen = append(seen, p.ID)
		}
		if next == 0 {
			break
		}
		before = next
	}
	slices.Reverse(seen)
	if !slices.Equal(seen, ids) {
		t.Fatalf("team box pages = %v, want %v", seen, ids)
	}
	done, _, err := d.svc.PhoneMessages(ctx, d.jean, inbox.PhoneMessageList{Box: inbox.BoxTeam, Statuses: []inbox.PhoneMessageStatus{inbox.PhoneMessageDone}})
	if err != nil || len(done) != 1 || done[0].ID != ids[0] {
		t.Fatalf("done team messages = %+v, %v; want the acknowledged one (no callback asked)", done, err)
	}
	bad := []inbox.PhoneMessageList{{Box: "inbox"}, {Limit: 1000}, {Statuses: []inbox.PhoneMessageStatus{"read"}}}
	for _, l := range bad {
		if _, _, err := d.svc.PhoneMessages(ctx, d.jean, l); !inbox.IsInvalid(err) {
			t.Errorf("PhoneMessages(%+v) = %v, want invalid", l, err)
		}
	}
	if none, _, err := d.svc.PhoneMessages(ctx, d.sup, inbox.PhoneMessageList{Box: inbox.BoxTeam}); err != nil || len(none) != 0 {
		t.Fatalf("team box of a supervisor without team = %d, %v; want empty", len(none), err)
	}
}
