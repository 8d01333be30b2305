package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

// buildBinary compiles the frontdesk command once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "frontdesk")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// hub is a frontdesk serve process.
type hub struct {
	cmd  *exec.Cmd
	addr string
	logs *strings.Builder
	mu   *sync.Mutex
}

func startHub(t *testing.T, bin, data, addr string, env []string, extra ...string) *hub {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--addr", addr}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	h := &hub{cmd: cmd, addr: addr, logs: &strings.Builder{}, mu: &sync.Mutex{}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copyLogs := func(r io.Reader) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			h.mu.Lock()
			h.logs.WriteString(sc.Text() + "\n")
			h.mu.Unlock()
		}
	}
	go copyLogs(stdout)
	go copyLogs(stderr)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return h
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("hub not ready within 20s; logs:\n%s", h.output())
	return nil
}

func (h *hub) output() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.logs.String()
}

// post sends one inbound message and returns the HTTP status (0 on a transport error).
func post(client *http.Client, addr, token string, i int) int {
	body := fmt.Sprintf(`{"external_id":"crash-%d","from":{"name":"Client %d","address":"client%d@example.fr"},"subject":"Demande %d","text":"Bonjour, message numéro %d.","thread_key":"t-%d"}`,
		i, i%97, i%97, i, i, i%500)
	req, _ := http.NewRequest("POST", "http://"+addr+"/api/v1/inbound", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestCrashLosesNothing kills the hub with SIGKILL while 32 clients ingest, restarts it
// and checks that every acknowledged message is stored exactly once and that every
// outbox event reached every consumer group, on the in-process bus and on Redis.
func TestCrashLosesNothing(t *testing.T) {
	bin := buildBinary(t)
	t.Run("memory bus", func(t *testing.T) { crashAndRecover(t, bin, nil) })
	t.Run("redis bus", func(t *testing.T) {
		r := redistest.New(t)
		cfg := filepath.Join(t.TempDir(), "frontdesk.yaml")
		// Entries the killed hub had read but not acknowledged come back after the
		// visibility timeout; keep it well inside the 30 s this test waits (the search
		// indexer, which holds a batch for up to search.batch_wait, nearly always has
		// some at the kill).
		os.WriteFile(cfg, []byte("redis:\n  prefix: \""+r.Prefix+"\"\nbus:\n  visibility_timeout: 5s\n"), 0o600)
		crashAndRecover(t, bin, []string{"FRONTDESK_REDIS_URL=" + r.URL}, "--config", cfg)
	})
}

func crashAndRecover(t *testing.T, bin string, env []string, extra ...string) {
	data := t.TempDir()
	pw := map[string]string{"FRONTDESK_PASSWORD": "integration-secret"}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "bot@x.fr", "--name", "Integration", "--role", "agent"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, out, _ := cli(t, nil, "token", "create", "--data", data, "--email", "bot@x.fr")
	token := strings.TrimSpace(out)
	addr := freeAddr(t)
	h := startHub(t, bin, data, addr, env, extra...)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
	var next, acked atomic.Int64
	var mu sync.Mutex
	ackedIDs := map[int]bool{}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(next.Add(1))
				switch post(client, addr, token, i) {
				case 200, 201:
					mu.Lock()
					ackedIDs[i] = true
					mu.Unlock()
					acked.Add(1)
				case 0:
					return // the server is gone
				}
			}
		}()
	}
	for acked.Load() < 3000 {
		time.Sleep(5 * time.Millisecond)
	}
	if err := h.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	h.cmd.Wait()
	close(stop)
	wg.Wait()
	sent := int(next.Load())
	t.Logf("killed after %d acknowledged of %d attempted messages", len(ackedIDs), sent)

	h = startHub(t, bin, data, addr, env, extra...)
	// Clients retry what was not acknowledged, as integrations do.
	for i := 1; i <= sent; i++ {
		if !ackedIDs[i] {
			if st := post(client, addr, token, i); st != 200 && st != 201 {
				t.Fatalf("retry of message %d after restart = %d; logs:\n%s", i, st, h.output())
			}
		}
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "frontdesk.db")+"?_pragma=busy_timeout(5000)&mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	var pending int
	for {
		if err := db.QueryRow(`SELECT count(*) FROM outbox`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox events still not acknowledged by every consumer group 30s after restart; logs:\n%s", pending, h.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	rows, err := db.Query(`SELECT external_id, count(*) FROM messages WHERE channel = 'api' GROUP BY external_id`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		rows.Scan(&id, &n)
		stored[id] = n
	}
	rows.Close()
	for i := 1; i <= sent; i++ {
		if n := stored[fmt.Sprintf("crash-%d", i)]; n != 1 {
			t.Fatalf("message crash-%d (acknowledged before the crash: %v) stored %d times, want exactly 1", i, ackedIDs[i], n)
		}
	}
	if len(stored) != sent {
		t.Fatalf("%d messages stored, want the %d sent", len(stored), sent)
	}
	var bad int
	if err := db.QueryRow(`SELECT count(*) FROM conversations c WHERE message_count <> (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id)`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Fatalf("%d conversations have a message count that disagrees with their messages (half-written transaction)", bad)
	}
	// A graceful stop now: SIGTERM, and the hub exits 0.
	h.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- h.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("hub exited with %v after SIGTERM; logs:\n%s", err, h.output())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("hub still running 15s after SIGTERM; logs:\n%s", h.output())
	}

}
