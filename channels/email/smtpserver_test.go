package email

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// startSMTP serves an SMTP server for in on a free port and returns its address.
func startSMTP(t testing.TB, in Inbox, mutate func(*Config)) string {
	t.Helper()
	cfg := baseConfig()
	cfg.SMTPServer = SMTPServerConfig{Addr: "127.0.0.1:0", Recipients: []string{"accueil@mairie.example"},
		Domains: []string{"ville.example"}, MaxMessageBytes: 20000, MaxRecipients: 3, Team: "accueil"}
	if mutate != nil {
		mutate(&cfg)
	}
	c := newTestChannel(t, cfg, in)
	srv, err := c.SMTPServer()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve() = %v", err)
		}
	})
	return ln.Addr().String()
}

type smtpResult struct {
	Case string `json:"case"`
	Code int    `json:"code"`
	Text string `json:"text"`
}

// python runs testdata/smtp_client.py against addr.
func python(t *testing.T, addr string, maxBytes int) map[string]smtpResult {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to test the SMTP server with a real client: apt-get install python3")
	}
	host, port, _ := net.SplitHostPort(addr)
	out, err := exec.Command(py, "testdata/smtp_client.py", host, port, strconv.Itoa(maxBytes)).CombinedOutput()
	if err != nil {
		t.Fatalf("smtp_client.py: %v\n%s", err, out)
	}
	res := map[string]smtpResult{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		var r smtpResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("smtp_client.py printed %q", sc.Text())
		}
		res[r.Case] = r
	}
	return res
}

func TestSMTPServerWithPythonClient(t *testing.T) {
	h := newHub(t)
	if _, err := h.svc.EnsureTeam(context.Background(), "accueil", "Accueil"); err != nil {
		t.Fatal(err)
	}
	addr := startSMTP(t, h.svc, nil)
	res := python(t, addr, 20000)
	want := map[string]int{
		"ok": 250, "plus_address": 250, "domain": 250, "unknown_recipient": 550,
		"oversize_declared": 552, "oversize_data": 552, "bare_lf": 554, "too_many_recipients": 452, "long_line": 500,
		"bounce_null_sender": 250,
	}
	for c, code := range want {
		if r, ok := res[c]; !ok || r.Code != code {
			t.Errorf("case %s: answered %d %q, want %d", c, r.Code, r.Text, code)
		}
	}
	stored := map[string]bool{}
	for _, c := range h.all(t) {
		d := h.conversation(t, c.ID)
		for _, m := range d.Messages {
			stored[m.ExternalID] = true
			if m.ExternalID == "<null@example.fr>" && !m.AutoSubmitted {
				t.Error("a message with a null return path was not flagged automatic")
			}
		}
		if c.Account != "accueil@mairie.example" && c.Account != "urbanisme@ville.example" {
			t.Errorf("conversation %d account %q; want the recipient without its plus tag", c.ID, c.Account)
		}
		if c.TeamID == 0 {
			t.Errorf("conversation %d has no team; want the smtp_server team", c.ID)
		}
	}
	for _, id := range []string{"<ok@example.fr>", "<plus@example.fr>", "<domain@example.fr>", "<null@example.fr>"} {
		if !stored[id] {
			t.Errorf("accepted message %s not stored", id)
		}
	}
	for _, id := range []string{"<relay@example.fr>", "<big1@example.fr>", "<big2@example.fr>", "<lf@example.fr>", "<many@example.fr>", "<longline@example.fr>"} {
		if stored[id] {
			t.Errorf("refused message %s was stored", id)
		}
	}
}

func TestSMTPServerTemporaryFailureIs4xx(t *testing.T) {
	h := newHub(t)
	addr := startSMTP(t, &failingInbox{Inbox: h.svc, err: errors.New("database is locked")}, nil)
	res := python(t, addr, 20000)
	if r := res["ok"]; r.Code != 451 {
		t.Fatalf("store down: answered %d %q, want 451 so that the sender retries", r.Code, r.Text)
	}
	if len(h.all(t)) != 0 {
		t.Fatal("something was stored")
	}
}

func TestHasBareLineEnding(t *testing.T) {
	for in, want := range map[string]bool{
		"a\r\nb\r\n": false, "a\nb": true, "a\r\n.\n": true, "a\rb\r\n": true, "\n": true, "": false, "end\r": true,
	} {
		if got := hasBareLineEnding([]byte(in)); got != want {
			t.Errorf("hasBareLineEnding(%q) = %v, want %v", in, got, want)
		}
	}
}
