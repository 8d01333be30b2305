package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Dialer opens a network connection (tests pass in-memory pipes).
type Dialer func(ctx context.Context, network, addr string) (net.Conn, error)

// Timeouts of the IMAP sessions.
const (
	// commandTimeout bounds one IMAP command; a server silent for that long is dead.
	commandTimeout = time.Minute
	// fetchTimeout bounds one UID FETCH batch (megabytes of mail).
	fetchTimeout = 10 * time.Minute
	// livenessTimeout bounds the answer to DONE when IDLE is re-issued.
	livenessTimeout = 30 * time.Second
	// minBackoff and maxBackoff bound the wait between reconnections.
	minBackoff = time.Second
	maxBackoff = 5 * time.Minute
	// healthySession: a session that lasted this long resets the backoff.
	healthySession = time.Minute
	// ingestWorkers ingest the messages of one fetched batch concurrently, so that
	// the store's group commit takes them together.
	ingestWorkers = 32
)

// Poller imports one IMAP mailbox: it keeps a session open, waits for new mail with
// IDLE (or polls), imports it in UID batches and reconnects with backoff after any
// failure. It never gives up while its context lives.
type Poller struct {
	c         *Channel
	cfg       MailboxConfig
	log       *slog.Logger
	dial      Dialer
	tlsConfig *tls.Config
}

// WithDialer makes the IMAP pollers connect through dial (tests).
func WithDialer(dial Dialer) Option { return func(c *Channel) { c.dial = dial } }

// WithTLSConfig sets the TLS configuration of IMAP and SMTP client connections (tests
// pass their own root CAs).
func WithTLSConfig(cfg *tls.Config) Option { return func(c *Channel) { c.tlsConfig = cfg } }

// Pollers returns one Poller per configured mailbox; run each with Run.
func (c *Channel) Pollers() []*Poller {
	out := make([]*Poller, 0, len(c.cfg.Mailboxes))
	for _, m := range c.cfg.Mailboxes {
		dial := c.dial
		if dial == nil {
			d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
			dial = d.DialContext
		}
		out = append(out, &Poller{c: c, cfg: m, dial: dial, tlsConfig: c.tlsConfig,
			log: c.log.With("mailbox", m.Name)})
	}
	return out
}

// Name is the mailbox name.
func (p *Poller) Name() string { return p.cfg.Name }

// Run imports the mailbox until ctx ends. It returns nil then; it never returns
// because of a network or server error.
func (p *Poller) Run(ctx context.Context) error {
	backoff := minBackoff
	first := true
	for ctx.Err() == nil {
		if !first {
			p.c.states.update(p.cfg.Name, func(st *MailboxState) { st.Reconnects++ })
		}
		first = false
		start := p.c.now()
		err := p.session(ctx)
		p.c.states.update(p.cfg.Name, func(st *MailboxState) { st.Connected, st.Mode = false, "" })
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("session ended")
		}
		p.c.fail(p.cfg.Name, err)
		if p.c.now().Sub(start) > healthySession {
			backoff = minBackoff
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		p.log.Warn("mailbox disconnected; reconnecting", "err", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, maxBackoff)
	}
	return nil
}

