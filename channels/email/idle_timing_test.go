package email

import (
	"context"
	"io"
	"log"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// pipeListener hands out in-memory connections, so that a whole IMAP session runs
// inside a synctest bubble where time is fake.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error   { l.once.Do(func() { close(l.done) }); return nil }
func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 143} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// idleCounter wraps the in-memory server's sessions to count IDLE commands and,
// when frozen, to stop answering like a server behind a dead link.
type idleCounter struct {
	imapserver.Session
	idles  *atomic.Int32
	frozen *atomic.Bool
	thaw   chan struct{}
}

func (s *idleCounter) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	s.idles.Add(1)
	if s.frozen.Load() {
		<-s.thaw // never answers DONE until the test ends
		return nil
	}
	return s.Session.Idle(w, stop)
}

func (s *idleCounter) Move(w *imapserver.MoveWriter, numSet imap.NumSet, dest string) error {
	return s.Session.(imapserver.SessionMove).Move(w, numSet, dest)
}

func (s *idleCounter) Namespace() (*imap.NamespaceData, error) {
	return s.Session.(imapserver.SessionNamespace).Namespace()
}

// TestIdleRestartAndLiveness runs on a fake clock: IDLE is re-issued every
// idle_restart, and a server that stops answering is noticed by the liveness
// timeout and replaced by a new session, without a single real second spent.
func TestIdleRestartAndLiveness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		user := imapmemserver.NewUser(imapUser, imapPassword)
		user.Create("INBOX", nil)
		mem := imapmemserver.New()
		mem.AddUser(user)
		var idles atomic.Int32
		var frozen atomic.Bool
		thaw := make(chan struct{})
		srv := imapserver.New(&imapserver.Options{
			NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
				return &idleCounter{Session: mem.NewSession(), idles: &idles, frozen: &frozen, thaw: thaw}, nil, nil
			},
			Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}},
			InsecureAuth: true,
			Logger:       log.New(io.Discard, "", 0),
		})
		ln := newPipeListener()
		go srv.Serve(ln)

		in := newMemInbox()
		cfg := baseConfig()
		cfg.Mailboxes = []MailboxConfig{{Name: "accueil", Host: "imap.test", Port: 143, TLS: TLSNone, Username: imapUser, Password: imapPassword}}
		c := newTestChannel(t, cfg, in, WithDialer(ln.dial))
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Pollers()[0].Run(ctx) }()

		synctest.Wait()
		if n := idles.Load(); n != 1 {
			t.Fatalf("after connecting: %d IDLE commands, want 1", n)
		}
		time.Sleep(DefaultIdleRestart - time.Second)
		synctest.Wait()
		if n := idles.Load(); n != 1 {
			t.Fatalf("before 9 minutes: %d IDLE commands, want 1", n)
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if n := idles.Load(); n != 2 {
			t.Fatalf("after 9 minutes: %d IDLE commands, want 2 (re-issued)", n)
		}
		st, _ := c.MailboxStates(ctx)
		if st[0].Reconnects != 0 || !st[0].Connected {
			t.Fatalf("state = %+v; want the same session still connected", st[0])
		}

		// The link dies: from the next IDLE on, the server no longer answers DONE.
		frozen.Store(true)
		time.Sleep(DefaultIdleRestart) // re-issue: DONE answered, the new IDLE hangs
		synctest.Wait()
		frozen.Store(false)            // only the hung session stays dead
		time.Sleep(DefaultIdleRestart) // re-issue: DONE sent, never answered
		synctest.Wait()
		if st, _ := c.MailboxStates(ctx); st[0].Reconnects != 0 {
			t.Fatalf("reconnected before the liveness timeout: %+v", st[0])
		}
		time.Sleep(livenessTimeout + time.Second) // liveness timeout, then the first backoff (≤1s)
		synctest.Wait()
		st, _ = c.MailboxStates(ctx)
		if st[0].Reconnects != 1 || !st[0].Connected || st[0].LastError == "" {
			t.Fatalf("state after the dead link = %+v; want one reconnection, connected again, the error kept", st[0])
		}

		// New mail is imported by the new session.
		user.Append("INBOX", literalOf(rawMail([]string{"From: marie@example.fr", "Message-ID: <late@example.fr>", "Subject: x"}, "x")), &imap.AppendOptions{})
		synctest.Wait()
		if !in.has("<late@example.fr>") {
			t.Fatal("mail after the reconnection not imported")
		}
		cancel()
		close(thaw)
		if err := <-done; err != nil {
			t.Fatalf("Run() = %v", err)
		}
		ln.Close()
		srv.Close()
	})
}
