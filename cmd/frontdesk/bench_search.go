package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/store"
)

// benchSearch holds one run of `frontdesk bench search`.
type benchSearch struct {
	e      *env
	dir    string
	log    *slog.Logger
	st     *store.SQLite
	svc    *inbox.Service
	blobs  *blob.Dir
	sup    inbox.User
	agent  inbox.User
	teams  []inbox.Team
	agents map[int64][]inbox.User // by team
	seed   uint64
}

// runBenchSearch generates a synthetic history in a scratch folder and measures the
// search: indexing inside the hub (through the bus, and by reindex) against bleve
// indexing the same documents directly, index size, query latency, and how soon a new
// message is searchable. It prints a Markdown report on stdout, progress on stderr.
func runBenchSearch(ctx context.Context, e *env, args []string) error {
	fl := flag.NewFlagSet("frontdesk bench search", flag.ContinueOnError)
	fl.SetOutput(e.stderr)
	messages := fl.Int("messages", 1000000, "`number` of synthetic messages to generate")
	dir := fl.String("dir", "", "work `folder` (default: a temporary folder, removed at the end)")
	runs := fl.Int("runs", 50, "`times` each query is run")
	fresh := fl.Int("fresh", 30, "`number` of new messages timed from arrival to searchable")
	workers := fl.Int("workers", 8, "concurrent `writers` generating the history")
	seed := fl.Uint64("seed", 1, "random `seed` of the history")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile of the indexing phases (with --reuse: of the queries) to `file`")
	reuse := fl.Bool("reuse", false, "reuse the history and hub index a previous run left in --dir: time the queries and freshness only")
	only := fl.String("only", "", "time only the queries whose name contains `text`")
	compare := fl.Bool("compare", true, "also time frontdesk reindex and bleve alone on the same documents")
	if err := parse(fl, args); err != nil {
		return err
	}
	if *messages < 100 || *runs < 1 || *fresh < 1 || *workers < 1 {
		return fmt.Errorf("%w: --messages at least 100, --runs, --fresh and --workers at least 1", errUsage)
	}
	if *reuse && *dir == "" {
		return fmt.Errorf("%w: --reuse needs the --dir of an earlier run", errUsage)
	}
	b := &benchSearch{e: e, dir: *dir, seed: *seed, log: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if b.dir == "" {
		tmp, err := os.MkdirTemp("", "frontdesk-bench-search-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		b.dir = tmp
	}
	if err := os.MkdirAll(b.dir, 0o750); err != nil {
		return err
	}
	if err := b.open(ctx); err != nil {
		return err
	}
	defer b.st.Close()
	out := e.stdout
	fmt.Fprintf(out, "## frontdesk bench search --messages %d (seed %d)\n\n", *messages, *seed)

	if *reuse {
		hub, stopHub, err := b.reopen(ctx)
		if err != nil {
			return err
		}
		defer stopHub()
		stopProfile, err := startProfile(*cpuProfile)
		if err != nil {
			return err
		}
		err = b.queries(ctx, hub, *runs, *only)
		stopProfile()
		if err != nil {
			return err
		}
		return b.freshness(ctx, hub, *fresh)
	}
	start := time.Now()
	n, err := b.generate(ctx, *messages, *workers)
	if err != nil {
		return err
	}
	took := time.Since(start)
	fmt.Fprintf(out, "- history: %d messages generated through inbox.Service in %s (%.0f messages/s, %d writers)\n",
		n, took.Round(time.Millisecond), float64(n)/took.Seconds(), *workers)

	stopProfile, err := startProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// 1. Inside the hub: the outbox relay and the indexer, through the bus.
	hub, stopHub, busRate, err := b.indexThroughBus(ctx, n)
	if err != nil {
		return err
	}
	defer stopHub()
	hubSize, _ := dirSize(hub.Path())
	if !*compare {
		fmt.Fprintf(out, "\n| indexing | documents/s | index size |\n| --- | ---: | ---: |\n")
		fmt.Fprintf(out, "| hub: outbox relay + bus + indexer (reads the store) | %.0f | %s |\n", busRate, mib(hubSize))
	} else {
		// 2. Inside the hub: frontdesk reindex.
		reRate, reSize, err := b.rebuild(ctx, n)
		if err != nil {
			return err
		}
		// 3. bleve alone, the same documents, batches of 1000.
		directRate, directSize, err := b.direct(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "\n| indexing | documents/s | ratio to bleve alone | index size |\n| --- | ---: | ---: | ---: |\n")
		fmt.Fprintf(out, "| bleve batch-indexing prepared documents (batches of 1000) | %.0f | 1.00x | %s |\n", directRate, mib(directSize))
		fmt.Fprintf(out, "| hub: outbox relay + bus + indexer (reads the store) | %.0f | %.2fx | %s |\n", busRate, busRate/directRate, mib(hubSize))
		fmt.Fprintf(out, "| hub: frontdesk reindex (reads the store) | %.0f | %.2fx | %s |\n", reRate, reRate/directRate, mib(reSize))
	}

	if err := b.queries(ctx, hub, *runs, *only); err != nil {
		return err
	}
	return b.freshness(ctx, hub, *fresh)
}

// open creates the scratch store, inbox, teams and users.
func (b *benchSearch) open(ctx context.Context) error {
	var err error
	if b.st, err = store.Open(ctx, store.Config{}, b.dir, b.log); err != nil {
		return err
	}
	if b.blobs, err = blob.Open(filepath.Join(b.dir, "blobs")); err != nil {
		return err
	}
	b.svc = inbox.New(b.st, b.blobs, inbox.Config{}, b.log)
	b.agents = map[int64][]inbox.User{}
	for _, slug := range benchTeams {
		t, err := b.svc.EnsureTeam(ctx, slug, slug)
		if err != nil {
			return err
		}
		b.teams = append(b.teams, t)
	}
	mk := func(email string, role inbox.Role, teams []int64) (inbox.User, error) {
		u := inbox.User{Email: email, Name: email, Role: role, TeamIDs: teams, CreatedAt: time.Now()}
		err := b.st.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
			if old, err := tx.UserByEmail(ctx, email); err == nil {
				u = old
				return nil
			}
			return tx.CreateUser(ctx, &u)
		})
		return u, err
	}
	if b.sup, err = mk("superviseur@bench.test", inbox.RoleSupervisor, nil); err != nil {
		return err
	}
	for i, t := range b.teams {
		for k := range 3 {
			u, err := mk(fmt.Sprintf("agent%d-%d@bench.test", i, k), inbox.RoleAgent, []int64{t.ID})
			if err != nil {
				return err
			}
			b.agents[t.ID] = append(b.agents[t.ID], u)
		}
	}
	b.agent = b.agents[b.teams[0].ID][0]
	return nil
}

