package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// pipelineTexts are the message bodies of bench pipeline, French and English, as a
// town hall's desk receives them.
var pipelineTexts = []struct{ subject, text string }{
	{"Renouvellement carte d'identité", "Bonjour, je souhaiterais prendre rendez-vous la semaine prochaine pour renouveler ma carte d'identité. Quels documents faut-il apporter ? Merci."},
	{"Facture de cantine", "Bonjour, j'ai reçu une facture de cantine pour le mois de mars alors que mon fils était absent deux semaines. Pouvez-vous corriger le montant ?"},
	{"Réclamation bruit", "Madame, Monsieur, je souhaite déposer une réclamation pour le bruit du chantier rue Victor Hugo qui commence à 6 heures du matin."},
	{"Acte de naissance", "Bonjour, pourriez-vous m'envoyer une copie intégrale de mon acte de naissance ? Je suis né en 1984 dans votre commune."},
	{"Passport appointment", "Hello, I would like to book an appointment to apply for a passport for my daughter. What are your opening hours on Saturday?"},
	{"Invoice question", "Hi, I was charged twice for the parking permit invoice this month. Could you please refund the second payment? Thanks."},
	{"Inscription école", "Bonjour, nous venons d'emménager et voudrions inscrire notre fille en CE1 à l'école du centre. Quelle est la démarche ?"},
	{"Mariage", "Bonjour, nous souhaitons nous marier en juin prochain. Quelles sont les dates encore disponibles à la mairie et les pièces à fournir ?"},
}

