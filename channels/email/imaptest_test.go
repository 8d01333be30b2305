package email

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// imapFixture is go-imap's in-memory IMAP server behind a proxy that can drop every
// connection, as a network failure or a server restart would.
type imapFixture struct {
	user    *imapmemserver.User
	srv     *imapserver.Server
	backend string // the server's own address
	addr    string // the proxy's address, what the poller dials
	onFetch func()
	// latency delays every byte through the proxy by this much each way (benchmarks).
	latency time.Duration

	mu    sync.Mutex
	conns []net.Conn
	ln    net.Listener
}

const imapUser, imapPassword = "accueil@mairie.example", "secret"

func startIMAP(t testing.TB, caps imap.CapSet) *imapFixture {
	t.Helper()
	f := &imapFixture{user: imapmemserver.NewUser(imapUser, imapPassword)}
	if err := f.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem := imapmemserver.New()
	mem.AddUser(f.user)
	if caps == nil {
		caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}, imap.CapMove: {}, imap.CapUIDPlus: {}}
	}
	f.srv = imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &hookSession{Session: mem.NewSession(), f: f}, nil, nil
		},
		Caps:         caps,
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.srv.Serve(ln)
	f.backend = ln.Addr().String()
	f.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = f.ln.Addr().String()
	go f.proxy()
	t.Cleanup(func() {
		f.ln.Close()
		f.drop()
		f.srv.Close()
	})
	return f
}

func (f *imapFixture) proxy() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		b, err := net.Dial("tcp", f.backend)
		if err != nil {
			c.Close()
			continue
		}
		f.mu.Lock()
		f.conns = append(f.conns, c, b)
		f.mu.Unlock()
		go delayedCopy(b, c, f.latency)
		go delayedCopy(c, b, f.latency)
	}
}

// delayedCopy copies src to dst, each chunk delivered d after it was read: network
// latency without a bandwidth limit.
func delayedCopy(dst, src net.Conn, d time.Duration) {
	defer dst.Close()
	if d == 0 {
		io.Copy(dst, src)
		return
	}
	type chunk struct {
		b  []byte
		at time.Time
	}
	ch := make(chan chunk, 4096)
	go func() {
		defer close(ch)
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				ch <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(d)}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		time.Sleep(time.Until(c.at))
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
}

// drop cuts every open connection.
func (f *imapFixture) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
	f.conns = nil
}

// hookSession lets a test act between the poller's commands.
type hookSession struct {
	imapserver.Session
	f *imapFixture
}

func (s *hookSession) Fetch(w *imapserver.FetchWriter, numSet imap.NumSet, options *imap.FetchOptions) error {
	if hook := s.f.fetchHook(); hook != nil {
		hook()
	}
	return s.Session.Fetch(w, numSet, options)
}

func (s *hookSession) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

func (s *hookSession) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

func (f *imapFixture) fetchHook() func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.onFetch
	f.onFetch = nil // once
	return h
}

type literal struct{ *bytes.Reader }

func (l literal) Size() int64 { return int64(l.Len()) }

// add appends a message with a Message-ID <id@example.fr> to folder.
func (f *imapFixture) add(t testing.TB, folder, id string, at time.Time, flags ...imap.Flag) {
	t.Helper()
	raw := rawMail([]string{"From: Marie <marie@example.fr>", "To: accueil@mairie.example", "Subject: Message " + id, "Message-ID: <" + id + "@example.fr>"}, "Bonjour, message "+id)
	if _, err := f.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: at, Flags: flags}); err != nil {
		t.Fatalf("Append(%s) = %v", id, err)
	}
}

// addRaw appends raw to folder.
func (f *imapFixture) addRaw(t testing.TB, folder string, raw []byte, at time.Time) {
	t.Helper()
	if _, err := f.user.Append(folder, literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: at}); err != nil {
		t.Fatalf("Append(%q) = %v", raw, err)
	}
}

// client opens a separate session, for tests that act like another mail client.
func (f *imapFixture) client(t testing.TB) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(f.backend, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(imapUser, imapPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

// mailboxConfig points a mailbox at the fixture.
func (f *imapFixture) mailboxConfig(name string) MailboxConfig {
	host, port, _ := net.SplitHostPort(f.addr)
	p, _ := strconv.Atoi(port)
	return MailboxConfig{Name: name, Host: host, Port: p, TLS: TLSNone, Username: imapUser, Password: imapPassword, BatchSize: 25}
}

// runPoller runs the channel's first poller until the test ends.
func runPoller(t testing.TB, c *Channel) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Pollers()[0].Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Poller.Run() = %v", err)
		}
	})
}

// eventually polls cond until it holds or within elapses.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// externalIDs lists the external ids of the hub's inbound email messages.
func (h *hub) externalIDs(t testing.TB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, c := range h.all(t) {
		for _, m := range h.conversation(t, c.ID).Messages {
			if m.Kind == "in" {
				out[m.ExternalID]++
			}
		}
	}
	return out
}

func msgID(id string) string { return fmt.Sprintf("<%s@example.fr>", id) }
