package router

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/explain"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

var (
	modelOnce sync.Once
	model     *classify.Model
)

func testClassifier(t testing.TB) *classify.Classifier {
	t.Helper()
	modelOnce.Do(func() {
		raw, err := os.ReadFile("../configs/classifier/train.jsonl")
		if err != nil {
			t.Fatal(err)
		}
		samples, err := classify.ReadSamples(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if model, err = classify.Train(samples, classify.DefaultCategories, classify.TrainOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	c, err := classify.New(classify.Config{}, model)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// clock is a settable clock shared by the inbox, the router and presence.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var paris, _ = time.LoadLocation("Europe/Paris")

// monday9 is Monday 9 March 2026, 9:00 in Paris: the desk is open.
var monday9 = time.Date(2026, 3, 9, 9, 0, 0, 0, paris)

type fixture struct {
	t     *testing.T
	svc   *inbox.Service
	st    *store.SQLite
	clock *clock
	q     *teamqueue.MemoryQueue
	p     *presence.Memory
	r     *Router
	last  uint64
	users map[string]inbox.User
	n     int
}

func ptr[T any](v T) *T { return &v }

func testConfig() Config {
	return Config{
		DefaultTeam: "accueil",
		Rules: []rules.Rule{
			{Name: "spam", When: rules.Condition{Category: []string{"spam"}}, Then: rules.Action{Priority: ptr(0), Tags: []string{"spam"}, Assign: ptr(false)}},
			{Name: "threats", When: rules.Condition{Tension: []string{"aggressive"}}, Then: rules.Action{Escalate: true, PriorityAdd: 10}, Continue: true},
			{Name: "billing", When: rules.Condition{Category: []string{"billing"}}, Then: rules.Action{Team: "comptabilite"}},
			{Name: "closed-chat", When: rules.Condition{Channel: []string{"webchat"}, OfficeHours: "closed"}, Then: rules.Action{AutoReply: "closed"}},
		},
		Templates: map[string]Template{"closed": {FR: "L'accueil est fermé.", EN: "The desk is closed."}},
		Presence:  presence.Config{TTL: 30 * time.Second, Retention: time.Hour},
	}
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Config{}, dir, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	b, _ := blob.Open(filepath.Join(dir, "blobs"))
	f := &fixture{t: t, st: st, clock: &clock{t: monday9}, users: map[string]inbox.User{}}
	hours, err := calendar.New(cfg.SLA.Hours.WithDefaults()) // as serve wires it
	if err != nil {
		t.Fatal(err)
	}
	f.svc = inbox.New(st, b, inbox.Config{}, log, inbox.WithClock(f.clock.now), inbox.WithOpeningTime(hours))
	f.p = presence.NewMemory(cfg.Presence, f.clock.now)
	f.q = teamqueue.NewMemory(Available(f.p))
	f.r, err = New(cfg, f.svc, testClassifier(t), f.q, f.p, log, WithClock(f.clock.now))
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return f
}

func (f *fixture) user(name string, role inbox.Role, langs []string, teams ...string) inbox.User {
	f.t.Helper()
	u, err := f.svc.CreateUser(context.Background(), inbox.NewUser{Email: name + "@mairie.fr", Name: name, Role: role,
		Password: "motdepasse-solide", Teams: teams, Languages: langs})
	if err != nil {
		f.t.Fatal(err)
	}
	f.users[name] = u
	f.r.dir.Invalidate()
	return u
}

func (f *fixture) online(names ...string) {
	for _, n := range names {
		if _, err := f.r.Heartbeat(context.Background(), f.users[n], presence.Online); err != nil {
			f.t.Fatal(err)
		}
	}
}

// count returns how many timeline events of type typ conversation id has.
func (f *fixture) count(id int64, typ string) int {
	n := 0
	for _, e := range f.events(id) {
		if e == typ {
			n++
		}
	}
	return n
}

// send ingests a message and lets the router handle every event that follows.
func (f *fixture) send(channel, from, subject, text string) inbox.Conversation {
	f.t.Helper()
	f.n++
	kind := channels.KindEmail
	if channel != channels.Email {
		kind = channels.KindVisitor
	}
	res, err := f.svc.Ingest(context.Background(), channels.Envelope{Channel: channel, ExternalID: "ext-" + string(rune('a'+f.n)) + from,
		From: channels.Identity{Kind: kind, Value: from}, Subject: subject, Text: text})
	if err != nil {
		f.t.Fatal(err)
	}
	f.pump()
	return f.conv(res.ConversationID)
}

// deliveries reads the outbox records not yet handled, as bus deliveries.
func (f *fixture) deliveries() []queue.Delivery {
	recs, err := f.st.OutboxAfter(context.Background(), f.last, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var ds []queue.Delivery
	for _, r := range recs {
		ds = append(ds, queue.Delivery{Message: queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}, Attempt: 1})
		f.last = r.ID
	}
	return ds
}

// pump hands the router every new event until there are none.
func (f *fixture) pump() {
	f.t.Helper()
	for range 20 {
		ds := f.deliveries()
		if len(ds) == 0 {
			return
		}
		for i, err := range f.r.Handle(context.Background(), ds) {
			if err != nil {
				f.t.Fatalf("Handle(%s) = %v", ds[i].Type, err)
			}
		}
	}
	f.t.Fatal("events keep coming after 20 rounds")
}

func (f *fixture) conv(id int64) inbox.Conversation {
	f.t.Helper()
	c, err := f.st.Conversation(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) events(id int64) []string {
	evs, _ := f.st.Events(context.Background(), id)
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

func TestRouteClassifiesQueuesAndAssigns(t *testing.T) {
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, []string{"fr", "en"}, "accueil")
	f.user("nadia", inbox.RoleAgent, []string{"fr"}, "comptabilite")
	f.online("camille")
	c := f.send(channels.Email, "marie@example.fr", "Horaires", "Bonjour, quels sont les horaires d'ouverture de la mairie le samedi ?")
	if c.Category != "information" || c.Language != "fr" || c.AssigneeID != camille.ID || c.TeamID == 0 {
		t.Fatalf("routed conversation = %+v, want information/fr in accueil, assigned to camille", c)
	}
	if c.FirstResponseDue == nil || c.ResolutionDue == nil {
		t.Errorf("SLA due times not set: %+v", c)
	}
	st, _ := f.st.RoutingState(context.Background(), c.ID)
	if !slices.Contains(f.events(c.ID), inbox.EventClassified) {
		t.Errorf("events %v, want classified", f.events(c.ID))
	}
	// Every explanation is stored in its structured form: a code and its arguments.
	for key, code := range map[string]string{"category": "category.model", "language": "language.model", "tension": "tension.none",
		"urgency": "urgency.none", "priority": "priority", "route": "route.default", "sla": "sla.policy"} {
		var got explain.Reason
		if err := json.Unmarshal(st.Explanation[key], &got); err != nil || got.Code != code {
			t.Errorf("explanation %s = %s (%v), want code %s", key, st.Explanation[key], err, code)
		}
	}
	var prio explain.Reason
	_ = json.Unmarshal(st.Explanation["priority"], &prio)
	if fr := explain.Text(prio, explain.French); fr != "priorité 20 : base 20" {
		t.Errorf("priority explanation in French = %q", fr)
	}
	// A billing message goes to comptabilite; nadia is offline, so it waits there.
	b := f.send(channels.Email, "paul@example.fr", "Facture erronée", "Bonjour, le montant de ma facture de cantine est faux, merci de corriger.")
	compta, _ := f.r.dir.TeamID(context.Background(), "comptabilite")
	if b.Category != "billing" || b.TeamID != compta || b.AssigneeID != 0 {
		t.Fatalf("billing conversation = %+v, want queued in comptabilite (team %d)", b, compta)
	}
	if n, _ := f.q.Len(context.Background(), compta); n != 1 {
		t.Errorf("comptabilite queue has %d, want 1", n)
	}
	// nadia comes online: the next round gives it to her.
	f.online("nadia")
	if err := f.r.AssignRound(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.conv(b.ID); got.AssigneeID != f.users["nadia"].ID {
		t.Errorf("after nadia came online, assignee %d, want nadia", got.AssigneeID)
	}
}

func TestRedeliveryDoesNotRouteTwice(t *testing.T) {
	f := newFixture(t, testConfig())
	f.user("camille", inbox.RoleAgent, nil, "accueil")
	f.online("camille")
	before := f.last
	c := f.send(channels.Email, "marie@example.fr", "Horaires", "Bonjour, la mairie est-elle ouverte samedi ?")
	evs := f.events(c.ID)
	// Replay every event since the ingest, twice.
	for range 2 {
		recs, _ := f.st.OutboxAfter(context.Background(), before, 1000)
		var ds []queue.Delivery
		for _, r := range recs {
			ds = append(ds, queue.Delivery{Message: queue.Message{ID: r.ID, Type: r.Type, Payload: r.Payload}, Attempt: 2})
		}
		for _, err := range f.r.Handle(context.Background(), ds) {
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	f.pump()
	if got := f.events(c.ID); !slices.Equal(got, evs) {
		t.Errorf("timeline after redelivery = %v, want unchanged %v", got, evs)
	}
	l, _ := f.q.Loads(context.Background(), []int64{f.users["camille"].ID})
	if l[f.users["camille"].ID].Total != 1 {
		t.Errorf("camille's load = %d after redeliveries, want 1", l[f.users["camille"].ID].Total)
	}
}

func TestNoAssignmentToAwayAgentsAndRequeueOnOffline(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, nil, "accueil")
	julien := f.user("julien", inbox.RoleAgent, nil, "accueil")
	f.p.Heartbeat(ctx, julien.ID, presence.Away)
	f.online("camille")
	c := f.send(channels.Webchat, "visitor-1", "", "Bonjour, je voudrais un rendez-vous pour une carte d'identité")
	if c.AssigneeID != camille.ID {
		t.Fatalf("assignee %d, want camille (julien is away)", c.AssigneeID)
	}
	// camille's heartbeats stop; julien comes back online.
	f.clock.add(20 * time.Second)
	f.p.Heartbeat(ctx, julien.ID, presence.Online)
	f.clock.add(20 * time.Second)
	f.p.Heartbeat(ctx, julien.ID, presence.Online)
	if err := f.r.SweepPresence(ctx); err != nil {
		t.Fatal(err)
	}
	f.pump()
	got := f.conv(c.ID)
	if got.AssigneeID != julien.ID {
		t.Fatalf("after camille went offline, assignee %d, want julien", got.AssigneeID)
	}
	st, _ := f.st.RoutingState(ctx, c.ID)
	if st.LastAgentID != julien.ID {
		t.Errorf("last agent %d, want julien", st.LastAgentID)
	}
	l, _ := f.q.Loads(ctx, []int64{camille.ID, julien.ID})
	if l[camille.ID].Total != 0 || l[julien.ID].Total != 1 {
		t.Errorf("loads camille %d julien %d, want 0 and 1", l[camille.ID].Total, l[julien.ID].Total)
	}
	// A second sweep changes nothing.
	f.r.SweepPresence(ctx)
	if got := f.conv(c.ID); got.AssigneeID != julien.ID {
		t.Errorf("second sweep moved the conversation to %d", got.AssigneeID)
	}
}

func TestSpamStaysOutOfRoundsButCanBeTaken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, nil, "accueil")
	f.online("camille")
	c := f.send(channels.Email, "promo@spam.example", "Gagnez un iPhone", "Félicitations ! Cliquez ici pour recevoir votre cadeau gratuit : http://gagnant.top")
	if c.Category != "spam" || c.Priority != 0 || c.AssigneeID != 0 || !slices.Contains(c.Tags, "spam") {
		t.Fatalf("spam conversation = %+v, want spam, priority 0, unassigned, tagged", c)
	}
	f.r.AssignRound(ctx)
	if got := f.conv(c.ID); got.AssigneeID != 0 {
		t.Errorf("a round assigned the spam to %d", got.AssigneeID)
	}
	taken, err := f.r.TakeNext(ctx, camille)
	if err != nil || taken.Conversation.ID != c.ID || taken.Conversation.AssigneeID != camille.ID {
		t.Fatalf("TakeNext() = %+v, %v, want the spam conversation", taken.Conversation.Conversation, err)
	}
	if _, err := f.r.TakeNext(ctx, camille); err != ErrNothingToTake {
		t.Errorf("TakeNext(empty) = %v, want ErrNothingToTake", err)
	}
}

func TestEscalationAndAutoReply(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	f.user("sophie", inbox.RoleSupervisor, nil)
	c := f.send(channels.Email, "furieux@example.fr", "INCOMPÉTENTS", "Bande d'incapables, c'est la troisième fois que j'écris !!! Mon avocat va vous contacter.")
	if c.Tension != classify.Aggressive {
		t.Fatalf("tension %s, want aggressive", c.Tension)
	}
	hs, _ := f.st.Handoffs(ctx, inbox.HandoffQuery{ConversationID: c.ID})
	if len(hs) != 1 || hs[0].Kind != inbox.HandoffSupervisor || hs[0].FromLabel != "router" || hs[0].Reason != "règle threats" {
		t.Fatalf("handoffs = %+v, want one escalation by rule threats", hs)
	}
	// The note is in French, the desk's language, values shown with their labels.
	if n := hs[0].Note; !strings.HasPrefix(n, "Escaladée par la règle threats. Catégorie Réclamation (") ||
		!strings.Contains(n, ". Tension Agressif : ") || !strings.Contains(n, "insultes") || !strings.Contains(n, ". Priorité ") || !strings.Contains(n, "règle +10") {
		t.Errorf("escalation note = %q, want it in French", n)
	}
	// At night a chat gets the closed-desk auto-reply, in its language.
	f.clock.set(time.Date(2026, 3, 9, 22, 0, 0, 0, paris))
	chat := f.send(channels.Webchat, "visitor-9", "", "Hello, could you tell me where I can park near the town hall tomorrow morning?")
	msgs, _ := f.st.Messages(ctx, chat.ID)
	if len(msgs) != 2 || msgs[1].Kind != inbox.KindOut || msgs[1].Text != "The desk is closed." || !msgs[1].AutoSubmitted {
		t.Errorf("messages = %+v, want the English auto-reply", msgs)
	}
}

func TestSLAWarningsAndBreachesAcrossTheWeekend(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	// Friday 16:00: a complaint (first response within 4 opening hours: 1h30 on Friday,
	// then 2h30 from Monday 8:30, due Monday 11:00; warning after 3 hours, at 10:00).
	f.clock.set(time.Date(2026, 3, 13, 16, 0, 0, 0, paris))
	c := f.send(channels.Email, "marie@example.fr", "Réclamation", "Le lampadaire devant chez moi est cassé depuis deux semaines, merci d'intervenir.")
	want := time.Date(2026, 3, 16, 11, 0, 0, 0, paris)
	if c.Category != "complaint" || c.FirstResponseDue == nil || !c.FirstResponseDue.Equal(want) {
		t.Fatalf("complaint due %v (category %s), want %v", c.FirstResponseDue, c.Category, want)
	}
	count := func(typ string) int { return f.count(c.ID, typ) }
	// The weekend passes: no opening time elapses, no warning.
	f.clock.set(time.Date(2026, 3, 15, 23, 0, 0, 0, paris))
	f.r.CheckSLA(ctx)
	if count(inbox.EventSLAWarning) != 0 {
		t.Fatalf("warning during the weekend: %v", f.events(c.ID))
	}
	// Monday 10:30: three of the four hours gone, a warning, once.
	f.clock.set(time.Date(2026, 3, 16, 10, 30, 0, 0, paris))
	f.r.CheckSLA(ctx)
	f.r.CheckSLA(ctx)
	if count(inbox.EventSLAWarning) != 1 || count(inbox.EventSLABreached) != 0 {
		t.Fatalf("Monday 10:30: %v, want one warning", f.events(c.ID))
	}
	// Ageing and SLA proximity raise the priority.
	before := f.conv(c.ID).Priority
	f.r.Age(ctx)
	if after := f.conv(c.ID).Priority; after <= before {
		t.Errorf("priority %d -> %d after ageing near the deadline, want higher", before, after)
	}
	f.clock.set(time.Date(2026, 3, 16, 11, 1, 0, 0, paris))
	f.r.CheckSLA(ctx)
	f.r.CheckSLA(ctx)
	if count(inbox.EventSLABreached) != 1 {
		t.Fatalf("after the deadline: %v, want one breach", f.events(c.ID))
	}
	recs, _ := f.st.OutboxAfter(ctx, 0, 10000)
	var topics []string
	for _, r := range recs {
		topics = append(topics, r.Type)
	}
	if !slices.Contains(topics, inbox.TopicSLABreached) || !slices.Contains(topics, inbox.TopicSLAWarning) {
		t.Errorf("bus topics %v lack the SLA notifications", topics)
	}
}

// TestSLAStopsWhilePending: a conversation waiting for its contact records no warning
// or breach and gets no deadline points, and its routing view shows its targets
// paused with the opening time they had left.
func TestSLAStopsWhilePending(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	sup := f.user("sophie", inbox.RoleSupervisor, nil)
	// Friday 16:00: a complaint, first response due Monday 11:00 (see above).
	f.clock.set(time.Date(2026, 3, 13, 16, 0, 0, 0, paris))
	c := f.send(channels.Email, "marie@example.fr", "Réclamation", "Le lampadaire devant chez moi est cassé depuis deux semaines, merci d'intervenir.")
	f.clock.set(time.Date(2026, 3, 13, 16, 30, 0, 0, paris))
	pending := inbox.StatusPending
	if _, err := f.svc.UpdateConversation(ctx, sup, c.ID, inbox.Patch{Status: &pending}); err != nil {
		t.Fatal(err)
	}
	f.pump()
	// Monday 11:30, past the deadline as it was: nothing recorded, no deadline points.
	f.clock.set(time.Date(2026, 3, 16, 11, 30, 0, 0, paris))
	f.r.CheckSLA(ctx)
	for _, e := range f.events(c.ID) {
		if e == inbox.EventSLAWarning || e == inbox.EventSLABreached {
			t.Fatalf("SLA event while waiting for the contact: %v", f.events(c.ID))
		}
	}
	if s := f.r.slaState(f.conv(c.ID), f.clock.now()); s != priority.SLAOK {
		t.Errorf("SLA state while paused = %v, want ok", s)
	}
	view, err := f.r.Routing(ctx, sup, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// 1 h left on Friday (16:30-17:30) and 2 h 30 on Monday (8:30-11:00).
	if len(view.SLA) == 0 || view.SLA[0].Target != inbox.SLAFirstResponse || view.SLA[0].Stage != "paused" || view.SLA[0].RemainingSeconds != 3*3600+1800 {
		t.Fatalf("routing view SLA = %+v, want the first response paused with 3 h 30 left", view.SLA)
	}
	ov, err := f.r.Overview(ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	if ov.SLA.Warning != 0 || ov.SLA.Breached != 0 || len(ov.SLA.Urgent) != 0 {
		t.Errorf("overview SLA = %+v, want nothing at risk", ov.SLA)
	}
	// Marie writes back on Wednesday at 9:00: the clock runs again with its 3 h 30
	// left, due at 12:30, and no warning at once (30 min of 4 h gone).
	f.clock.set(time.Date(2026, 3, 18, 9, 0, 0, 0, paris))
	msgs, _ := f.st.Messages(ctx, c.ID)
	if _, err := f.svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "<photo@example.fr>", References: []string{msgs[0].ExternalID},
		From: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, Subject: "Re: Réclamation", Text: "Voici la photo du lampadaire."}); err != nil {
		t.Fatal(err)
	}
	f.pump()
	if c := f.conv(c.ID); c.Status != inbox.StatusOpen || c.FirstResponseDue == nil || !c.FirstResponseDue.Equal(time.Date(2026, 3, 18, 12, 30, 0, 0, paris)) {
		t.Fatalf("after the answer: %s, first response due %v; want open, due Wednesday 12:30", c.Status, c.FirstResponseDue)
	}
	count := func(typ string) int { return f.count(c.ID, typ) }
	f.r.CheckSLA(ctx)
	if count(inbox.EventSLAWarning) != 0 || count(inbox.EventSLABreached) != 0 {
		t.Fatalf("SLA events on reopening: %v", f.events(c.ID))
	}
	if view, _ := f.r.Routing(ctx, sup, c.ID); len(view.SLA) == 0 || view.SLA[0].Stage != "ok" || view.SLA[0].RemainingSeconds != 3*3600+1800 {
		t.Fatalf("routing view SLA on reopening = %+v, want ok with 3 h 30 left", view.SLA)
	}
	// Three of the four hours gone at 11:30 (30 min on Friday, 2 h 30 now): a warning.
	f.clock.set(time.Date(2026, 3, 18, 11, 31, 0, 0, paris))
	f.r.CheckSLA(ctx)
	if count(inbox.EventSLAWarning) != 1 || count(inbox.EventSLABreached) != 0 {
		t.Fatalf("Wednesday 11:31: %v, want one warning", f.events(c.ID))
	}
}

func TestReconcileRebuildsTheQueues(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, testConfig())
	camille := f.user("camille", inbox.RoleAgent, nil, "accueil")
	a := f.send(channels.Email, "promo@spam.example", "Gagnez un iPhone", "Félicitations ! Cliquez ici pour recevoir votre cadeau gratuit : http://gagnant.top")
	f.online("camille")
	b := f.send(channels.Email, "b@example.fr", "Question", "Bonjour, où se trouve le service urbanisme ?")
	if f.conv(b.ID).AssigneeID != camille.ID {
		t.Fatalf("b not assigned to camille")
	}
	// The queues are lost (a restart of the memory queue, or Redis without persistence).
	fresh := teamqueue.NewMemory(Available(f.p))
	f.q = fresh
	f.r = mustNew(t, f)
	if err := f.r.Reconcile(ctx); err != nil {
		t.Fatal(err)
	}
	team := f.conv(a.ID).TeamID
	if es, _ := fresh.Peek(ctx, team, 10); len(es) != 1 || es[0].ConversationID != a.ID {
		t.Errorf("rebuilt queue = %+v, want conversation %d", es, a.ID)
	}
	if l, _ := fresh.Loads(ctx, []int64{camille.ID}); l[camille.ID].Total != 1 {
		t.Errorf("rebuilt load of camille = %d, want 1", l[camille.ID].Total)
	}
	// A stale entry (resolved meanwhile) is dropped.
	resolved := inbox.StatusResolved
	f.svc.UpdateConversation(ctx, camille, a.ID, inbox.Patch{Status: &resolved})
	fresh.Push(ctx, teamqueue.Entry{ConversationID: a.ID, Team: team, Channel: "email"})
	f.r.Reconcile(ctx)
	if n, _ := fresh.Len(ctx, team); n != 0 {
		t.Errorf("after reconcile, %d stale entries remain", n)
	}
}

func mustNew(t *testing.T, f *fixture) *Router {
	r, err := New(testConfig(), f.svc, testClassifier(t), f.q, f.p, slog.New(slog.NewTextHandler(io.Discard, nil)), WithClock(f.clock.now))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRunStopsWithItsContext starts the jobs (which reconcile first) and stops them.
func TestRunStopsWithItsContext(t *testing.T) {
	f := newFixture(t, testConfig())
	f.user("camille", inbox.RoleAgent, nil, "accueil")
	c := f.send(channels.Email, "promo@spam.example", "Gagnez", "Cliquez ici pour gagner un iPhone gratuit http://x.top")
	f.q = teamqueue.NewMemory(Available(f.p)) // lost queues: Run must rebuild them first
	f.r = mustNew(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.r.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if n, _ := f.q.Len(context.Background(), c.TeamID); n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not rebuild the queues")
		}
		runtime.Gosched()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run() = %v after cancel, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run still running 10 s after cancel")
	}
}