// benchPipeline drives POST /api/v1/inbound at a fixed rate on a hub running every
// worker, and watches each consumer group's backlog through /metrics: the measure of
// the whole pipeline (ingest, router, search indexer, realtime, outbound, notify).
func benchPipeline(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "bench pipeline", &c)
	rate := fs.Int("rate", 4000, "target ingest `rate` in messages/s")
	dur := fs.Duration("duration", 60*time.Second, "how long the load runs")
	clients := fs.Int("clients", 64, "concurrent HTTP `clients` (most wait for their turn)")
	perThread := fs.Int("per-thread", 3, "messages per conversation thread")
	gap := fs.Duration("gap", 2*time.Second, "time between two messages of a thread (0: back to back)")
	contacts := fs.Int("contacts", 20000, "distinct senders (a sender has several threads over the run)")
	drain := fs.Duration("drain-limit", 5*time.Minute, "give up waiting for the workers after this long")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the loaded period to `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *rate <= 0 || *clients <= 0 || *perThread <= 0 || *contacts <= 0 || *dur <= 0 {
		return fmt.Errorf("%w: --rate, --clients, --per-thread, --contacts and --duration must be positive", errUsage)
	}
	data := c.data
	if data == "" {
		tmp, err := os.MkdirTemp("", "frontdesk-bench-pipeline-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		data = filepath.Join(tmp, "data")
	}
	common := []string{"--data", data}
	if c.config != "" {
		common = append(common, "--config", c.config)
	}
	base, token, stopHub, err := startBenchHub(ctx, e, common)
	if err != nil {
		return err
	}
	defer stopHub()
	fmt.Fprintf(e.stdout, "pipeline benchmark: %d msg/s for %s, %d clients, %d messages per thread %s apart, %d senders, every worker running\n",
		*rate, *dur, *clients, *perThread, *gap, *contacts)

	// Threads are interleaved: a thread's next message comes --gap after its previous
	// one, as a person's follow-up would, not in the same instant.
	window := max(1, int64(float64(*rate)*gap.Seconds()))
	per := int64(*perThread)
	body := func(i int64) []byte {
		block, j := i/(window*per), i%(window*per)
		thread := block*window + j%window
		who := thread % int64(*contacts)
		t := pipelineTexts[(thread+i)%int64(len(pipelineTexts))]
		return fmt.Appendf(nil, `{"external_id":"p-%d","from":{"name":"Usager %d","address":"usager%d@example.fr"},"subject":%q,"text":%q,"thread_key":"pt-%d"}`,
			i, who, who, t.subject, t.text, thread)
	}

	mon := newLagMonitor(base)
	mctx, stopMon := context.WithCancel(ctx)
	defer stopMon()
	monDone := make(chan struct{})
	go func() { defer close(monDone); mon.run(mctx) }()

	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	cpuStart := processCPU()
	res := paced(ctx, base+"/api/v1/inbound", token, *clients, *rate, *dur, body)
	stopProfile()
	loadEnd := time.Now()
	report(e.stdout, "ingest POST /api/v1/inbound", res.loadResult)
	if res.late > 0 {
		fmt.Fprintf(e.stdout, "%-28s %d sends started more than 100 ms behind schedule (the hub did not keep up)\n", "", res.late)
	}

	// Wait for every group to catch up with what was sent.
	deadline := time.Now().Add(*drain)
	for mon.backlog() != 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1100 * time.Millisecond) // one more scrape after the end
	stopMon()
	<-monDone
	cpu := processCPU() - cpuStart
	mon.report(e.stdout, loadEnd, *dur, res.requests)
	if res.requests > 0 {
		fmt.Fprintf(e.stdout, "CPU from the start of the load until every group drained: %.1f s, %.3f ms per message ingested (the whole process, load generator included)\n",
			cpu.Seconds(), float64(cpu.Microseconds())/1000/float64(res.requests))
	}
	return nil
}

// pacedResult adds to loadResult how many sends started late.
type pacedResult struct {
	loadResult
	late int
}

// paced sends the i-th request at start + i/rate from clients goroutines, for d, and
// measures each answer's latency from its send.
func paced(ctx context.Context, url, token string, clients, rate int, d time.Duration, body func(i int64) []byte) pacedResult {
	total := int64(float64(rate) * d.Seconds())
	interval := time.Second / time.Duration(rate)
	var n, late atomic.Int64
	start := time.Now()
	r := drive(ctx, url, token, clients, func() ([]byte, bool) {
		i := n.Add(1) - 1
		if i >= total || ctx.Err() != nil {
			return nil, false
		}
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		} else if wait < -100*time.Millisecond {
			late.Add(1)
		}
		return body(i), true
	})
	return pacedResult{loadResult: r, late: int(late.Load())}
}

// lagMonitor scrapes /metrics every second and keeps, per consumer group, the worst lag
// seen and when its backlog last was non-zero. A group's lag in seconds is the age of
// the oldest event it has not acknowledged: its watermark is compared with the history
// of the stream's last published ID.
type lagMonitor struct {
	base string

	mu       sync.Mutex
	history  []idAt // last published ID over time, increasing
	groups   map[string]*groupLag
	lastSum  int64
	indexed  float64 // frontdesk_search_documents_indexed_total at the last scrape
	scrapeOK bool
}

type idAt struct {
	at time.Time
	id uint64
}

type groupLag struct {
	maxEvents   int64         // worst lag+pending seen
	maxSeconds  time.Duration // worst age of the oldest unacknowledged event
	lastBehind  time.Time     // last scrape with a backlog
	overTwo     int           // scrapes with a lag over 2 s
	scrapes     int
	lastBacklog int64
}

func newLagMonitor(base string) *lagMonitor {
	return &lagMonitor{base: base, groups: map[string]*groupLag{}}
}

func (m *lagMonitor) run(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		m.scrape(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// backlog is the summed backlog of every group at the last scrape, -1 before the first.
func (m *lagMonitor) backlog() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.scrapeOK {
		return -1
	}
	return m.lastSum
}

func (m *lagMonitor) scrape(ctx context.Context) {
	now := time.Now()
	backlog := map[string]int64{}
	marks := map[string]uint64{}
	var last uint64
	indexed := -1.0
	err := scrapeMetrics(ctx, m.base, func(name, group string, value float64) {
		switch name {
		case "frontdesk_bus_lag", "frontdesk_bus_pending":
			backlog[group] += int64(value)
		case "frontdesk_bus_watermark":
			marks[group] = uint64(value)
		case "frontdesk_bus_last_id":
			last = uint64(value)
		case "frontdesk_search_documents_indexed_total":
			indexed = value
		}
	})
	if err != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if indexed >= 0 {
		m.indexed = indexed
	}
	if n := len(m.history); n == 0 || m.history[n-1].id < last {
		m.history = append(m.history, idAt{now, last})
	}
	var sum int64
	for g, b := range backlog {
		gl := m.groups[g]
		if gl == nil {
			gl = &groupLag{}
			m.groups[g] = gl
		}
		gl.scrapes++
		gl.lastBacklog = b
		sum += b
		gl.maxEvents = max(gl.maxEvents, b)
		if b == 0 {
			continue
		}
		gl.lastBehind = now
		// The oldest unacknowledged event was published at the first scrape whose
		// last ID reached the watermark (an upper bound on its age within a second).
		w := marks[g]
		i := sort.Search(len(m.history), func(i int) bool { return m.history[i].id >= w })
		if i < len(m.history) {
			age := now.Sub(m.history[i].at)
			if i > 0 {
				age = now.Sub(m.history[i-1].at) // published after that scrape
			}
			gl.maxSeconds = max(gl.maxSeconds, age)
			if age > 2*time.Second {
				gl.overTwo++
			}
		}
	}
	m.lastSum = sum
	m.scrapeOK = true
}

// scrapeMetrics reads the hub's /metrics and calls each with the bus metrics and the
// search documents written (the lines parseMetricLine reads).
func scrapeMetrics(ctx context.Context, base string, each func(name, group string, value float64)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", base+"/metrics", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if name, group, value, ok := parseMetricLine(sc.Text()); ok {
			each(name, group, value)
		}
	}
	return sc.Err()
}

// parseMetricLine reads `name{group="g"} value` or `name value`.
func parseMetricLine(line string) (name, group string, value float64, ok bool) {
	if !strings.HasPrefix(line, "frontdesk_bus_") && !strings.HasPrefix(line, "frontdesk_search_documents_indexed_total") {
		return "", "", 0, false
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", "", 0, false
	}
	v, err := strconv.ParseFloat(f[len(f)-1], 64)
	if err != nil {
		return "", "", 0, false
	}
	name = f[0]
	if i := strings.IndexByte(name, '{'); i >= 0 {
		labels := name[i:]
		name = name[:i]
		if j := strings.Index(labels, `group="`); j >= 0 {
			rest := labels[j+len(`group="`):]
			if k := strings.IndexByte(rest, '"'); k >= 0 {
				group = rest[:k]
			}
		}
	}
	return name, group, v, true
}

