package router

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/rules"
)

func TestHandoffsThroughTheRouter(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, []string{"fr", "en"}, "accueil")
	julien := f.user("julien", inbox.RoleAgent, nil, "accueil")
	nadia := f.user("nadia", inbox.RoleAgent, nil, "comptabilite")
	f.online("camille")
	c := f.send(channels.Email, "paul@example.fr", "Question", "Bonjour, où se trouve le service urbanisme ?")
	if c.AssigneeID != camille.ID {
		t.Fatalf("assignee %d, want camille", c.AssigneeID)
	}
	// julien never came online: a handoff to him is refused.
	f.p.Heartbeat(ctx, julien.ID, presence.Online)
	f.p.Leave(ctx, julien.ID)
	_, err := f.r.RequestHandoff(ctx, camille, c.ID, inbox.HandoffRequest{Kind: inbox.HandoffAgent, ToUserID: julien.ID, Reason: "r", Note: "n"})
	if !inbox.IsInvalid(err) || !strings.Contains(err.Error(), "offline") {
		t.Errorf("RequestHandoff(to an offline colleague) = %v, want invalid", err)
	}
	// To comptabilite's queue: nadia comes online and gets it; the handoff is accepted.
	compta, _ := f.r.dir.TeamID(ctx, "comptabilite")
	h, err := f.r.RequestHandoff(ctx, camille, c.ID, inbox.HandoffRequest{Kind: inbox.HandoffTeam, ToTeamID: compta, Reason: "facturation", Note: "Conteste la facture 2026-1142"})
	if err != nil || h.ExpiresAt.Sub(h.RequestedAt) != DefaultHandoffTimeout {
		t.Fatalf("RequestHandoff(team) = %+v, %v", h, err)
	}
	f.pump()
	if n, _ := f.q.Len(ctx, compta); n != 1 {
		t.Fatalf("comptabilite queue has %d, want the handed-off conversation", n)
	}
	if l, _ := f.q.Loads(ctx, []int64{camille.ID}); l[camille.ID].Total != 0 {
		t.Errorf("camille still holds %d after the handoff", l[camille.ID].Total)
	}
	f.clock.add(time.Minute)
	f.online("nadia")
	taken, err := f.r.TakeNext(ctx, nadia)
	if err != nil || taken.Conversation.ID != c.ID || taken.Handoff == nil || taken.Handoff.Note != "Conteste la facture 2026-1142" {
		t.Fatalf("TakeNext(nadia) = %+v, %v; want the conversation with the handoff note", taken.Handoff, err)
	}
	hs, _ := f.r.Handoffs(ctx, nadia, inbox.HandoffQuery{ConversationID: c.ID})
	if len(hs) != 1 || hs[0].Status != inbox.HandoffAccepted || hs[0].TimeToAcceptSeconds == nil || *hs[0].TimeToAcceptSeconds != 60 {
		t.Errorf("Handoffs() = %+v, want accepted after 60s", hs)
	}
	// An escalation accepted by a supervisor moves the hold.
	sophie := f.user("sophie", inbox.RoleSupervisor, nil)
	esc, err := f.r.RequestHandoff(ctx, nadia, c.ID, inbox.HandoffRequest{Kind: inbox.HandoffSupervisor, Reason: "menace", Note: "Menace d'avocat"})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := f.r.AcceptHandoff(ctx, sophie, esc.ID)
	if err != nil || acc.Conversation.AssigneeID != sophie.ID {
		t.Fatalf("AcceptHandoff() = %+v, %v", acc, err)
	}
	l, _ := f.q.Loads(ctx, []int64{nadia.ID, sophie.ID})
	if l[nadia.ID].Total != 0 || l[sophie.ID].Total != 1 {
		t.Errorf("loads nadia %d sophie %d, want 0 and 1", l[nadia.ID].Total, l[sophie.ID].Total)
	}
	view, err := f.r.Routing(ctx, sophie, c.ID)
	if err != nil || len(view.Handoffs) != 2 || view.State.MessageID == 0 || len(view.SLA) == 0 {
		t.Errorf("Routing() = %+v, %v", view, err)
	}
}

func TestCorrectionRescores(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, nil, "accueil")
	c := f.send(channels.Email, "marie@example.fr", "Question", "Bonjour, quels sont vos horaires le samedi ?")
	if _, err := f.r.Correct(ctx, camille, c.ID, inbox.Correction{Category: "lottery"}); !inbox.IsInvalid(err) {
		t.Errorf("Correct(unknown category) = %v, want invalid", err)
	}
	got, err := f.r.Correct(ctx, camille, c.ID, inbox.Correction{Category: "complaint", Tension: "tense"})
	if err != nil || got.Category != "complaint" || got.Priority <= c.Priority {
		t.Fatalf("Correct() = %+v, %v; want complaint with a higher priority than %d", got, err, c.Priority)
	}
	if es, _ := f.q.Peek(ctx, c.TeamID, 1); len(es) != 1 || es[0].Priority != got.Priority {
		t.Errorf("queue entry %+v, want the new priority %d", es, got.Priority)
	}
}