// generate writes about n messages as conversations of 1 to 8 messages, through the
// inbox service, from several writers at once (the store commits them in groups).
func (b *benchSearch) generate(ctx context.Context, n, workers int) (int, error) {
	var made atomic.Int64
	p := newProgressBar(b.e.stderr, "generate", int64(n))
	base := time.Now().Add(-2 * 365 * 24 * time.Hour)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(b.seed, uint64(w)))
			// Each writer's own service and clock: replies, notes and status changes
			// are dated in their conversation's time, not the time of the run.
			g := &historyWriter{now: time.Now()}
			g.svc = inbox.New(b.st, b.blobs, inbox.Config{}, b.log, inbox.WithClock(func() time.Time { return g.now }))
			var people []person
			for k := 0; made.Load() < int64(n); k++ {
				if ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				if len(people) == 0 || r.IntN(10) < 6 {
					people = append(people, newPerson(r, w*1000000+k))
				}
				pp := people[r.IntN(len(people))]
				at := base.Add(time.Duration(r.Int64N(int64(2 * 365 * 24 * time.Hour))))
				c, err := b.conversation(ctx, g, r, pp, fmt.Sprintf("b%d-%d-%d", b.seed, w, k), at)
				if err != nil {
					errs[w] = err
					return
				}
				p.update(int(made.Add(int64(c))))
			}
		}()
	}
	wg.Wait()
	p.done(int(made.Load()))
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	total, err := b.st.CountMessages(ctx)
	return int(total), err
}

