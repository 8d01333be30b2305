package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// runBench runs a load benchmark against a real hub started in this process.
func runBench(ctx context.Context, e *env, args []string) error {
	if subcommandHelp(e, args, "bench", "ingest, webchat, search, pipeline") {
		return nil
	}
	if len(args) == 0 {
		return fmt.Errorf("%w: want a benchmark: ingest, webchat, search or pipeline", errUsage)
	}
	switch args[0] {
	case "ingest":
		return benchIngest(ctx, e, args[1:])
	case "webchat":
		return benchWebchat(ctx, e, args[1:])
	case "search":
		return runBenchSearch(ctx, e, args[1:])
	case "pipeline":
		return benchPipeline(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: unknown benchmark %q: want ingest, webchat, search or pipeline", errUsage, args[0])
}

// loadResult is what one load run measured.
type loadResult struct {
	requests int
	errors   int
	elapsed  time.Duration
	p50, p99 time.Duration
}

func (r loadResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// postJSON sends one authenticated JSON POST and returns its latency; an answer other
// than 2xx is an error.
func postJSON(ctx context.Context, client *http.Client, url, token string, body []byte) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return 0, fmt.Errorf("POST %s: %s", url, resp.Status)
	}
	return time.Since(t0), nil
}

// load sends POST requests from clients goroutines for d, each body made by body(i) with
// a unique i, and measures the rate and latency of 2xx answers.
func load(ctx context.Context, url, token string, clients int, d time.Duration, body func(i int64) []byte) loadResult {
	var n atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	// Requests run on their own context: the one in flight at the deadline completes.
	return drive(context.Background(), url, token, clients, func() ([]byte, bool) {
		return body(n.Add(1)), ctx.Err() == nil
	})
}

// drive posts from clients goroutines, each taking its next body from next until next
// says stop, and measures the rate and latency of the 2xx answers.
func drive(ctx context.Context, url, token string, clients int, next func() ([]byte, bool)) loadResult {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			local := make([]time.Duration, 0, 1<<14)
			for {
				b, ok := next()
				if !ok {
					break
				}
				took, err := postJSON(ctx, client, url, token, b)
				if err != nil {
					errs.Add(1)
					continue
				}
				local = append(local, took)
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	r := loadResult{requests: len(lat), errors: int(errs.Load()), elapsed: time.Since(start)}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50 = lat[len(lat)/2]
		r.p99 = lat[len(lat)*99/100]
	}
	return r
}

// bareHandler decodes the inbound JSON like the API does and answers without storing:
// the ceiling net/http and encoding/json put on this machine.
func bareHandler() http.Handler {
	var n atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ExternalID string `json:"external_id"`
			From       struct {
				Name    string `json:"name"`
				Address string `json:"address"`
			} `json:"from"`
			Subject   string `json:"subject"`
			Text      string `json:"text"`
			ThreadKey string `json:"thread_key"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&req); err != nil || req.ExternalID == "" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		id := n.Add(1)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]int64{"message_id": id, "conversation_id": id})
	})
}

var runningAt = regexp.MustCompile(`running at (http://\S+)`)

// benchIngest measures POST /api/v1/inbound on a hub run by this process (the same
// wiring as serve, fresh data folder), and a bare handler decoding the same JSON, with
// the same client, in the same run.
func benchIngest(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "bench ingest", &c)
	clients := fs.Int("clients", 32, "concurrent `clients`")
	dur := fs.Duration("duration", 10*time.Second, "how long each load runs")
	threads := fs.Int("threads", 500, "distinct conversation threads the messages fall into")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the hub run to `file`")
	core := fs.Bool("core", false, "run only the core workers (outbound, realtime, notify): no router, no search indexer")
	perThread := fs.Int("per-thread", 0, "messages per conversation thread (0: spread over --threads threads)")
	if err := parse(fs, args); err != nil {
		return err
	}
	data := c.data
	if data == "" {
		tmp, err := os.MkdirTemp("", "frontdesk-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		data = tmp
	} else if err := os.MkdirAll(data, 0o750); err != nil {
		return fmt.Errorf("bench: data folder: %w", err)
	}
	common := []string{"--data", data}
	switch {
	case c.config != "" && *core:
		return fmt.Errorf("%w: --core and --config do not go together", errUsage)
	case c.config != "":
		common = append(common, "--config", c.config)
	case *core:
		path := filepath.Join(data, "core.yaml")
		if err := os.WriteFile(path, []byte("router:\n  disabled: true\nsearch:\n  disabled: true\n"), 0o600); err != nil {
			return err
		}
		common = append(common, "--config", path)
	}
	base, token, stopHub, err := startBenchHub(ctx, e, common)
	if err != nil {
		return err
	}
	defer stopHub()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	bare := &http.Server{Handler: bareHandler()}
	go bare.Serve(ln)
	defer bare.Close()

	thread := func(i int64) int64 {
		if *perThread > 0 {
			return i / int64(*perThread)
		}
		return i % int64(*threads)
	}
	body := func(prefix string) func(i int64) []byte {
		return func(i int64) []byte {
			return fmt.Appendf(nil, `{"external_id":"%s-%d","from":{"name":"Client %d","address":"client%d@example.fr"},"subject":"Demande de rendez-vous %d","text":"Bonjour, je souhaiterais prendre rendez-vous la semaine prochaine pour renouveler ma carte d'identité. Merci.","thread_key":"t-%d"}`,
				prefix, i, i%1000, i%1000, i, thread(i))
		}
	}
	workers := "every worker (router, search indexer, outbound, realtime, notify)"
	if *core {
		workers = "the core workers (outbound, realtime, notify)"
	}
	threading := fmt.Sprintf("%d threads", *threads)
	if *perThread > 0 {
		threading = fmt.Sprintf("%d messages per thread", *perThread)
	}
	fmt.Fprintf(e.stdout, "ingest benchmark: %d clients, %s per run, %s, hub running %s\n", *clients, *dur, threading, workers)
	bareRes := load(ctx, "http://"+ln.Addr().String()+"/api/v1/inbound", token, *clients, *dur, body("bare"))
	report(e.stdout, "bare handler (decode only)", bareRes)
	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	hubRes := load(ctx, base+"/api/v1/inbound", token, *clients, *dur, body("hub"))
	stopProfile()
	report(e.stdout, "hub POST /api/v1/inbound", hubRes)
	fmt.Fprintf(e.stdout, "ratio hub/bare: %.2f\n", hubRes.rate()/bareRes.rate())
	return nil
}

// startProfile starts a CPU profile written to path, if path is not empty; the
// function it returns stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func report(w io.Writer, name string, r loadResult) {
	fmt.Fprintf(w, "%-28s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms  (%d ok, %d errors in %.1fs)\n",
		name, r.rate(), ms(r.p50), ms(r.p99), r.requests, r.errors, r.elapsed.Seconds())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