func TestDryRunAndOverview(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, nil, "accueil")
	sophie := f.user("sophie", inbox.RoleSupervisor, nil)
	probe := Probe{Subject: "Facture", Text: "Bonjour, ma facture de cantine est fausse, pouvez-vous la corriger ?", Channel: "email"}
	if _, err := f.r.DryRun(ctx, camille, probe); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("DryRun(agent) = %v, want ErrForbidden", err)
	}
	d, err := f.r.DryRun(ctx, sophie, probe)
	if err != nil || d.Team != "comptabilite" || d.Classification.Category != "billing" || len(d.Rules) != 4 || !d.Rules[2].Applied || d.SLA.Policy.Name == "" {
		t.Fatalf("DryRun() = %+v, %v; want billing to comptabilite with 4 rules traced", d, err)
	}
	for _, bad := range []Probe{{Channel: "email"}, {Text: "x", Channel: "fax"}} {
		if _, err := f.r.DryRun(ctx, sophie, bad); !inbox.IsInvalid(err) {
			t.Errorf("DryRun(%+v) = %v, want invalid", bad, err)
		}
	}
	night := Probe{Text: "Bonjour, où puis-je me garer près de la mairie ?", Channel: "webchat", At: time.Date(2026, 3, 9, 23, 0, 0, 0, paris)}
	if d, _ := f.r.DryRun(ctx, sophie, night); d.OfficeOpen || d.AutoReply != "L'accueil est fermé." {
		t.Errorf("DryRun(night chat) office open %v, auto-reply %q", d.OfficeOpen, d.AutoReply)
	}
	f.send(channels.Email, "marie@example.fr", "Question", "Bonjour, quels sont vos horaires ?")
	if _, err := f.r.Overview(ctx, camille); !errors.Is(err, inbox.ErrForbidden) {
		t.Errorf("Overview(agent) = %v, want ErrForbidden", err)
	}
	ov, err := f.r.Overview(ctx, sophie)
	if err != nil {
		t.Fatal(err)
	}
	queued := 0
	for _, q := range ov.Queues {
		queued += q.Queued
	}
	if queued != 1 || len(ov.Agents) != 2 || len(ov.Waiting) != 1 {
		t.Errorf("Overview() queues %+v agents %d waiting %d; want 1 queued, 2 agents", ov.Queues, len(ov.Agents), len(ov.Waiting))
	}
	if _, err := f.r.Heartbeat(ctx, camille, "busy"); !inbox.IsInvalid(err) {
		t.Errorf("Heartbeat(busy) = %v, want invalid", err)
	}
	if p, err := f.r.Heartbeat(ctx, camille, presence.Away); err != nil || p.Status != presence.Away {
		t.Errorf("Heartbeat(away) = %+v, %v", p, err)
	}
}

func TestConfigValidation(t *testing.T) {
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
	tests := []struct {
		cfg  Config
		want string
	}{
		{Config{Rules: []rules.Rule{{Name: "x", When: rules.Condition{Category: []string{"lottery"}}}}}, "when.category"},
		{Config{Rules: []rules.Rule{{Name: "x", Then: rules.Action{Team: "Bad Team"}}}}, "team slug"},
		{Config{Rules: []rules.Rule{{Name: "x", Then: rules.Action{AutoReply: "nope"}}}}, "no template"},
		{Config{Rules: []rules.Rule{{Name: "x", Then: rules.Action{Skills: []string{"a b"}}}}}, "skill name"},
		{Config{DefaultTeam: "Accueil"}, "default_team"},
		{Config{Templates: map[string]Template{"t": {EN: "only English"}}}, "French text"},
		{Config{Handoff: HandoffConfig{Timeout: time.Second}}, "handoff.timeout"},
		{Config{Jobs: JobsConfig{SLA: time.Millisecond}}, "jobs.sla"},
	}
	for _, tt := range tests {
		if err := tt.cfg.WithDefaults().Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%+v) = %v, want an error mentioning %q", tt.cfg, err, tt.want)
		}
	}
}

// TestFiftyAgentsTakeNextConcurrently has 50 agents take the next conversation at once
// from 1,000 queued ones, through the store: each conversation is assigned exactly once.
func TestFiftyAgentsTakeNextConcurrently(t *testing.T) {
	ctx := context.Background()
	cfg := testConfig()
	cfg.Assign.Disabled = true // only take-next here
	cfg.Assign.Capacity = map[string]int{"api": 1000}
	f := newFixture(t, cfg)
	var agents []inbox.User
	for i := range 50 {
		agents = append(agents, f.user(fmt.Sprintf("agent%02d", i), inbox.RoleAgent, nil, "accueil"))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 1000; i += 8 {
				_, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.API, ExternalID: fmt.Sprintf("m%d", i),
					From: channels.Identity{Kind: channels.KindAPI, Value: fmt.Sprintf("c%d", i)}, Text: "Bonjour, quels sont vos horaires ?"})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	// Queue them as a restarted hub would (routing each is covered elsewhere).
	if err := f.r.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.q.Len(ctx, 0); n != 1000 {
		t.Fatalf("%d conversations queued, want 1000", n)
	}
	taken := make([][]int64, len(agents))
	for i, u := range agents {
		wg.Go(func() {
			for {
				got, err := f.r.TakeNext(ctx, u)
				if errors.Is(err, ErrNothingToTake) {
					return
				}
				if err != nil {
					t.Error(err)
					return
				}
				taken[i] = append(taken[i], got.Conversation.ID)
			}
		})
	}
	wg.Wait()
	seen := map[int64]int64{}
	for i, list := range taken {
		for _, id := range list {
			if prev, dup := seen[id]; dup {
				t.Fatalf("conversation %d taken by agents %d and %d", id, prev, agents[i].ID)
			}
			seen[id] = agents[i].ID
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("%d conversations taken, want 1000", len(seen))
	}
	for id, agent := range seen {
		if c := f.conv(id); c.AssigneeID != agent {
			t.Fatalf("conversation %d assigned to %d in the store, taken by %d", id, c.AssigneeID, agent)
		}
	}
}