// historyWriter is one writer of the synthetic history: a service whose clock it sets.
type historyWriter struct {
	svc *inbox.Service
	now time.Time
}

// set moves the writer's clock to t, or to the present if t is later.
func (g *historyWriter) set(t time.Time) {
	if now := time.Now(); t.After(now) {
		t = now
	}
	g.now = t
}

// conversation writes one conversation started at at, its messages an hour apart,
// and returns its message count.
func (b *benchSearch) conversation(ctx context.Context, g *historyWriter, r *rand.Rand, p person, key string, at time.Time) (int, error) {
	channel := []string{channels.Email, channels.Email, channels.Email, channels.Webchat, channels.Webchat,
		channels.SMS, channels.Telephony, channels.API, channels.Slack}[r.IntN(9)]
	from := channels.Identity{Kind: channels.KindEmail, Value: p.email, Name: p.name}
	if channel == channels.SMS || channel == channels.Telephony {
		from = channels.Identity{Kind: channels.KindPhone, Value: p.phone, Name: p.name}
	}
	lang := "fr"
	if p.english {
		lang = "en"
	}
	topic := r.IntN(100)
	in := func(i int) (inbox.IngestResult, error) {
		return g.svc.Ingest(ctx, channels.Envelope{Channel: channel, ExternalID: key + "-" + strconv.Itoa(i), ThreadKey: key,
			From: from, Subject: "", Text: inboundText(r, p, topic), Language: lang, ReceivedAt: at.Add(time.Duration(i) * time.Hour)})
	}
	g.set(at)
	first, err := in(0)
	if err != nil {
		return 0, err
	}
	id := first.ConversationID
	team := b.teams[r.IntN(len(b.teams))]
	patch := inbox.Patch{TeamID: &team.ID, Priority: ptrTo(r.IntN(101))}
	if r.IntN(2) == 0 {
		a := b.agents[team.ID][r.IntN(len(b.agents[team.ID]))].ID
		patch.AssigneeID = &a
	}
	if r.IntN(5) == 0 {
		patch.Tags = &[]string{tagsPool[r.IntN(len(tagsPool))]}
	}
	category := categories[topic%len(categories)]
	if err := b.st.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		c, err := tx.Conversation(ctx, id)
		if err != nil {
			return err
		}
		c.Category = category
		return tx.UpdateConversation(ctx, &c)
	}); err != nil {
		return 0, err
	}
	if _, err := g.svc.UpdateConversation(ctx, b.sup, id, patch); err != nil {
		return 0, err
	}
	count := 1
	for i := 1; i < 1+r.IntN(8); i++ {
		g.set(at.Add(time.Duration(i)*time.Hour + time.Duration(r.IntN(3600))*time.Second))
		switch r.IntN(5) {
		case 0, 1:
			_, err = g.svc.Reply(ctx, b.sup, id, inbox.ReplyInput{Text: replyText(r, p.english)})
		case 2:
			_, err = g.svc.Reply(ctx, b.sup, id, inbox.ReplyInput{Text: frNotes[r.IntN(len(frNotes))], Note: true})
		default:
			_, err = in(i)
		}
		if err != nil {
			return count, err
		}
		count++
	}
	g.set(g.now.Add(time.Hour))
	if r.IntN(2) == 0 {
		st := inbox.StatusResolved
		if _, err := g.svc.UpdateConversation(ctx, b.sup, id, inbox.Patch{Status: &st}); err != nil {
			return count, err
		}
	}
	return count, nil
}

func ptrTo[T any](v T) *T { return &v }

// dirSize adds up the sizes of the files under dir.
func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n, err
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// percentile returns the p-th percentile of sorted durations.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// msText writes a duration in milliseconds with one decimal.
func msText(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
