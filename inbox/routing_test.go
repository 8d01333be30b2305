package inbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

func eventTypes(t *testing.T, f *fixture, id int64) []string {
	t.Helper()
	evs, err := f.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestClassifyIsIdempotentAndKeepsCorrections(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	agent := f.user(t, "a@mairie.fr", inbox.RoleAgent, "accueil")
	team := agent.TeamIDs[0]
	res := f.ingest(t, email("marie@example.fr", "<1@x>", "Facture", "Ma facture est fausse"))
	due := f.clock.now().Add(4 * time.Hour)
	r := inbox.Routing{MessageID: res.MessageID, Category: "billing", CategoryConfidence: 0.91, Language: "fr", Tension: "calm",
		Urgency: "normal", Priority: 30, Explanation: map[string]json.RawMessage{"category": json.RawMessage(`"words facture"`)}, Rules: []string{"billing"},
		TeamID: &team, Tags: []string{"Facture"}, SLAPolicy: "default", FirstResponseDue: &due}
	c, applied, err := f.svc.Classify(ctx, res.ConversationID, r)
	if err != nil || !applied {
		t.Fatalf("Classify() = %v, %v", applied, err)
	}
	if c.Category != "billing" || c.Priority != 30 || c.TeamID != team || !slices.Equal(c.Tags, []string{"facture"}) || c.FirstResponseDue == nil || !c.FirstResponseDue.Equal(due) {
		t.Errorf("Classify() conversation = %+v", c)
	}
	if types := eventTypes(t, f, c.ID); !slices.Contains(types, inbox.EventClassified) || !slices.Contains(types, inbox.EventTeamChanged) {
		t.Errorf("timeline = %v, want classified and team_changed", types)
	}
	// The same message again (a redelivered event) changes nothing.
	r2 := r
	r2.Category, r2.Priority = "complaint", 90
	if _, applied, err := f.svc.Classify(ctx, c.ID, r2); applied || err != nil {
		t.Errorf("Classify(same message again) = %v, %v, want not applied", applied, err)
	}
	if got, _ := f.store.Conversation(ctx, c.ID); got.Category != "billing" || got.Priority != 30 {
		t.Errorf("after a replay: %s/%d, want billing/30", got.Category, got.Priority)
	}
	// An agent's correction survives the next message's classification.
	if _, err := f.svc.CorrectClassification(ctx, agent, c.ID, inbox.Correction{Category: "complaint", Tension: "tense"}); err != nil {
		t.Fatalf("CorrectClassification() = %v", err)
	}
	res2 := f.ingest(t, email("marie@example.fr", "<2@x>", "Re: Facture", "Toujours rien", "<1@x>"))
	r3 := r
	r3.MessageID = res2.MessageID
	got, applied, err := f.svc.Classify(ctx, c.ID, r3)
	if err != nil || !applied || got.Category != "complaint" || got.Tension != "tense" {
		t.Errorf("Classify(after correction) = %s/%s, %v, %v; want the correction kept", got.Category, got.Tension, applied, err)
	}
	samples, err := f.svc.CorrectionSamples(ctx)
	if err != nil || len(samples) != 1 || samples[0].Category != "complaint" || samples[0].Language != "fr" || samples[0].Text != "Ma facture est fausse" {
		t.Errorf("CorrectionSamples() = %+v, %v", samples, err)
	}
	st, err := f.svc.RoutingState(ctx, agent, c.ID)
	if err != nil || !st.Corrected || st.MessageID != res2.MessageID || !strings.Contains(string(st.Explanation["category"]), `"code":"category.corrected"`) {
		t.Errorf("RoutingState() = %+v, %v, want corrected with the structured explanation category.corrected", st, err)
	}
	for _, bad := range []inbox.Correction{{}, {Category: "Not A Label"}} {
		if _, err := f.svc.CorrectClassification(ctx, agent, c.ID, bad); !inbox.IsInvalid(err) {
			t.Errorf("CorrectClassification(%+v) = %v, want invalid", bad, err)
		}
	}
}

func TestAssignFromQueue(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	a := f.user(t, "a@mairie.fr", inbox.RoleAgent)
	b := f.user(t, "b@mairie.fr", inbox.RoleAgent)
	res := f.ingest(t, email("marie@example.fr", "<1@x>", "Bonjour", "Question"))
	c, err := f.svc.AssignFromQueue(ctx, res.ConversationID, a.ID, inbox.ViaAuto, "least loaded")
	if err != nil || c.AssigneeID != a.ID {
		t.Fatalf("AssignFromQueue() = %+v, %v", c, err)
	}
	if _, err := f.svc.AssignFromQueue(ctx, c.ID, a.ID, inbox.ViaAuto, ""); err != nil {
		t.Errorf("AssignFromQueue(same agent again) = %v, want a no-op", err)
	}
	if _, err := f.svc.AssignFromQueue(ctx, c.ID, b.ID, inbox.ViaTakeNext, ""); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("AssignFromQueue(taken) = %v, want ErrConflict", err)
	}
	if _, done, err := f.svc.Unassign(ctx, c.ID, b.ID, "offline"); done || err != nil {
		t.Errorf("Unassign(not the holder) = %v, %v, want nothing done", done, err)
	}
	if _, done, err := f.svc.Unassign(ctx, c.ID, a.ID, "agent went offline"); !done || err != nil {
		t.Errorf("Unassign(holder) = %v, %v", done, err)
	}
	in, err := f.svc.RoutingInput(ctx, c.ID)
	if err != nil || in.PreviousAgent != a.ID || in.Message.Text != "Question" || in.Contact.ID != c.ContactID {
		t.Errorf("RoutingInput() = %+v, %v, want previous agent %d", in, err, a.ID)
	}
	resolved := inbox.StatusResolved
	if _, err := f.svc.UpdateConversation(ctx, a, c.ID, inbox.Patch{Status: &resolved}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.AssignFromQueue(ctx, c.ID, b.ID, inbox.ViaAuto, ""); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("AssignFromQueue(resolved) = %v, want ErrConflict", err)
	}
	f.svc.SetDisabled(ctx, "b@mairie.fr", true)
	res2 := f.ingest(t, email("paul@example.fr", "<2@x>", "Bonjour", "Autre"))
	if _, err := f.svc.AssignFromQueue(ctx, res2.ConversationID, b.ID, inbox.ViaAuto, ""); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("AssignFromQueue(disabled agent) = %v, want ErrConflict", err)
	}
}

