// Package redistest gives tests a real Redis, the way CONVENTIONS.md asks: the server named
// by FRONTDESK_TEST_REDIS_URL when it is set, else a private redis-server started on a
// free port in a temporary directory. A test that can have neither fails, saying how to
// install Redis; it is never skipped.
//
// Every Server has a key prefix unique to the test. On a shared server (the URL case) the
// test must keep its keys under that prefix, and they are deleted at cleanup; the shared
// server is never flushed.
package redistest

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// EnvURL names the environment variable holding the URL of a Redis that tests may use
// (for example redis://127.0.0.1:6379/0). Tests keep to their own key prefix on it.
const EnvURL = "FRONTDESK_TEST_REDIS_URL"

// startTimeout bounds how long a private redis-server may take to answer PING. It is
// generous because a server with AOF replays its log on start.
const startTimeout = 15 * time.Second

// Server is a Redis for one test. Its methods may be called from several goroutines, but
// Restart, Stop and Start must not run concurrently with each other.
type Server struct {
	// URL is the address to connect to, for redis.ParseURL.
	URL string
	// Prefix is unique to the test; every key the test writes starts with it.
	Prefix string

	opts Options
	own  bool   // a private server this Server started
	bin  string // redis-server binary
	dir  string
	port int

	mu     sync.Mutex
	cmd    *exec.Cmd  // the running private server, nil when stopped
	exited chan error // receives cmd.Wait's result
}

// Options configure a private server started by NewOwn.
type Options struct {
	// AppendOnly turns on the append-only file with appendfsync always, so every write
	// acknowledged by Redis survives a crash or a restart. Without it the server keeps
	// nothing on disk and a restart loses every key.
	AppendOnly bool
}

// New returns the Redis named by FRONTDESK_TEST_REDIS_URL if it is set, with a fresh key
// prefix whose keys are deleted at cleanup; otherwise it starts a private server without
// persistence, stopped at cleanup.
func New(t testing.TB) *Server {
	t.Helper()
	if url := os.Getenv(EnvURL); url != "" {
		if _, err := redis.ParseURL(url); err != nil {
			t.Fatalf("redistest: %s=%q: %v", EnvURL, url, err)
		}
		s := &Server{URL: url, Prefix: newPrefix(t)}
		t.Cleanup(func() { s.deleteKeys(t) })
		return s
	}
	return NewOwn(t, Options{})
}

// NewOwn always starts a private redis-server, configured by opts, on a free port in a
// temporary directory, and stops it at cleanup. Use it for tests that restart Redis.
func NewOwn(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redistest: no redis-server binary in PATH and %s is not set: "+
			"install Redis with `apt-get install redis-server` (`make test` installs it), "+
			"or point %s at a Redis server", EnvURL, EnvURL)
	}
	s := &Server{Prefix: newPrefix(t), opts: opts, own: true, bin: bin, dir: t.TempDir()}
	t.Cleanup(func() { s.stop(t, false) })
	// Another process may take the free port between our probe and the server's bind:
	// try a few ports before giving up.
	var lastErr error
	for range 3 {
		s.port = freePort(t)
		s.URL = fmt.Sprintf("redis://127.0.0.1:%d/0", s.port)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redistest: start redis-server: %v", lastErr)
	return nil
}

// Client returns a client of the server, closed at cleanup.
func (s *Server) Client(t testing.TB) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		t.Fatalf("redistest: parse %q: %v", s.URL, err)
	}
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// Restart stops the private server abruptly, as a crash would (SIGKILL), and starts it
// again on the same port and directory. With Options.AppendOnly every acknowledged write
// survives; without it the server comes back empty. Clients reconnect by themselves.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop(t)
	s.Start(t)
}

// Stop kills the private server (SIGKILL) and waits for it to exit. Clients fail until
// Start.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	if !s.own {
		t.Fatalf("redistest: Stop needs a private server (NewOwn), not %s", EnvURL)
	}
	s.stop(t, true)
}

// Start starts the private server again after Stop, on the same port and directory.
func (s *Server) Start(t testing.TB) {
	t.Helper()
	if !s.own {
		t.Fatalf("redistest: Start needs a private server (NewOwn), not %s", EnvURL)
	}
	// The old socket may linger for a moment after a kill: retry the bind briefly.
	var err error
	for range 50 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redistest: restart redis-server on port %d: %v", s.port, err)
}

// start runs redis-server and waits until it answers PING.
func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("already running")
	}
	logFile := filepath.Join(s.dir, "redis.log")
	args := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--logfile", logFile,
		"--save", "",
		"--daemonize", "no",
	}
	if s.opts.AppendOnly {
		args = append(args, "--appendonly", "yes", "--appendfsync", "always")
	} else {
		args = append(args, "--appendonly", "no")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	deadline := time.Now().Add(startTimeout)
	for {
		if pingRaw(s.port) == nil {
			s.cmd, s.exited = cmd, exited
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited (%v): %s", err, tail(logFile))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on port %d did not answer PING within %v: %s",
				s.port, startTimeout, tail(logFile))
		}
	}
}

// stop kills the private server, if running, and waits for it to exit. A server that
// exited on its own while the test ran is reported when mustRun is set.
func (s *Server) stop(t testing.TB, mustRun bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		if mustRun {
			t.Fatalf("redistest: redis-server on port %d is not running", s.port)
		}
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd, s.exited = nil, nil
}

// deleteKeys removes every key under the prefix from a shared server, with SCAN and
// UNLINK so the server is never blocked for long.
func (s *Server) deleteKeys(t testing.TB) {
	opt, err := redis.ParseURL(s.URL)
	if err != nil {
		t.Errorf("redistest: parse %q: %v", s.URL, err)
		return
	}
	c := redis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, s.Prefix+"*", 500).Iterator()
	var batch []string
	flush := func() {
		if len(batch) > 0 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				t.Errorf("redistest: unlink keys under %q: %v", s.Prefix, err)
			}
			batch = batch[:0]
		}
	}
	for iter.Next(ctx) {
		if batch = append(batch, iter.Val()); len(batch) == 500 {
			flush()
		}
	}
	flush()
	if err := iter.Err(); err != nil {
		t.Errorf("redistest: scan keys under %q: %v", s.Prefix, err)
	}
}

// newPrefix returns "fdtest:<16 random hex digits>:", which has no glob characters.
func newPrefix(t testing.TB) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatalf("redistest: random prefix: %v", err)
	}
	return "fdtest:" + hex.EncodeToString(b[:]) + ":"
}

// freePort asks the kernel for a free TCP port on the loopback interface.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// pingRaw sends PING over a fresh connection and expects +PONG, without a client whose
// pool and retries would blur what is being waited for.
func pingRaw(port int) error {
	conn, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", strings.TrimSpace(line))
	}
	return nil
}

// tail returns the end of the server's log, to explain a failed start.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("no log: %v", err)
	}
	const max = 2000
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return "log: " + strings.TrimSpace(string(b))
}
