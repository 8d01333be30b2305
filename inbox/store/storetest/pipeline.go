package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// pipelineCases are the contract cases of the workers' one-query reads and narrow
// writes.
var pipelineCases = []struct {
	name string
	fn   func(t *testing.T, s inbox.Store)
}{
	{"RoutingInputMatchesSeparateReads", testRoutingInput},
	{"UpdateClassificationIsNarrow", testUpdateClassification},
}

// separateRoutingInput reads what RoutingInput returns, one read at a time.
func separateRoutingInput(t *testing.T, s inbox.Store, id int64) inbox.RoutingInput {
	t.Helper()
	ctx := context.Background()
	var in inbox.RoutingInput
	var err error
	if in.Conversation, err = s.Conversation(ctx, id); err != nil {
		t.Fatalf("Conversation(%d) = %v", id, err)
	}
	if in.Contact, err = s.Contact(ctx, in.Conversation.ContactID); err != nil {
		t.Fatalf("Contact() = %v", err)
	}
	if in.Message, err = s.LatestInbound(ctx, id); err != nil && !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("LatestInbound() = %v", err)
	}
	if in.State, err = s.RoutingState(ctx, id); err != nil && !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("RoutingState() = %v", err)
	}
	in.PreviousAgent = in.State.LastAgentID
	if in.PreviousAgent == 0 {
		if in.PreviousAgent, err = s.LastAgentOfContact(ctx, in.Conversation.ContactID, id); err != nil {
			t.Fatalf("LastAgentOfContact() = %v", err)
		}
	}
	return in
}

func checkRoutingInput(t *testing.T, s inbox.Store, id int64, step string) inbox.RoutingInput {
	t.Helper()
	got, err := s.RoutingInput(context.Background(), id)
	if err != nil {
		t.Fatalf("%s: RoutingInput(%d) = %v", step, id, err)
	}
	want := separateRoutingInput(t, s, id)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: RoutingInput(%d) =\n%+v\nwant (separate reads)\n%+v", step, id, got, want)
	}
	return got
}

func testRoutingInput(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	if _, err := s.RoutingInput(ctx, 999999); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("RoutingInput(unknown) = %v, want ErrNotFound", err)
	}
	ct, c := seed(t, s, channels.Email, "")
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		return tx.AddIdentity(ctx, ct.ID, inbox.Identity{Kind: channels.KindPhone, Value: "+33612345678", Name: "portable"})
	})
	// A conversation without messages nor routing state.
	in := checkRoutingInput(t, s, c.ID, "new conversation")
	if in.Message.ID != 0 || in.State.ConversationID != 0 || in.PreviousAgent != 0 || len(in.Contact.Identities) != 2 {
		t.Fatalf("new conversation: RoutingInput() = %+v, want no message, no state, 2 identities", in)
	}
	// Two inbound messages and an outbound one: the newest inbound comes back.
	var last int64
	for i, kind := range []inbox.MessageKind{inbox.KindIn, inbox.KindIn, inbox.KindOut} {
		m := inbox.Message{ConversationID: c.ID, Kind: kind, Channel: channels.Email, ContactID: ct.ID,
			Subject: "Objet", Text: "Bonjour", Warnings: []string{"w"}, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateMessage(ctx, &m) })
		if kind == inbox.KindIn {
			last = m.ID
		}
	}
	if in = checkRoutingInput(t, s, c.ID, "messages"); in.Message.ID != last {
		t.Fatalf("messages: newest inbound = %d, want %d", in.Message.ID, last)
	}
	// Another conversation of the contact held by an agent: the previous agent.
	agent := createUser(t, s, "agent-pipeline@x.fr", inbox.RoleAgent)
	other := inbox.Conversation{Channel: channels.Email, ContactID: ct.ID, Subject: "Autre", Status: inbox.StatusOpen,
		Tags: []string{}, AssigneeID: agent.ID, LastMessageAt: t0, CreatedAt: t0, UpdatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateConversation(ctx, &other) })
	if in = checkRoutingInput(t, s, c.ID, "other conversation"); in.PreviousAgent != agent.ID {
		t.Fatalf("other conversation: previous agent = %d, want %d", in.PreviousAgent, agent.ID)
	}
	// A routing state with its own last agent wins.
	second := createUser(t, s, "agent-pipeline2@x.fr", inbox.RoleAgent)
	fixed := 3
	st := inbox.RoutingState{ConversationID: c.ID, MessageID: last, CategoryConfidence: 0.5, CategoryRule: "r",
		Urgency: "high", Explanation: map[string]json.RawMessage{"route": json.RawMessage(`"rule x"`)}, Rules: []string{"x"}, Skills: []string{"compta"},
		NoAssign: true, PriorityFixed: &fixed, PriorityAdjust: 2, SLAPolicy: "p", LastAgentID: second.ID, UpdatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.PutRoutingState(ctx, &st) })
	if in = checkRoutingInput(t, s, c.ID, "state"); in.PreviousAgent != second.ID || in.State.MessageID != last {
		t.Fatalf("state: RoutingInput() = %+v, want previous agent %d", in, second.ID)
	}
}

func testUpdateClassification(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	agent := createUser(t, s, "agent-classif@x.fr", inbox.RoleAgent)
	team := inbox.Team{Slug: "etat-civil", Name: "État civil"}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateTeam(ctx, &team) })
	setConversation(t, s, &c, func(c *inbox.Conversation) { c.AssigneeID, c.Status = agent.ID, inbox.StatusPending })
	want := c
	due := t0.Add(2 * time.Hour)
	// Fields UpdateClassification must leave alone are changed in memory only.
	changed := c
	changed.Status, changed.AssigneeID, changed.Subject, changed.LastMessageAt = inbox.StatusResolved, 0, "autre", t0.Add(time.Hour)
	changed.Category, changed.Language, changed.Tension, changed.Priority = "etat-civil", "fr", "calm", 42
	changed.TeamID, changed.Tags, changed.MessageCount = team.ID, []string{"urgent"}, 5
	changed.FirstResponseDue, changed.NextResponseDue, changed.ResolutionDue = &due, &due, &due
	changed.UpdatedAt = t0.Add(time.Minute)
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateClassification(ctx, &changed) })
	want.Category, want.Language, want.Tension, want.Priority = "etat-civil", "fr", "calm", 42
	want.TeamID, want.Tags, want.MessageCount = team.ID, []string{"urgent"}, 5
	want.FirstResponseDue, want.NextResponseDue, want.ResolutionDue = &due, &due, &due
	want.UpdatedAt = t0.Add(time.Minute)
	got, err := s.Conversation(ctx, c.ID)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("after UpdateClassification: %+v, %v\nwant %+v", got, err, want)
	}
	missing := inbox.Conversation{ID: 999999, Tags: []string{}}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateClassification(ctx, &missing) })
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("UpdateClassification(unknown) = %v, want ErrNotFound", err)
	}
}
