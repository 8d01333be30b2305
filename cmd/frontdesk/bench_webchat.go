package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// benchWebchatConfig lifts the visitor limits: every simulated visitor comes from
// 127.0.0.1 and types far faster than a person.
const benchWebchatConfig = `webchat:
  limits:
    visitor_rate: 1000000
    visitor_burst: 1000000
    ip_rate: 1000000
    ip_burst: 1000000
    max_connections_per_ip: 100000
`

// benchWebchat measures the visitor side on a hub run by this process: visitor message
// rate with many concurrent visitors, agent reply to visitor delivery latency through
// the API, the outbound worker and the webchat Sender, and the memory of a separate hub
// process holding many idle visitor sockets.
func benchWebchat(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "bench webchat", &c)
	visitors := fs.Int("visitors", 500, "concurrent visitors sending messages")
	dur := fs.Duration("duration", 10*time.Second, "how long visitors send")
	replies := fs.Int("replies", 1000, "agent replies whose delivery is timed")
	idle := fs.Int("idle", 10000, "idle visitor sockets held for the memory measure (0: skip)")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the visitors' burst to `file`")
	if err := parse(fs, args); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "frontdesk-bench-webchat-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfgPath := filepath.Join(tmp, "bench.yaml")
	if err := os.WriteFile(cfgPath, []byte(benchWebchatConfig), 0o600); err != nil {
		return err
	}
	common := []string{"--data", filepath.Join(tmp, "data"), "--config", cfgPath}
	base, token, stop, err := startBenchHub(ctx, e, common)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(e.stdout, "webchat benchmark: %d visitors for %s, %d timed replies, %d idle sockets\n", *visitors, *dur, *replies, *idle)

	// Agents watch the live inbox all along, as a desk would.
	agents, err := dialBenchAgents(base, token, 20)
	if err != nil {
		return err
	}
	defer agents.close()

	// 1. Visitor messages: each visitor sends, waits for the ack, sends again (as the
	// widget does: one message in flight per visitor).
	socks := make([]*benchVisitor, *visitors)
	for i := range socks {
		if socks[i], err = dialBenchVisitor(base); err != nil {
			return fmt.Errorf("visitor %d: %w", i, err)
		}
		defer socks[i].ws.Close()
	}
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithTimeout(ctx, *dur)
	start := time.Now()
	var wg sync.WaitGroup
	for i, v := range socks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 4096)
			for n := 0; lctx.Err() == nil; n++ {
				t0 := time.Now()
				if _, err := v.send(fmt.Sprintf("b%d-%d", i, n), "Bonjour, je voudrais renouveler ma carte d'identité. Quels documents faut-il apporter ?"); err != nil {
					errs.Add(1)
					return
				}
				local = append(local, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	cancel()
	stopProfile()
	r := loadResult{requests: len(lat), errors: int(errs.Load()), elapsed: time.Since(start)}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50, r.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	report(e.stdout, "visitor message -> ack", r)
	fmt.Fprintf(e.stdout, "%-28s %d agents connected, %d message events received, %d sockets dropped\n", "", len(agents.socks), agents.events.Load(), agents.dropped.Load())

	// The burst left work to the workers (router, search indexer): latencies are
	// measured once they have caught up, as a desk would after a rush.
	if left, err := groupBacklogs(ctx, base); err == nil {
		fmt.Fprintf(e.stdout, "%-28s events left at the end of the burst: %s\n", "", backlogText(left))
	}
	waited, err := waitDrained(ctx, base, 2*time.Minute)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%-28s workers caught up with the burst in %.1fs\n", "", waited.Seconds())
	if docs, err := metricValue(ctx, base, "frontdesk_search_documents_indexed_total"); err == nil && len(lat) > 0 {
		fmt.Fprintf(e.stdout, "%-28s %.0f search documents written (%.2f per visitor message)\n", "", docs, docs/float64(len(lat)))
	}

	// 1b. Visitor to agent: 1,000 messages/s from 50 visitors; time from the visitor's
	// send to each of the 20 agents' sockets receiving the message's event.
	if err := benchVisitorToAgents(ctx, e, base, agents, 50, 1000, 5*time.Second); err != nil {
		return err
	}
	if _, err := waitDrained(ctx, base, 2*time.Minute); err != nil {
		return err
	}

	// 2. Agent reply to visitor: POST the reply through the API; time until the
	// visitor's socket receives it (store, outbox relay, bus, outbound worker, Sender).
	fresh := make([]*benchVisitor, 20)
	for i := range fresh {
		if fresh[i], err = dialBenchVisitor(base); err != nil {
			return err
		}
		defer fresh[i].ws.Close()
		if fresh[i].conv, err = fresh[i].send("first", "Bonjour"); err != nil {
			return err
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var rl []time.Duration
	rerrs := 0
	for n := range *replies {
		v := fresh[n%len(fresh)]
		t0 := time.Now()
		req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", base, v.conv), strings.NewReader(`{"text":"Bonjour, il faut un justificatif de domicile et une photo."}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			rerrs++
			continue
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			rerrs++
			continue
		}
		if err := v.await("message"); err != nil {
			rerrs++
			continue
		}
		rl = append(rl, time.Since(t0))
	}
	slices.Sort(rl)
	rr := loadResult{requests: len(rl), errors: rerrs, elapsed: time.Second}
	if len(rl) > 0 {
		rr.p50, rr.p99 = rl[len(rl)/2], rl[len(rl)*99/100]
	}
	fmt.Fprintf(e.stdout, "%-28s p50 %6.2f ms  p99 %6.2f ms  (%d replies, %d errors)\n", "agent reply -> visitor", ms(rr.p50), ms(rr.p99), rr.requests, rr.errors)
	stop()

	if *idle > 0 {
		return benchIdle(ctx, e, tmp, *idle)
	}
	return nil
}

// startBenchHub runs serve in this process on a free port, with an admin and its API
// token; common are the flags of every command (--data, --config), extra the flags of
// serve only.
func startBenchHub(ctx context.Context, e *env, common []string, extra ...string) (base, token string, stop func(), err error) {
	quiet := &env{stdin: e.stdin, stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string {
		if k == "FRONTDESK_PASSWORD" {
			return "bench-password"
		}
		return e.getenv(k)
	}, isTerminal: func() bool { return false }}
	if err := runUser(ctx, quiet, append([]string{"add", "--email", "bench@frontdesk.test", "--name", "Bench Agent", "--role", "admin"}, common...)); err != nil {
		return "", "", nil, fmt.Errorf("bench user: %w", err)
	}
	var tok strings.Builder
	tokEnv := *quiet
	tokEnv.stdout = &tok
	if err := runToken(ctx, &tokEnv, append([]string{"create", "--email", "bench@frontdesk.test"}, common...)); err != nil {
		return "", "", nil, fmt.Errorf("bench token: %w", err)
	}
	hubCtx, cancel := context.WithCancel(ctx)
	outR, outW := io.Pipe()
	hubEnv := *quiet
	hubEnv.stdout = outW
	hubEnv.getenv = func(k string) string {
		if k == "FRONTDESK_ADDR" {
			return "127.0.0.1:0"
		}
		return e.getenv(k)
	}
	done := make(chan error, 1)
	go func() {
		done <- runServe(hubCtx, &hubEnv, append(append([]string{}, common...), extra...))
		outW.Close()
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			if m := runningAt.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	select {
	case base = <-urlc:
		return base, strings.TrimSpace(tok.String()), stop, nil
	case err := <-done:
		return "", "", nil, fmt.Errorf("hub stopped: %w", err)
	case <-time.After(30 * time.Second):
		stop()
		return "", "", nil, errors.New("hub did not start within 30s")
	}
}

// benchVisitor is a websocket visitor of the demo site.
type benchVisitor struct {
	ws   *websocket.Conn
	conv int64
	seq  int64 // of the last message acknowledged
}

func dialBenchVisitor(base string) (*benchVisitor, error) {
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, ReadBufferSize: 1024, WriteBufferSize: 1024}
	ws, _, err := d.Dial("ws"+strings.TrimPrefix(base, "http")+"/chat/ws?site=demo", http.Header{"Origin": {base}})
	if err != nil {
		return nil, err
	}
	v := &benchVisitor{ws: ws}
	if err := ws.WriteJSON(map[string]string{"type": "hello"}); err != nil {
		ws.Close()
		return nil, err
	}
	if err := v.await("welcome"); err != nil {
		ws.Close()
		return nil, err
	}
	return v, nil
}

// await reads frames until one of type typ.
func (v *benchVisitor) await(typ string) error {
	v.ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, data, err := v.ws.ReadMessage()
		if err != nil {
			return err
		}
		var f struct {
			Type, Code string
			Conv, Seq  int64
		}
		json.Unmarshal(data, &f)
		if f.Type == "error" {
			return fmt.Errorf("error frame %s", f.Code)
		}
		if f.Type == typ {
			if f.Conv != 0 {
				v.conv = f.Conv
			}
			v.seq = f.Seq
			return nil
		}
	}
}

// send sends a message and waits for its ack; it returns the conversation id.
func (v *benchVisitor) send(cid, text string) (int64, error) {
	if err := v.ws.WriteJSON(map[string]string{"type": "message", "cid": cid, "text": text}); err != nil {
		return 0, err
	}
	err := v.await("ack")
	return v.conv, err
}

// benchIdle starts a hub as a child process (so its memory is its own), holds n idle
// visitor sockets open on it and reads its resident memory.
func benchIdle(ctx context.Context, e *env, tmp string, n int) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	data := filepath.Join(tmp, "idle-data")
	cmd := exec.CommandContext(ctx, exe, "serve", "--data", data, "--config", filepath.Join(tmp, "bench.yaml"), "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "FRONTDESK_ADDR=")
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	var base string
	for sc.Scan() {
		if m := runningAt.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if base == "" {
		return errors.New("idle hub did not start")
	}
	before, _ := rssOf(cmd.Process.Pid)
	socks := make([]*benchVisitor, 0, n)
	defer func() {
		for _, v := range socks {
			v.ws.Close()
		}
	}()
	t0 := time.Now()
	for i := range n {
		v, err := dialBenchVisitor(base)
		if err != nil {
			return fmt.Errorf("idle socket %d: %w", i, err)
		}
		socks = append(socks, v)
	}
	opened := time.Since(t0)
	time.Sleep(2 * time.Second) // let the hub settle (GC) before reading its memory
	after, err := rssOf(cmd.Process.Pid)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%-28s %d sockets opened in %.1fs; hub RSS %.0f MB idle, %.0f MB with them (%.1f KB per socket)\n",
		"idle visitor sockets", n, opened.Seconds(), float64(before)/(1<<20), float64(after)/(1<<20), float64(after-before)/float64(n)/1024)
	return nil
}

// rssOf reads a process's resident set size from /proc.
func rssOf(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// benchAgents are agents' live sockets; while timing is on, each records when it
// received each message's event. The agents' browsers would run elsewhere: here they
// share the hub's two cores, so outside the timed phase they only count events, which
// costs a tenth of decoding every frame (a tenth of the whole run's CPU otherwise).
type benchAgents struct {
	socks   []*websocket.Conn
	events  atomic.Int64
	dropped atomic.Int64 // sockets the hub closed (too slow)
	closing atomic.Bool
	timing  atomic.Bool
	mu      sync.Mutex
	arrived []map[int64]time.Time // per agent: message id -> arrival
	wg      sync.WaitGroup
}

// messageCreated is how a message event's type appears in the hub's frames.
var messageCreated = []byte(`"type":"message.created"`)

func dialBenchAgents(base, token string, n int) (*benchAgents, error) {
	a := &benchAgents{}
	for i := range n {
		ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/agent",
			http.Header{"Authorization": {"Bearer " + token}})
		if err != nil {
			a.close()
			return nil, fmt.Errorf("agent %d: %w", i, err)
		}
		a.socks = append(a.socks, ws)
		a.arrived = append(a.arrived, map[int64]time.Time{})
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			for {
				_, data, err := ws.ReadMessage()
				if err != nil {
					if !a.closing.Load() {
						a.dropped.Add(1)
					}
					return
				}
				now := time.Now()
				if !a.timing.Load() {
					a.events.Add(int64(bytes.Count(data, messageCreated)))
					continue
				}
				type event struct {
					Type      string `json:"type"`
					MessageID int64  `json:"message_id"`
				}
				var evs []event
				if len(data) > 0 && data[0] == '[' {
					json.Unmarshal(data, &evs)
				} else {
					var ev event
					json.Unmarshal(data, &ev)
					evs = []event{ev}
				}
				a.mu.Lock()
				for _, ev := range evs {
					if ev.Type == "message.created" {
						a.events.Add(1)
						a.arrived[i][ev.MessageID] = now
					}
				}
				a.mu.Unlock()
			}
		}()
	}
	return a, nil
}

