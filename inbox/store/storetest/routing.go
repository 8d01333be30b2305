package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// routingCases are the contract cases of the routing data (migration 0002).
var routingCases = []struct {
	name string
	fn   func(t *testing.T, s inbox.Store)
}{
	{"RoutingStateRoundTrip", testRoutingState},
	{"ActiveAndAssignedConversations", testActiveAssigned},
	{"LastAgentAndLatestInbound", testLastAgent},
	{"SLAEventsRecordedOnce", testSLAEvents},
	{"HandoffLedger", testHandoffs},
	{"CorrectionSamples", testCorrections},
}

// RunRouting runs the routing cases; Run calls it.
func RunRouting(t *testing.T, open func(t *testing.T) inbox.Store) {
	for _, tt := range routingCases {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
}

func testRoutingState(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	if _, err := s.RoutingState(ctx, c.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("RoutingState(new) = %v, want ErrNotFound", err)
	}
	fixed := 5
	st := inbox.RoutingState{ConversationID: c.ID, MessageID: 12, CategoryConfidence: 0.87, CategoryRule: "spam-links",
		Urgency: "high", Explanation: map[string]json.RawMessage{"category": json.RawMessage(`"words facture"`),
			"priority": json.RawMessage(`{"code":"priority","args":{"score":20}}`)}, Rules: []string{"billing", "vip"},
		Skills: []string{"compta"}, NoAssign: true, PriorityFixed: &fixed, PriorityAdjust: -3, SLAPolicy: "default", UpdatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.PutRoutingState(ctx, &st) })
	got, err := s.RoutingState(ctx, c.ID)
	if err != nil || got.MessageID != 12 || got.CategoryConfidence != 0.87 || string(got.Explanation["category"]) != `"words facture"` ||
		string(got.Explanation["priority"]) != `{"code":"priority","args":{"score":20}}` ||
		!slices.Equal(got.Rules, st.Rules) || !slices.Equal(got.Skills, st.Skills) || !got.NoAssign || got.PriorityFixed == nil ||
		*got.PriorityFixed != 5 || got.PriorityAdjust != -3 || got.SLAPolicy != "default" || !got.UpdatedAt.Equal(t0) || got.Corrected {
		t.Fatalf("RoutingState() = %+v, %v, want %+v", got, err, st)
	}
	agent := createUser(t, s, "agent-rs@x.fr", inbox.RoleAgent)
	st.PriorityFixed, st.LastAgentID, st.Corrected = nil, agent.ID, true
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		if err := tx.PutRoutingState(ctx, &st); err != nil {
			return err
		}
		in, err := tx.RoutingState(ctx, c.ID)
		if err != nil || in.LastAgentID != agent.ID || !in.Corrected || in.PriorityFixed != nil {
			t.Errorf("tx.RoutingState() = %+v, %v: want the replaced state", in, err)
		}
		return nil
	})
}

func createUser(t *testing.T, s inbox.Store, email string, role inbox.Role, teams ...int64) inbox.User {
	t.Helper()
	u := inbox.User{Email: email, Name: email, Role: role, TeamIDs: teams, CreatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateUser(ctx, &u) })
	return u
}

func setConversation(t *testing.T, s inbox.Store, c *inbox.Conversation, change func(*inbox.Conversation)) {
	t.Helper()
	change(c)
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateConversation(ctx, c) })
}

func convIDs(l []inbox.Conversation) []int64 {
	out := []int64{}
	for _, c := range l {
		out = append(out, c.ID)
	}
	return out
}

func testActiveAssigned(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	a := createUser(t, s, "a@x.fr", inbox.RoleAgent)
	var ids []int64
	for i, st := range []inbox.Status{inbox.StatusOpen, inbox.StatusPending, inbox.StatusSnoozed, inbox.StatusResolved, inbox.StatusOpen} {
		_, c := seed(t, s, channels.Email, "")
		setConversation(t, s, &c, func(c *inbox.Conversation) {
			c.Status = st
			if i < 4 {
				c.AssigneeID = a.ID
			}
		})
		ids = append(ids, c.ID)
	}
	active, err := s.ActiveConversations(ctx, 0, 10)
	if err != nil || !slices.Equal(convIDs(active), []int64{ids[0], ids[1], ids[4]}) {
		t.Errorf("ActiveConversations(0) = %v, %v, want %v", convIDs(active), err, []int64{ids[0], ids[1], ids[4]})
	}
	page, _ := s.ActiveConversations(ctx, ids[0], 1)
	if !slices.Equal(convIDs(page), []int64{ids[1]}) {
		t.Errorf("ActiveConversations(after %d, 1) = %v, want [%d]", ids[0], convIDs(page), ids[1])
	}
	mine, err := s.AssignedConversations(ctx, a.ID)
	if err != nil || !slices.Equal(convIDs(mine), []int64{ids[0], ids[1]}) {
		t.Errorf("AssignedConversations() = %v, %v, want the open and pending ones", convIDs(mine), err)
	}
}

