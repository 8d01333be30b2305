package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/channels/email"
)

// tokenSecretFile keeps the generated email token secret in the data folder when the
// configuration gives none, so that tokens in mail already sent stay valid.
const tokenSecretFile = "email-token-secret"

// openEmail builds the email channel, nil when the configuration has no email.
func openEmail(a *app) (*email.Channel, error) {
	cfg := a.cfg.Email
	if !cfg.Enabled() {
		return nil, nil
	}
	secret := []byte(cfg.TokenSecret)
	if len(secret) == 0 {
		var err error
		if secret, err = loadOrCreateSecret(filepath.Join(a.cfg.DataDir, tokenSecretFile)); err != nil {
			return nil, fmt.Errorf("email: token secret: %w", err)
		}
	}
	ch, err := email.New(cfg, a.inbox, secret, a.log)
	if err != nil {
		return nil, err
	}
	a.registry.MustRegister(newEmailCollector(ch))
	return ch, nil
}

// loadOrCreateSecret reads a hex secret from path, or writes a new random one there.
func loadOrCreateSecret(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(raw))
		if len(s) < 32 {
			return nil, fmt.Errorf("%s: too short; delete it to make a new one", path)
		}
		return []byte(s), nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	b := make([]byte, 32)
	rand.Read(b)
	s := hex.EncodeToString(b)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// emailComponents are the email channel's long-running parts: one IMAP poller per
// mailbox and the SMTP server when configured.
func emailComponents(ch *email.Channel) ([]component, error) {
	var out []component
	for _, p := range ch.Pollers() {
		out = append(out, component{"email-imap-" + p.Name(), p.Run})
	}
	srv, err := ch.SMTPServer()
	if err != nil {
		return nil, err
	}
	if srv != nil {
		out = append(out, component{"email-smtp", srv.Run})
	}
	return out, nil
}

// emailCollector exports the mailboxes' state to Prometheus when scraped.
type emailCollector struct {
	ch                                             *email.Channel
	connected, lastSync, imported, failed, reconns *prometheus.Desc
}

func newEmailCollector(ch *email.Channel) *emailCollector {
	l := []string{"mailbox"}
	return &emailCollector{
		ch:        ch,
		connected: prometheus.NewDesc("frontdesk_email_mailbox_connected", "1 while the IMAP session of the mailbox is up.", l, nil),
		lastSync:  prometheus.NewDesc("frontdesk_email_mailbox_last_sync_timestamp_seconds", "When the mailbox was last fully caught up (Unix time; 0 never).", l, nil),
		imported:  prometheus.NewDesc("frontdesk_email_mailbox_imported_total", "Messages handed to the inbox since start (duplicates included).", l, nil),
		failed:    prometheus.NewDesc("frontdesk_email_mailbox_failures_total", "Connection, login, fetch and ingest failures since start.", l, nil),
		reconns:   prometheus.NewDesc("frontdesk_email_mailbox_reconnects_total", "New IMAP sessions after the first, since start.", l, nil),
	}
}

func (c *emailCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.connected, c.lastSync, c.imported, c.failed, c.reconns} {
		ch <- d
	}
}

func (c *emailCollector) Collect(ch chan<- prometheus.Metric) {
	list, err := c.ch.MailboxStates(context.Background())
	if err != nil {
		return
	}
	for _, s := range list {
		up, sync := 0.0, 0.0
		if s.Connected {
			up = 1
		}
		if s.LastSync != nil {
			sync = float64(s.LastSync.UnixMilli()) / 1000
		}
		ch <- prometheus.MustNewConstMetric(c.connected, prometheus.GaugeValue, up, s.Name)
		ch <- prometheus.MustNewConstMetric(c.lastSync, prometheus.GaugeValue, sync, s.Name)
		ch <- prometheus.MustNewConstMetric(c.imported, prometheus.CounterValue, float64(s.Imported), s.Name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(s.Failures), s.Name)
		ch <- prometheus.MustNewConstMetric(c.reconns, prometheus.CounterValue, float64(s.Reconnects), s.Name)
	}
}