func TestHandoffToColleague(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	a := f.user(t, "a@mairie.fr", inbox.RoleAgent, "accueil")
	b := f.user(t, "b@mairie.fr", inbox.RoleAgent, "accueil")
	c3 := f.user(t, "c@mairie.fr", inbox.RoleAgent, "accueil")
	res := f.ingest(t, email("john@example.com", "<1@x>", "Hello", "Do you speak English?"))
	f.svc.AssignFromQueue(ctx, res.ConversationID, a.ID, inbox.ViaAuto, "")
	req := inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: b.ID, Reason: "language", Note: "English speaker, wants a parking permit", Timeout: 5 * time.Minute}
	for _, bad := range []struct {
		req   inbox.HandoffRequest
		field string
	}{
		{inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: b.ID, Note: "n"}, "reason"},
		{inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: b.ID, Reason: "r", Note: "  "}, "note"},
		{inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: a.ID, Reason: "r", Note: "n"}, "to_user_id"},
		{inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: 999, Reason: "r", Note: "n"}, "to_user_id"},
		{inbox.HandoffRequest{Kind: inbox.HandoffTeam, ToTeamID: 999, Reason: "r", Note: "n"}, "to_team_id"},
		{inbox.HandoffRequest{Kind: inbox.HandoffSupervisor, ToUserID: b.ID, Reason: "r", Note: "n"}, "to_user_id"},
		{inbox.HandoffRequest{Kind: "boss", Reason: "r", Note: "n"}, "kind"},
		{inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: b.ID, Reason: strings.Repeat("r", 300), Note: "n"}, "reason"},
	} {
		var inv *inbox.InvalidError
		if _, err := f.svc.RequestHandoff(ctx, a, res.ConversationID, bad.req); !errors.As(err, &inv) || inv.Field != bad.field {
			t.Errorf("RequestHandoff(%+v) = %v, want invalid %s", bad.req, err, bad.field)
		}
	}
	if _, err := f.svc.RequestHandoff(ctx, c3, res.ConversationID, inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: b.ID, Reason: "r", Note: "n"}); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("RequestHandoff(by an agent who does not hold it) = %v, want ErrForbidden", err)
	}
	h, err := f.svc.RequestHandoff(ctx, a, res.ConversationID, req)
	if err != nil || h.Status != inbox.HandoffPending || h.FromUserID != a.ID || !h.ExpiresAt.Equal(f.clock.now().Add(5*time.Minute)) {
		t.Fatalf("RequestHandoff() = %+v, %v", h, err)
	}
	if _, err := f.svc.RequestHandoff(ctx, a, res.ConversationID, req); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("second RequestHandoff() = %v, want ErrConflict", err)
	}
	if _, _, err := f.svc.AcceptHandoff(ctx, c3, h.ID); !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("AcceptHandoff(by a bystander) = %v, want ErrNotFound", err)
	}
	if _, _, err := f.svc.AcceptHandoff(ctx, a, h.ID); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("AcceptHandoff(by the requester) = %v, want ErrForbidden", err)
	}
	f.clock.add(90 * time.Second)
	got, c, err := f.svc.AcceptHandoff(ctx, b, h.ID)
	if err != nil || got.Status != inbox.HandoffAccepted || c.AssigneeID != b.ID || got.TimeToAccept() == nil || *got.TimeToAccept() != 90*time.Second {
		t.Fatalf("AcceptHandoff() = %+v, %+v, %v", got, c, err)
	}
	if _, _, err := f.svc.AcceptHandoff(ctx, b, h.ID); !errors.Is(err, inbox.ErrConflict) {
		t.Errorf("AcceptHandoff(again) = %v, want ErrConflict", err)
	}
	list, err := f.svc.Handoffs(ctx, b, inbox.HandoffQuery{})
	if err != nil || len(list) != 1 || list[0].Note != req.Note {
		t.Errorf("Handoffs(receiver) = %+v, %v", list, err)
	}
	if list, _ := f.svc.Handoffs(ctx, c3, inbox.HandoffQuery{}); len(list) != 0 {
		t.Errorf("Handoffs(bystander) = %+v, want none", list)
	}
	// Declining leaves the conversation where it was.
	h2, err := f.svc.RequestHandoff(ctx, b, c.ID, inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: c3.ID, Reason: "r", Note: "n"})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := f.svc.DeclineHandoff(ctx, c3, h2.ID, "Je suis en pause"); err != nil || d.Status != inbox.HandoffDeclined || d.AnswerNote != "Je suis en pause" {
		t.Errorf("DeclineHandoff() = %+v, %v", d, err)
	}
	if got, _ := f.store.Conversation(ctx, c.ID); got.AssigneeID != b.ID {
		t.Errorf("after decline, assignee %d, want %d", got.AssigneeID, b.ID)
	}
	if types := eventTypes(t, f, c.ID); strings.Count(strings.Join(types, " "), inbox.EventHandedOff) != 4 {
		t.Errorf("timeline %v, want 4 handed_off entries (2 requests, accept, decline)", types)
	}
}

