package router

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdeskhq/frontdesk/router/assign"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// benchChunk is how many operations of each kind run before switching to the other.
const benchChunk = 250

type staticDirectory []assign.Agent

func (d staticDirectory) Agents(context.Context) ([]assign.Agent, error) { return slices.Clone(d), nil }

// BenchmarkRouteAssignRedis measures routing and assignment through Redis against the
// raw commands they are built on, in the same run on the same server:
//
//   - raw: ZADD of a member then ZPOPMIN of the sorted set, one client, sequential;
//   - routed: for each conversation, the routing rules and the priority score, the
//     choice of the least loaded, longest idle online agent (from the assigner's
//     snapshot of presence and loads, read at most once a second), then one script that
//     pushes the conversation, checks that agent's presence and capacity and claims
//     (ZADD, ZRANGE, ZREM, hold, load). 20 agents online; store writes excluded (the
//     router's SQL is measured by the store's benchmarks). The same path as router.sync.
//
// It reports both rates and their ratio (goal: routed at least half of raw). Reproduce:
//
//	go test -run XXX -bench RouteAssignRedis -benchtime 5000x ./router/
func BenchmarkRouteAssignRedis(b *testing.B) {
	ctx := context.Background()
	srv := redistest.New(b)
	rc := srv.Client(b)
	cfg := testConfig().WithDefaults()
	set, err := rules.Compile(cfg.Rules, cfg.ruleOptions())
	if err != nil {
		b.Fatal(err)
	}
	p := presence.NewRedis(rc, srv.Prefix+"{tq}", presence.Config{TTL: time.Hour}, nil)
	q := teamqueue.NewRedis(rc, srv.Prefix).WithAvailability(p.Keys())
	var dir staticDirectory
	for i := range 20 {
		id := int64(i + 1)
		dir = append(dir, assign.Agent{ID: id, Teams: []int64{1}, Languages: []string{"fr", "en"}, Capacity: map[string]int{"email": 1 << 30}})
		if _, err := p.Heartbeat(ctx, id, presence.Online); err != nil {
			b.Fatal(err)
		}
	}
	commit := func(context.Context, teamqueue.Entry, int64, string) error { return nil }
	as := assign.New(q, p, dir, commit, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	msg := rules.Message{Subject: "Facture", Text: "Bonjour, le montant de ma facture de cantine est faux.", Channel: "email",
		Category: "billing", Language: "fr", Tension: "calm", Urgency: "normal", OfficeOpen: true}
	n := b.N

	// The two are interleaved in chunks so that a machine whose load changes during the
	// run disturbs both alike.
	rawKey := srv.Prefix + "raw"
	var raw, routed time.Duration
	since := time.Now()
	b.ResetTimer()
	for lo := 0; lo < n; lo += benchChunk {
		hi := min(n, lo+benchChunk)
		start := time.Now()
		for i := lo; i < hi; i++ {
			m := strconv.Itoa(i)
			if err := rc.ZAdd(ctx, rawKey, redis.Z{Score: float64(i), Member: m}).Err(); err != nil {
				b.Fatal(err)
			}
			if err := rc.ZPopMin(ctx, rawKey, 1).Err(); err != nil {
				b.Fatal(err)
			}
		}
		raw += time.Since(start)
		start = time.Now()
		for i := lo; i < hi; i++ {
			d := set.Evaluate(msg)
			score := cfg.Priority.Score(priorityInput(msg, d))
			e := teamqueue.Entry{ConversationID: int64(i + 1), Team: 1, Priority: score.Value, Since: since, Channel: "email", Language: "fr"}
			got, err := as.Offer(ctx, e)
			if err != nil || len(got) != 1 {
				b.Fatalf("Offer(%d) = %v, %v: want one assignment", e.ConversationID, got, err)
			}
		}
		routed += time.Since(start)
	}
	b.StopTimer()
	rawRate, routedRate := float64(n)/raw.Seconds(), float64(n)/routed.Seconds()
	b.ReportMetric(rawRate, "raw_ops/s")
	b.ReportMetric(routedRate, "routed_ops/s")
	b.ReportMetric(routedRate/rawRate, "ratio")
	if n >= 1000 {
		fmt.Printf("raw ZADD+ZPOPMIN: %.0f ops/s; routing+assignment: %.0f ops/s; ratio %.2f\n", rawRate, routedRate, routedRate/rawRate)
	}
}

func priorityInput(m rules.Message, d rules.Decision) priority.Input {
	return priority.Input{Category: m.Category, Tension: m.Tension, Urgency: m.Urgency, Channel: m.Channel, Fixed: d.Priority, Adjust: d.PriorityAdd}
}