// session runs one IMAP session: connect, log in, select, then sync and wait for news
// until an error.
func (p *Poller) session(ctx context.Context) error {
	wake := make(chan struct{}, 1)
	opts := &imapclient.Options{
		TLSConfig: p.tlsConfigFor(),
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case wake <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	client, err := p.connect(ctx, opts)
	if err != nil {
		return err
	}
	defer client.Close()
	stop := context.AfterFunc(ctx, func() { client.Close() })
	defer stop()

	if err := p.command(client, commandTimeout, client.WaitGreeting); err != nil {
		return fmt.Errorf("email: %s: greeting: %w", p.cfg.Name, err)
	}
	if err := p.command(client, commandTimeout, func() error { return p.login(client) }); err != nil {
		return fmt.Errorf("email: %s: login: %w", p.cfg.Name, err)
	}
	var sel *imap.SelectData
	err = p.command(client, commandTimeout, func() error {
		var err error
		sel, err = client.Select(p.cfg.Folder, &imap.SelectOptions{ReadOnly: !p.cfg.MarkSeen && p.cfg.MoveTo == ""}).Wait()
		return err
	})
	if err != nil {
		return fmt.Errorf("email: %s: select %q: %w", p.cfg.Name, p.cfg.Folder, err)
	}
	idle := *p.cfg.Idle && (client.Caps().Has(imap.CapIdle) || client.Caps().Has(imap.CapIMAP4rev2))
	mode := "poll"
	if idle {
		mode = "idle"
	}
	p.c.states.update(p.cfg.Name, func(st *MailboxState) { st.Connected, st.Mode = true, mode })
	p.log.Info("mailbox connected", "mode", mode, "uid_validity", sel.UIDValidity)

	cp, err := p.c.in.MailboxCheckpoint(ctx, p.cfg.Name)
	if err != nil {
		return err
	}
	if cp.UIDValidity != sel.UIDValidity {
		if cp.UIDValidity != 0 {
			p.log.Warn("UIDVALIDITY changed; resynchronising", "old", cp.UIDValidity, "new", sel.UIDValidity)
		}
		cp = inbox.MailboxCheckpoint{Mailbox: p.cfg.Name, UIDValidity: sel.UIDValidity}
	}
	backfill := cp.LastUID == 0
	for {
		if err := p.sync(ctx, client, &cp, backfill, uint32(sel.UIDNext)); err != nil {
			return err
		}
		backfill = false
		now := p.c.now().UTC()
		p.c.states.update(p.cfg.Name, func(st *MailboxState) {
			st.LastSync, st.UIDValidity, st.LastUID = &now, cp.UIDValidity, cp.LastUID
		})
		if idle {
			err = p.idle(ctx, client, wake)
		} else {
			err = p.poll(ctx, client, wake)
		}
		if err != nil {
			return err
		}
	}
}

// connect dials the server in the configured TLS mode.
func (p *Poller) connect(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
	addr := net.JoinHostPort(p.cfg.Host, strconv.Itoa(p.cfg.Port))
	conn, err := p.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("email: %s: connect: %w", p.cfg.Name, err)
	}
	switch p.cfg.TLS {
	case TLSImplicit:
		tc := tls.Client(conn, opts.TLSConfig)
		hctx, cancel := context.WithTimeout(ctx, commandTimeout)
		defer cancel()
		if err := tc.HandshakeContext(hctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("email: %s: tls: %w", p.cfg.Name, err)
		}
		return imapclient.New(tc, opts), nil
	case TLSStartTLS:
		conn.SetDeadline(time.Now().Add(commandTimeout))
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("email: %s: starttls: %w", p.cfg.Name, err)
		}
		conn.SetDeadline(time.Time{})
		return c, nil
	}
	return imapclient.New(conn, opts), nil
}

func (p *Poller) tlsConfigFor() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if p.tlsConfig != nil {
		cfg = p.tlsConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = p.cfg.Host
	}
	return cfg
}

func (p *Poller) login(client *imapclient.Client) error {
	if p.cfg.Auth == "plain" {
		return client.Authenticate(sasl.NewPlainClient("", p.cfg.Username, p.cfg.Password))
	}
	return client.Login(p.cfg.Username, p.cfg.Password).Wait()
}

// command runs fn, closing the connection if it takes longer than d: a server that
// stopped answering is noticed, whatever the TCP stack thinks.
func (p *Poller) command(client *imapclient.Client, d time.Duration, fn func() error) error {
	t := time.AfterFunc(d, func() {
		p.log.Warn("IMAP server silent; closing the connection", "timeout", d)
		client.Close()
	})
	defer t.Stop()
	return fn()
}

// idle waits in IDLE for new mail, re-issuing IDLE every IdleRestart; each re-issue
// checks that the server still answers.
func (p *Poller) idle(ctx context.Context, client *imapclient.Client, wake <-chan struct{}) error {
	var cmd *imapclient.IdleCommand
	err := p.command(client, commandTimeout, func() error {
		var err error
		cmd, err = client.Idle()
		return err
	})
	if err != nil {
		return fmt.Errorf("email: %s: idle: %w", p.cfg.Name, err)
	}
	t := time.NewTimer(p.cfg.IdleRestart)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
	case <-client.Closed():
	}
	err = p.command(client, livenessTimeout, func() error {
		if err := cmd.Close(); err != nil {
			return err
		}
		return cmd.Wait()
	})
	if err != nil {
		return fmt.Errorf("email: %s: leaving idle: %w", p.cfg.Name, err)
	}
	return ctx.Err()
}

// poll waits PollInterval (or a pushed EXISTS) without IDLE.
func (p *Poller) poll(ctx context.Context, client *imapclient.Client, wake <-chan struct{}) error {
	t := time.NewTimer(p.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-ctx.Done():
		return ctx.Err()
	case <-client.Closed():
		return errors.New("email: connection closed")
	}
	return p.command(client, commandTimeout, func() error { return client.Noop().Wait() })
}