func TestHandoffToTeamAndEscalation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	a := f.user(t, "a@mairie.fr", inbox.RoleAgent, "accueil")
	compta := f.user(t, "compta@mairie.fr", inbox.RoleAgent, "comptabilite")
	sup := f.user(t, "sup@mairie.fr", inbox.RoleSupervisor)
	res := f.ingest(t, email("paul@example.fr", "<1@x>", "Facture", "Facture erronée"))
	f.svc.AssignFromQueue(ctx, res.ConversationID, a.ID, inbox.ViaAuto, "")
	h, err := f.svc.RequestHandoff(ctx, a, res.ConversationID, inbox.HandoffRequest{Kind: inbox.HandoffTeam, ToTeamID: compta.TeamIDs[0], Reason: "billing", Note: "Facture 2026-1142, montant contesté"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.store.Conversation(ctx, res.ConversationID)
	if c.TeamID != compta.TeamIDs[0] || c.AssigneeID != 0 {
		t.Fatalf("after a team handoff: team %d assignee %d, want team %d unassigned", c.TeamID, c.AssigneeID, compta.TeamIDs[0])
	}
	if _, err := f.svc.DeclineHandoff(ctx, compta, h.ID, ""); !inbox.IsInvalid(err) {
		t.Errorf("DeclineHandoff(team) = %v, want invalid", err)
	}
	f.clock.add(2 * time.Minute)
	if _, err := f.svc.AssignFromQueue(ctx, c.ID, compta.ID, inbox.ViaTakeNext, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := f.store.Handoff(ctx, h.ID)
	if got.Status != inbox.HandoffAccepted || got.AnsweredBy != compta.ID || *got.TimeToAccept() != 2*time.Minute {
		t.Errorf("team handoff after assignment = %+v, want accepted by the compta agent after 2m", got)
	}
	// Escalation to any supervisor: an agent cannot accept it, a supervisor can.
	esc, err := f.svc.RequestHandoff(ctx, compta, c.ID, inbox.HandoffRequest{Kind: inbox.HandoffSupervisor, Reason: "threat", Note: "Menace de procès"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.AcceptHandoff(ctx, a, esc.ID); err == nil {
		t.Error("AcceptHandoff(escalation by an agent) = nil error")
	}
	if _, c, err := f.svc.AcceptHandoff(ctx, sup, esc.ID); err != nil || c.AssigneeID != sup.ID {
		t.Errorf("AcceptHandoff(escalation by a supervisor) = %+v, %v", c, err)
	}
	// A bot's escalation times out when nobody answers.
	res2 := f.ingest(t, email("x@example.fr", "<2@x>", "Urgent", "Urgent"))
	if _, err := f.svc.SystemHandoff(ctx, "", res2.ConversationID, inbox.HandoffRequest{Kind: inbox.HandoffSupervisor, Reason: "r", Note: "n"}); !inbox.IsInvalid(err) {
		t.Errorf("SystemHandoff(no label) = %v, want invalid", err)
	}
	bot, err := f.svc.SystemHandoff(ctx, "bot", res2.ConversationID, inbox.HandoffRequest{Kind: inbox.HandoffSupervisor, Reason: "asks for a human", Note: "Visitor upset", Timeout: time.Minute})
	if err != nil || bot.FromLabel != "bot" || bot.FromUserID != 0 {
		t.Fatalf("SystemHandoff() = %+v, %v", bot, err)
	}
	if exp, _ := f.svc.ExpireHandoffs(ctx); len(exp) != 0 {
		t.Errorf("ExpireHandoffs() before the timeout = %+v", exp)
	}
	f.clock.add(2 * time.Minute)
	exp, err := f.svc.ExpireHandoffs(ctx)
	if err != nil || len(exp) != 1 || exp[0].ID != bot.ID || exp[0].Status != inbox.HandoffTimedOut {
		t.Errorf("ExpireHandoffs() = %+v, %v, want the bot's escalation timed out", exp, err)
	}
}

func TestRecordSLAOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	res := f.ingest(t, email("marie@example.fr", "<1@x>", "Bonjour", "Question"))
	e := inbox.SLAEvent{ConversationID: res.ConversationID, Target: inbox.SLAFirstResponse, Stage: inbox.SLABreached, Due: f.clock.now()}
	for i, want := range []bool{true, false} {
		if added, err := f.svc.RecordSLA(ctx, e); added != want || err != nil {
			t.Errorf("RecordSLA() #%d = %v, %v, want %v", i+1, added, err, want)
		}
	}
	if types := eventTypes(t, f, res.ConversationID); strings.Count(strings.Join(types, " "), inbox.EventSLABreached) != 1 {
		t.Errorf("timeline %v, want one sla_breached", types)
	}
	e.Stage = "late"
	if _, err := f.svc.RecordSLA(ctx, e); !inbox.IsInvalid(err) {
		t.Errorf("RecordSLA(bad stage) = %v, want invalid", err)
	}
	if changed, err := f.svc.SetPriority(ctx, res.ConversationID, 70); !changed || err != nil {
		t.Errorf("SetPriority() = %v, %v", changed, err)
	}
	if changed, _ := f.svc.SetPriority(ctx, res.ConversationID, 70); changed {
		t.Error("SetPriority(same) reported a change")
	}
}

// TestClassifyKeepsExplanations: structured reasons are stored as they are, plain
// strings (older rows) too; what is not JSON is dropped and what is too long cut to its
// text.
func TestClassifyKeepsExplanations(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, inbox.Config{})
	agent := f.user(t, "a@mairie.fr", inbox.RoleAgent, "accueil")
	res := f.ingest(t, email("marie@example.fr", "<1@x>", "Facture", "Ma facture est fausse"))
	long := `{"code":"route.rule","args":{"rule":"` + strings.Repeat("x", 5000) + `"},"text":"rule x\u0007y"}`
	tests := []struct {
		key, in, want string
	}{
		{"category", `{"code":"category.model","args":{"category":"billing","confidence":0.9,"words":["facture"]},"text":"category Billing (90%): words facture"}`,
			`{"code":"category.model","args":{"category":"billing","confidence":0.9,"words":["facture"]},"text":"category Billing (90%): words facture"}`},
		{"tension", `"tension calm: no sign\u0007 of tension"`, `"tension calm: no sign  of tension"`},
		{"route", long, `"rule x y"`},
		{"urgency", `{not json`, ""},
		{"sla", `42`, ""},
	}
	expl := map[string]json.RawMessage{}
	for _, tt := range tests {
		expl[tt.key] = json.RawMessage(tt.in)
	}
	if _, _, err := f.svc.Classify(ctx, res.ConversationID, inbox.Routing{MessageID: res.MessageID, Category: "billing", Explanation: expl}); err != nil {
		t.Fatalf("Classify() = %v", err)
	}
	st, err := f.svc.RoutingState(ctx, agent, res.ConversationID)
	if err != nil {
		t.Fatalf("RoutingState() = %v", err)
	}
	for _, tt := range tests {
		got, ok := st.Explanation[tt.key]
		if tt.want == "" {
			if ok {
				t.Errorf("explanation %s from %.40q = %s, want it dropped", tt.key, tt.in, got)
			}
			continue
		}
		if string(got) != tt.want {
			t.Errorf("explanation %s from %.40q = %s, want %s", tt.key, tt.in, got, tt.want)
		}
	}
}
