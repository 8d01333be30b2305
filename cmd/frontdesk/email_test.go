package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
)

// mailCapture is an SMTP server keeping what the hub sends.
type mailCapture struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (c *mailCapture) NewSession(*smtp.Conn) (smtp.Session, error) { return &captureSess{c: c}, nil }

func (c *mailCapture) wait(t *testing.T, n int) []byte {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		if len(c.msgs) >= n {
			m := c.msgs[n-1]
			c.mu.Unlock()
			return m
		}
		c.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the hub sent fewer than %d messages", n)
	return nil
}

type captureSess struct{ c *mailCapture }

func (s *captureSess) Reset()                               {}
func (s *captureSess) Logout() error                        { return nil }
func (s *captureSess) Mail(string, *smtp.MailOptions) error { return nil }
func (s *captureSess) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *captureSess) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	s.c.mu.Lock()
	s.c.msgs = append(s.c.msgs, raw)
	s.c.mu.Unlock()
	return err
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestServeEmailEndToEnd runs the hub with the email channel: mail delivered to its
// SMTP server is acknowledged and answered through the outbound worker and the SMTP
// sender, with threading headers; admins see the mailbox states.
func TestServeEmailEndToEnd(t *testing.T) {
	capture := &mailCapture{}
	out := smtp.NewServer(capture)
	out.Domain = "relay.test"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go out.Serve(ln)
	defer out.Close()
	_, outPort, _ := net.SplitHostPort(ln.Addr().String())

	data := t.TempDir()
	smtpAddr, httpAddr := freeAddr(t), freeAddr(t)
	cfgPath := filepath.Join(data, "frontdesk.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`email:
  smtp_server:
    addr: %s
    recipients: [accueil@mairie.example]
    team: accueil
  smtp_out:
    host: 127.0.0.1
    port: %s
    tls: none
    from: accueil@mairie.example
    from_name: Mairie
    plus_addressing: true
  auto_ack:
    enabled: true
`, smtpAddr, outPort)), 0o600)
	pw := map[string]string{"FRONTDESK_PASSWORD": "un-mot-de-passe"}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "sup@mairie.example", "--name", "Sup", "--role", "supervisor", "--team", "accueil"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, tok, _ := cli(t, nil, "token", "create", "--data", data, "--email", "sup@mairie.example")
	token := strings.TrimSpace(tok)

	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" },
		isTerminal: func() bool { return false }, readPassword: func() (string, error) { return "", nil }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, e, []string{"serve", "--config", cfgPath, "--data", data, "--addr", httpAddr})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, stderr.String())
		}
	}()
	api := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, "http://"+httpAddr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	deadline := time.Now().Add(15 * time.Second)
	for code, _ := api("GET", "/api/v1/admin/mailboxes", ""); code != 200; code, _ = api("GET", "/api/v1/admin/mailboxes", "") {
		if time.Now().After(deadline) {
			t.Fatalf("hub not up: %s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	msg := "From: Marie <marie@example.fr>\r\nTo: accueil@mairie.example\r\nSubject: Carte d'identité\r\nMessage-ID: <cni-1@example.fr>\r\n\r\nBonjour, quels documents faut-il ?\r\n"
	if err := deliver(smtpAddr, msg); err != nil {
		t.Fatalf("delivering to the hub: %v", err)
	}
	p := mailparse.New(mailparse.Limits{})
	ack := p.Parse(capture.wait(t, 1))
	if ack.Header.Get("Auto-Submitted") != "auto-replied" || strings.Join(ack.InReplyTo, "") != "<cni-1@example.fr>" || ack.To[0].Addr != "marie@example.fr" || !strings.Contains(ack.Text, "bien reçu") {
		t.Fatalf("acknowledgement = %+v", ack)
	}
	code, list := api("GET", "/api/v1/conversations?channel=email", "")
	convs, _ := list["conversations"].([]any)
	if code != 200 || len(convs) != 1 {
		t.Fatalf("conversations = %d %v", code, list)
	}
	id := int64(convs[0].(map[string]any)["id"].(float64))
	if team := convs[0].(map[string]any)["team_id"]; team == nil {
		t.Errorf("conversation has no team; want accueil (smtp_server.team)")
	}
	if code, _ := api("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", id), `{"text":"Il faut une photo et un justificatif de domicile."}`); code != 201 {
		t.Fatalf("reply = %d", code)
	}
	reply := p.Parse(capture.wait(t, 2))
	if reply.Subject != "Re: Carte d'identité" || reply.Header.Get("Auto-Submitted") != "" || !strings.Contains(strings.Join(reply.References, " "), "<cni-1@example.fr>") ||
		!strings.Contains(reply.ReplyTo[0].Addr, "accueil+fd-c") || !strings.HasPrefix(reply.MessageID, "<fd.c") {
		t.Fatalf("reply = %+v", reply)
	}
	// The contact answers the reply: same conversation.
	answer := "From: marie@example.fr\r\nTo: accueil@mairie.example\r\nSubject: Re: Re: Carte\r\nMessage-ID: <cni-2@example.fr>\r\nIn-Reply-To: " + reply.MessageID + "\r\n\r\nMerci !\r\n"
	if err := deliver(smtpAddr, answer); err != nil {
		t.Fatal(err)
	}
	code, detail := api("GET", fmt.Sprintf("/api/v1/conversations/%d", id), "")
	msgs, _ := detail["messages"].([]any)
	if code != 200 || len(msgs) != 4 {
		t.Fatalf("conversation after the answer: %d, %d messages; want 4 (in, ack, reply, in)", code, len(msgs))
	}
	resp, err := http.Get("http://" + httpAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `frontdesk_ingest_total{channel="email",result="stored"} 2`) {
		t.Errorf("metrics lack the email ingests:\n%s", metrics)
	}
}

// deliver sends msg to the hub's SMTP server, in plain text as a local relay would.
func deliver(addr, msg string) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SendMail("marie@example.fr", []string{"accueil@mairie.example"}, strings.NewReader(msg)); err != nil {
		return err
	}
	return c.Quit()
}

func TestEmailConfigAndSecrets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("email:\n  mailboxes:\n    - name: accueil\n      host: imap.example\n      username: u\n      password_env: IMAP_PW\n  smtp_out:\n    host: smtp.example\n    from: accueil@mairie.example\n"), 0o600)
	env := map[string]string{"IMAP_PW": "imap-secret", "FRONTDESK_SMTP_PASSWORD": "smtp-secret", "FRONTDESK_EMAIL_TOKEN_SECRET": "token-secret-of-at-least-16"}
	c, err := loadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Email.Mailboxes[0].Password != "imap-secret" || c.Email.SMTPOut.Password != "smtp-secret" || c.Email.TokenSecret != env["FRONTDESK_EMAIL_TOKEN_SECRET"] {
		t.Fatalf("secrets not read from the environment: %+v", c.Email)
	}
	code, out, _ := cli(t, env, "check-config", "--config", path)
	for _, s := range []string{"imap-secret", "smtp-secret", "token-secret-of-at-least-16"} {
		if code != 0 || strings.Contains(out, s) {
			t.Fatalf("check-config = %d, prints a secret:\n%s", code, out)
		}
	}
	for yaml, want := range map[string]string{
		"email:\n  smtp_server:\n    addr: 127.0.0.1:2525\n":           "never relay",
		"email:\n  mailboxes:\n    - name: a\n      host: h\n":         "username: required",
		"email:\n  smtp_out:\n    host: h\n    from: \"A <a@b.fr>\"\n": "bare address",
		"email:\n  mailboxes:\n    - name: a\n      hots: h\n":         `unknown key "hots"`,
		"email:\n  auto_ack:\n    enabled: true\n":                     "needs smtp_out",
	} {
		os.WriteFile(path, []byte(yaml), 0o600)
		if _, err := loadConfig(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("loadConfig(%q) = %v, want an error mentioning %q", yaml, err, want)
		}
	}
}

func TestTokenSecretIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), tokenSecretFile)
	a, err := loadOrCreateSecret(path)
	if err != nil || len(a) != 64 {
		t.Fatalf("loadOrCreateSecret(new) = %q, %v", a, err)
	}
	b, err := loadOrCreateSecret(path)
	if err != nil || string(a) != string(b) {
		t.Fatalf("second loadOrCreateSecret() = %q, %v; want the same secret", b, err)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, want 0600", st.Mode().Perm())
	}
}
