package email

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/frontdeskhq/frontdesk/channels"
)

// testCert makes a self-signed certificate for 127.0.0.1, its PEM files and a pool
// trusting it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool, string, string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	c, _ := x509.ParseCertificate(der)
	pool.AddCert(c)
	return cert, pool, certFile, keyFile
}

// TestIMAPOverTLSAndStartTLS imports over implicit TLS with AUTHENTICATE PLAIN and over
// STARTTLS with LOGIN; the server refuses to authenticate before TLS.
func TestIMAPOverTLSAndStartTLS(t *testing.T) {
	cert, pool, _, _ := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, mode := range []struct{ tls, auth string }{{TLSImplicit, "plain"}, {TLSStartTLS, "login"}} {
		t.Run(mode.tls, func(t *testing.T) {
			user := imapmemserver.NewUser(imapUser, imapPassword)
			user.Create("INBOX", nil)
			mem := imapmemserver.New()
			mem.AddUser(user)
			srv := imapserver.New(&imapserver.Options{
				NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
					return mem.NewSession(), nil, nil
				},
				Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}},
				TLSConfig: serverTLS,
				Logger:    log.New(io.Discard, "", 0),
			})
			var ln net.Listener
			var err error
			if mode.tls == TLSImplicit {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", serverTLS)
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			raw := rawMail([]string{"From: marie@example.fr", "Message-ID: <tls-" + mode.tls + "@example.fr>", "Subject: tls"}, "chiffré")
			user.Append("INBOX", literal{bytes.NewReader(raw)}, &imap.AppendOptions{Time: time.Now()})

			_, port, _ := net.SplitHostPort(ln.Addr().String())
			p, _ := strconv.Atoi(port)
			h := newHub(t)
			cfg := baseConfig()
			cfg.Mailboxes = []MailboxConfig{{Name: "accueil", Host: "127.0.0.1", Port: p, TLS: mode.tls, Auth: mode.auth, Username: imapUser, Password: imapPassword}}
			c := newTestChannel(t, cfg, h.svc, WithTLSConfig(&tls.Config{RootCAs: pool}))
			runPoller(t, c)
			eventually(t, 10*time.Second, "message imported over "+mode.tls, func() bool { return len(h.externalIDs(t)) == 1 })
		})
	}
}

// authBackend is a go-smtp backend that requires AUTH PLAIN before MAIL.
type authBackend struct{ capture }

func (b *authBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &authSession{captureSession: captureSession{c: &b.capture}}, nil
}

type authSession struct {
	captureSession
	ok bool
}

func (s *authSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *authSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "accueil" || pass != "smtp-secret" {
			return smtp.ErrAuthFailed // 535, as real servers answer
		}
		s.ok = true
		return nil
	}), nil
}
func (s *authSession) Mail(from string, o *smtp.MailOptions) error {
	if !s.ok {
		return smtp.ErrAuthRequired
	}
	return s.captureSession.Mail(from, o)
}

// TestSendOverTLS sends through STARTTLS and implicit TLS with AUTH PLAIN; wrong
// credentials are a permanent failure.
func TestSendOverTLS(t *testing.T) {
	cert, pool, _, _ := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			be := &authBackend{}
			srv := smtp.NewServer(be)
			srv.Domain, srv.TLSConfig, srv.ErrorLog = "mx.test", serverTLS, nullLogger{}
			var ln net.Listener
			var err error
			if mode == TLSImplicit {
				ln, err = tls.Listen("tcp", "127.0.0.1:0", serverTLS)
			} else {
				ln, err = net.Listen("tcp", "127.0.0.1:0")
			}
			if err != nil {
				t.Fatal(err)
			}
			go srv.Serve(ln)
			defer srv.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			p, _ := strconv.Atoi(port)
			send := func(password string) error {
				cfg := baseConfig()
				cfg.SMTPOut.Host, cfg.SMTPOut.Port, cfg.SMTPOut.TLS = "127.0.0.1", p, mode
				cfg.SMTPOut.Username, cfg.SMTPOut.Password = "accueil", password
				s := newTestChannel(t, cfg, newMemInbox(), WithTLSConfig(&tls.Config{RootCAs: pool})).Sender()
				_, err := s.Send(context.Background(), channels.Outbound{MessageID: 1, ConversationID: 1, Subject: "Re: x", Text: "ok",
					To: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}})
				return err
			}
			if err := send("smtp-secret"); err != nil {
				t.Fatalf("Send() over %s = %v", mode, err)
			}
			if len(be.last().raw) == 0 {
				t.Fatal("nothing delivered")
			}
			if err := send("wrong"); err == nil || !channels.IsPermanent(err) {
				t.Fatalf("Send(bad password) = %v, want a permanent failure", err)
			}
		})
	}
}

// TestSMTPServerStartTLS receives over STARTTLS with the configured certificate.
func TestSMTPServerStartTLS(t *testing.T) {
	_, pool, certFile, keyFile := testCert(t)
	h := newHub(t)
	addr := startSMTP(t, h.svc, func(c *Config) { c.SMTPServer.TLSCert, c.SMTPServer.TLSKey = certFile, keyFile })
	c, err := smtp.DialStartTLS(addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("STARTTLS: %v", err)
	}
	defer c.Close()
	if err := c.SendMail("marie@example.fr", []string{"accueil@mairie.example"}, bytes.NewReader(rawMail([]string{"From: marie@example.fr", "Message-ID: <starttls@example.fr>", "Subject: s"}, "secret"))); err != nil {
		t.Fatal(err)
	}
	if h.externalIDs(t)["<starttls@example.fr>"] != 1 {
		t.Fatal("message received over STARTTLS not stored")
	}
}