func (a *benchAgents) close() {
	a.closing.Store(true)
	for _, ws := range a.socks {
		ws.Close()
	}
	a.wg.Wait()
}

// benchVisitorToAgents sends rate messages a second for d from n visitors and reports
// the delay until each agent's socket had the message's event.
func benchVisitorToAgents(ctx context.Context, e *env, base string, agents *benchAgents, n, rate int, d time.Duration) error {
	agents.timing.Store(true)
	defer agents.timing.Store(false)
	vs := make([]*benchVisitor, n)
	for i := range vs {
		v, err := dialBenchVisitor(base)
		if err != nil {
			return err
		}
		defer v.ws.Close()
		vs[i] = v
	}
	sent := map[int64]time.Time{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Duration(n) * time.Second / time.Duration(rate)
	lctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for i, v := range vs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for k := 0; ; k++ {
				select {
				case <-lctx.Done():
					return
				case <-tick.C:
				}
				t0 := time.Now()
				if _, err := v.send(fmt.Sprintf("l%d-%d", i, k), "Bonjour, à quelle heure ouvre le service état civil ?"); err != nil {
					return
				}
				mu.Lock()
				sent[v.seq] = t0
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	time.Sleep(time.Second) // the last events in flight
	var lat []time.Duration
	missing := 0
	agents.mu.Lock()
	for id, t0 := range sent {
		for _, arr := range agents.arrived {
			if at, ok := arr[id]; ok {
				lat = append(lat, at.Sub(t0))
			} else {
				missing++
			}
		}
	}
	agents.mu.Unlock()
	slices.Sort(lat)
	if len(lat) == 0 {
		return errors.New("no event reached the agents")
	}
	fmt.Fprintf(e.stdout, "%-28s %5.0f msg/s sent; p50 %6.2f ms  p99 %6.2f ms  (%d deliveries to %d agents, %d missing)\n",
		"visitor -> agents", float64(len(sent))/d.Seconds(), ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), len(lat), len(agents.socks), missing)
	return nil
}

// waitDrained polls the hub's metrics until no consumer group has events waiting or in
// hand, and returns how long that took.
func waitDrained(ctx context.Context, base string, limit time.Duration) (time.Duration, error) {
	start := time.Now()
	for {
		backlog, err := busBacklog(ctx, base)
		if err != nil {
			return 0, err
		}
		if backlog == 0 {
			return time.Since(start), nil
		}
		if time.Since(start) > limit {
			return 0, fmt.Errorf("workers still %d events behind after %s", backlog, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// metricValue reads one unlabelled metric of the hub's /metrics.
func metricValue(ctx context.Context, base, name string) (float64, error) {
	var v float64
	found := false
	err := scrapeMetrics(ctx, base, func(n, _ string, value float64) {
		if n == name {
			v, found = value, true
		}
	})
	if err == nil && !found {
		err = fmt.Errorf("metric %s not found", name)
	}
	return v, err
}

// groupBacklogs reads each consumer group's lag plus pending events.
func groupBacklogs(ctx context.Context, base string) (map[string]int64, error) {
	left := map[string]int64{}
	err := scrapeMetrics(ctx, base, func(name, group string, v float64) {
		if group != "" && (name == "frontdesk_bus_lag" || name == "frontdesk_bus_pending") {
			left[group] += int64(v)
		}
	})
	return left, err
}

// backlogText lists backlogs as "indexer 0, router 812, …".
func backlogText(left map[string]int64) string {
	var parts []string
	for _, g := range slices.Sorted(maps.Keys(left)) {
		parts = append(parts, fmt.Sprintf("%s %d", g, left[g]))
	}
	return strings.Join(parts, ", ")
}

// busBacklog sums frontdesk_bus_lag and frontdesk_bus_pending over the groups.
func busBacklog(ctx context.Context, base string) (int64, error) {
	left, err := groupBacklogs(ctx, base)
	var total int64
	for _, n := range left {
		total += n
	}
	return total, err
}