func testLastAgent(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	a := createUser(t, s, "a@x.fr", inbox.RoleAgent)
	b := createUser(t, s, "b@x.fr", inbox.RoleAgent)
	ct, c1 := seed(t, s, channels.Email, "")
	var c2, c3 inbox.Conversation
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		c2 = inbox.Conversation{Channel: channels.Webchat, ContactID: ct.ID, Status: inbox.StatusResolved, Tags: []string{}, LastMessageAt: t0.Add(time.Hour), CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateConversation(ctx, &c2); err != nil {
			return err
		}
		c3 = inbox.Conversation{Channel: channels.Webchat, ContactID: ct.ID, Status: inbox.StatusOpen, Tags: []string{}, LastMessageAt: t0.Add(2 * time.Hour), CreatedAt: t0, UpdatedAt: t0}
		return tx.CreateConversation(ctx, &c3)
	})
	if id, err := s.LastAgentOfContact(ctx, ct.ID, c3.ID); id != 0 || err != nil {
		t.Errorf("LastAgentOfContact(nobody yet) = %d, %v", id, err)
	}
	setConversation(t, s, &c1, func(c *inbox.Conversation) { c.AssigneeID = a.ID })
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		return tx.PutRoutingState(ctx, &inbox.RoutingState{ConversationID: c2.ID, LastAgentID: b.ID, UpdatedAt: t0})
	})
	if id, err := s.LastAgentOfContact(ctx, ct.ID, c3.ID); id != b.ID || err != nil {
		t.Errorf("LastAgentOfContact() = %d, %v, want %d (the most recent other conversation's agent)", id, err, b.ID)
	}
	if _, err := s.LatestInbound(ctx, c1.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("LatestInbound(no message) = %v, want ErrNotFound", err)
	}
	for i, k := range []inbox.MessageKind{inbox.KindIn, inbox.KindIn, inbox.KindOut} {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error {
			m := inbox.Message{ConversationID: c1.ID, Kind: k, Channel: channels.Email, Text: string(rune('a' + i)), CreatedAt: t0.Add(time.Duration(i) * time.Minute)}
			return tx.CreateMessage(ctx, &m)
		})
	}
	if m, err := s.LatestInbound(ctx, c1.ID); err != nil || m.Text != "b" {
		t.Errorf("LatestInbound() = %q, %v, want the second inbound message", m.Text, err)
	}
	// A message dated earlier that arrives last (a mailbox backfill) is the latest to
	// arrive, the one the router has yet to route.
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		m := inbox.Message{ConversationID: c1.ID, Kind: inbox.KindIn, Channel: channels.Email, Text: "old", CreatedAt: t0.Add(-time.Hour)}
		return tx.CreateMessage(ctx, &m)
	})
	if m, err := s.LatestInbound(ctx, c1.ID); err != nil || m.Text != "old" {
		t.Errorf("LatestInbound() = %q, %v, want the message that arrived last", m.Text, err)
	}
	if in, err := s.RoutingInput(ctx, c1.ID); err != nil || in.Message.Text != "old" {
		t.Errorf("RoutingInput().Message = %q, %v, want the message that arrived last", in.Message.Text, err)
	}
}

func testSLAEvents(t *testing.T, s inbox.Store) {
	_, c := seed(t, s, channels.Email, "")
	e := inbox.SLAEvent{ConversationID: c.ID, Target: inbox.SLAFirstResponse, Stage: inbox.SLAWarning, Due: t0, At: t0}
	var first, again, other bool
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		var err error
		if first, err = tx.AddSLAEvent(ctx, e); err != nil {
			return err
		}
		if again, err = tx.AddSLAEvent(ctx, e); err != nil {
			return err
		}
		e.Due = t0.Add(time.Hour)
		other, err = tx.AddSLAEvent(ctx, e)
		return err
	})
	if !first || again || !other {
		t.Errorf("AddSLAEvent: first %v, same again %v, new due %v; want true, false, true", first, again, other)
	}
}

