package email

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-smtp"
)

// body5K is a 5 KB plain-text body.
var body5K = strings.Repeat("Bonjour, je vous écris au sujet de mon dossier numéro 42, merci d'avance.\r\n", 66)

// BenchmarkSMTPReceive delivers 5 KB messages over 20 concurrent SMTP sessions to the
// receiving server, each acknowledged (250) only after a durable ingest into a real
// SQLite inbox.
//
//	go test -run XXX -bench SMTPReceive -benchtime 5000x ./channels/email/
func BenchmarkSMTPReceive(b *testing.B) {
	h := newHub(b)
	addr := startSMTP(b, h.svc, func(c *Config) { c.SMTPServer.MaxRecipients = 50; c.SMTPServer.MaxMessageBytes = 1 << 20 })
	const sessions = 20
	var next atomic.Int64
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, sessions)
	for s := 0; s < sessions; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					c.Quit()
					return
				}
				from := fmt.Sprintf("sender%d@example.fr", i%500)
				msg := fmt.Sprintf("From: %s\r\nTo: accueil@mairie.example\r\nSubject: Dossier %d\r\nMessage-ID: <bench-%d@example.fr>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", from, i, i, body5K)
				if err := c.SendMail(from, []string{"accueil@mairie.example"}, strings.NewReader(msg)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkIMAPBackfill imports a mailbox of 10,000 messages (2 KB each) from go-imap's
// in-memory server into a real SQLite inbox: in UID batches of 100 (what the poller
// does), then fetching and storing them one by one (batch of 1), in the same run. The
// server sits behind a proxy adding 5 ms each way (10 ms round trip, a mail provider
// in the same country); rtt=0 is loopback.
//
//	go test -run XXX -bench IMAPBackfill -benchtime 1x -timeout 20m ./channels/email/
func BenchmarkIMAPBackfill(b *testing.B) {
	const total = 10000
	for _, run := range []struct {
		batch int
		rtt   time.Duration
	}{{100, 10 * time.Millisecond}, {1, 10 * time.Millisecond}, {100, 0}, {1, 0}} {
		name := fmt.Sprintf("rtt=%v/batch=%d", run.rtt, run.batch)
		if run.batch == 1 {
			name = fmt.Sprintf("rtt=%v/one-by-one", run.rtt)
		}
		batch := run.batch
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				f := startIMAP(b, nil)
				f.latency = run.rtt / 2
				body := strings.Repeat("Texte du message. ", 110)
				for i := range total {
					raw := rawMail([]string{"From: sender" + itoa(int64(i%300)) + "@example.fr", "To: accueil@mairie.example",
						"Subject: Message " + itoa(int64(i)), "Message-ID: <bf-" + itoa(int64(i)) + "@example.fr>"}, body)
					f.user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: time.Now()})
				}
				h := newHub(b)
				cfg := baseConfig()
				mb := f.mailboxConfig("accueil")
				mb.BatchSize = batch
				cfg.Mailboxes = []MailboxConfig{mb}
				c := newTestChannel(b, cfg, h.svc)
				ctx, cancel := context.WithCancel(context.Background())
				b.StartTimer()
				start := time.Now()
				done := make(chan error, 1)
				go func() { done <- c.Pollers()[0].Run(ctx) }()
				for {
					cp, _ := h.svc.MailboxCheckpoint(context.Background(), "accueil")
					if cp.LastUID >= total {
						break
					}
					time.Sleep(5 * time.Millisecond)
				}
				took := time.Since(start)
				b.StopTimer()
				cancel()
				<-done
				b.ReportMetric(float64(total)/took.Seconds(), "msgs/s")
				b.ReportMetric(took.Seconds(), "s/backfill")
			}
		})
	}
}

// BenchmarkIMAPFetch measures fetching alone (no ingest) of the same 10,000 messages:
// UID FETCH of 100 UIDs at a time against one UID FETCH per message.
//
//	go test -run XXX -bench IMAPFetch -benchtime 1x ./channels/email/
func BenchmarkIMAPFetch(b *testing.B) {
	const total = 10000
	f := startIMAP(b, nil)
	body := strings.Repeat("Texte du message. ", 110)
	for i := range total {
		raw := rawMail([]string{"From: s@example.fr", "Subject: M" + itoa(int64(i)), "Message-ID: <f-" + itoa(int64(i)) + "@example.fr>"}, body)
		f.user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: time.Now()})
	}
	cfg := baseConfig()
	cfg.Mailboxes = []MailboxConfig{f.mailboxConfig("accueil")}
	p := newTestChannel(b, cfg, newMemInbox()).Pollers()[0]
	client, err := p.connect(context.Background(), &imapclient.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer client.Close()
	if err := p.login(client); err != nil {
		b.Fatal(err)
	}
	if _, err := client.Select("INBOX", nil).Wait(); err != nil {
		b.Fatal(err)
	}
	uids := make([]imap.UID, total)
	for i := range uids {
		uids[i] = imap.UID(i + 1)
	}
	for _, batch := range []int{100, 1} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			for range b.N {
				start := time.Now()
				n := 0
				for i := 0; i < total; i += batch {
					msgs, err := p.fetch(client, uids[i:min(i+batch, total)])
					if err != nil {
						b.Fatal(err)
					}
					n += len(msgs)
				}
				if n != total {
					b.Fatalf("fetched %d, want %d", n, total)
				}
				b.ReportMetric(float64(total)/time.Since(start).Seconds(), "msgs/s")
			}
		})
	}
}