// report prints each group's lag, then what was published and indexed for the
// ingested messages.
func (m *lagMonitor) report(w io.Writer, loadEnd time.Time, d time.Duration, ingested int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	names := make([]string, 0, len(m.groups))
	for g := range m.groups {
		names = append(names, g)
	}
	sort.Strings(names)
	fmt.Fprintf(w, "%-22s %12s %12s %14s %s\n", "consumer group", "max lag", "max backlog", "drained after", "scrapes over 2 s")
	for _, g := range names {
		gl := m.groups[g]
		drained := "at once"
		switch {
		case gl.lastBacklog != 0:
			drained = "NOT DRAINED"
		case gl.lastBehind.After(loadEnd):
			drained = fmt.Sprintf("%.1fs", gl.lastBehind.Sub(loadEnd).Seconds()+1)
		}
		fmt.Fprintf(w, "%-22s %11.1fs %12d %14s %d of %d\n", g, gl.maxSeconds.Seconds(), gl.maxEvents, drained, gl.overTwo, gl.scrapes)
	}
	if n := len(m.history); n > 1 {
		fmt.Fprintf(w, "events published: %d (%.0f/s over the load)\n", m.history[n-1].id-m.history[0].id,
			float64(m.history[n-1].id-m.history[0].id)/d.Seconds())
	}
	if ingested > 0 {
		fmt.Fprintf(w, "search documents written: %.0f (%.2f per message ingested)\n", m.indexed, m.indexed/float64(ingested))
	}
}

// processCPU is the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