func testHandoffs(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var team inbox.Team
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		team = inbox.Team{Slug: "compta", Name: "Compta"}
		return tx.CreateTeam(ctx, &team)
	})
	a := createUser(t, s, "a@x.fr", inbox.RoleAgent)
	b := createUser(t, s, "b@x.fr", inbox.RoleAgent)
	_, c := seed(t, s, channels.Email, "")
	_, c2 := seed(t, s, channels.Email, "")
	h := inbox.Handoff{ConversationID: c.ID, Kind: inbox.HandoffAgent, FromUserID: a.ID, ToUserID: b.ID, Reason: "langue",
		Note: "Parle anglais", Status: inbox.HandoffPending, PreviousAssigneeID: a.ID, RequestedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateHandoff(ctx, &h) })
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		dup := h
		return tx.CreateHandoff(ctx, &dup)
	})
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("second pending handoff = %v, want ErrDuplicate", err)
	}
	got, err := s.Handoff(ctx, h.ID)
	if err != nil || got.Reason != "langue" || got.Note != "Parle anglais" || got.ToUserID != b.ID || got.FromUserID != a.ID ||
		got.Status != inbox.HandoffPending || !got.ExpiresAt.Equal(h.ExpiresAt) || got.AnsweredAt != nil || got.PreviousAssigneeID != a.ID {
		t.Fatalf("Handoff() = %+v, %v, want %+v", got, err, h)
	}
	esc := inbox.Handoff{ConversationID: c2.ID, Kind: inbox.HandoffSupervisor, FromLabel: "bot", Reason: "r", Note: "n",
		Status: inbox.HandoffPending, RequestedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(time.Minute)}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateHandoff(ctx, &esc) })
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		expired, err := tx.ExpiredHandoffs(ctx, t0.Add(5*time.Minute), 10)
		if err != nil || len(expired) != 1 || expired[0].ID != esc.ID {
			t.Errorf("ExpiredHandoffs() = %+v, %v, want the escalation only", expired, err)
		}
		p, err := tx.PendingHandoff(ctx, c.ID)
		if err != nil || p.ID != h.ID {
			t.Errorf("PendingHandoff() = %+v, %v", p, err)
		}
		at := t0.Add(3 * time.Minute)
		h.Status, h.AnsweredAt, h.AnsweredBy = inbox.HandoffAccepted, &at, b.ID
		return tx.UpdateHandoff(ctx, &h)
	})
	got, _ = s.Handoff(ctx, h.ID)
	if got.Status != inbox.HandoffAccepted || got.AnsweredBy != b.ID || got.TimeToAccept() == nil || *got.TimeToAccept() != 3*time.Minute {
		t.Errorf("after UpdateHandoff: %+v", got)
	}
	tm := inbox.Handoff{ConversationID: c.ID, Kind: inbox.HandoffTeam, FromUserID: b.ID, ToTeamID: team.ID, Reason: "r", Note: "n",
		Status: inbox.HandoffPending, RequestedAt: t0.Add(time.Hour), ExpiresAt: t0.Add(2 * time.Hour)}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateHandoff(ctx, &tm) })
	ids := func(q inbox.HandoffQuery) []int64 {
		hs, err := s.Handoffs(ctx, q)
		if err != nil {
			t.Fatalf("Handoffs(%+v) = %v", q, err)
		}
		var out []int64
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	for _, tt := range []struct {
		q    inbox.HandoffQuery
		want []int64
	}{
		{inbox.HandoffQuery{}, []int64{tm.ID, esc.ID, h.ID}},
		{inbox.HandoffQuery{ConversationID: c.ID}, []int64{tm.ID, h.ID}},
		{inbox.HandoffQuery{Status: inbox.HandoffPending}, []int64{tm.ID, esc.ID}},
		{inbox.HandoffQuery{Involving: a.ID}, []int64{h.ID}},
		{inbox.HandoffQuery{Involving: a.ID, Teams: []int64{team.ID}}, []int64{tm.ID, h.ID}},
		{inbox.HandoffQuery{Involving: a.ID, Supervisors: true}, []int64{esc.ID, h.ID}},
		{inbox.HandoffQuery{Since: t0.Add(30 * time.Minute)}, []int64{tm.ID}},
		{inbox.HandoffQuery{Limit: 1}, []int64{tm.ID}},
	} {
		if got := ids(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("Handoffs(%+v) = %v, want %v", tt.q, got, tt.want)
		}
	}
	if _, err := s.Handoff(ctx, 9999); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("Handoff(unknown) = %v, want ErrNotFound", err)
	}
}

func testCorrections(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	var m inbox.Message
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		m = inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Email, Subject: "Facture", Text: "Ma facture est fausse", CreatedAt: t0}
		return tx.CreateMessage(ctx, &m)
	})
	for i, cat := range []string{"complaint", "billing"} {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error {
			return tx.AddCorrection(ctx, &inbox.CorrectionRecord{ConversationID: c.ID, MessageID: m.ID, Category: cat, Language: "fr",
				Tension: "calm", OldCategory: "information", CreatedAt: t0.Add(time.Duration(i) * time.Minute)})
		})
	}
	got, err := s.CorrectionSamples(ctx)
	want := []inbox.CorrectionSample{{MessageID: m.ID, Subject: "Facture", Text: "Ma facture est fausse", Channel: channels.Email, Category: "billing", Language: "fr", Tension: "calm"}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("CorrectionSamples() = %+v, %v, want the latest correction only: %+v", got, err, want)
	}
}
