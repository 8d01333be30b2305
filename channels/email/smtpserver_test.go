package email

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
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
		"oversize_declared": 552, "oversize_data": 552, "bare_lf": 554, "too_many_recipients": 452,
		"long_line":          250, // 3,000 bytes: within limits.max_line_length
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
	for _, id := range []string{"<ok@example.fr>", "<plus@example.fr>", "<domain@example.fr>", "<null@example.fr>", "<longline@example.fr>"} {
		if !stored[id] {
			t.Errorf("accepted message %s not stored", id)
		}
	}
	for _, id := range []string{"<relay@example.fr>", "<big1@example.fr>", "<big2@example.fr>", "<lf@example.fr>", "<many@example.fr>"} {
		if stored[id] {
			t.Errorf("refused message %s was stored", id)
		}
	}
}

// TestSMTPServerLineLimitFollowsConfig: a line may be as long as
// limits.max_line_length (64 KiB by default), not go-smtp's 2,000 bytes: a 3,000-byte
// line is stored whole; a line over a configured limit is refused with 500 5.5.2.
func TestSMTPServerLineLimitFollowsConfig(t *testing.T) {
	for _, tt := range []struct {
		name       string
		configured int
		want       int
	}{
		{"default", 0, 64<<10 + 2},
		{"configured", 5000, 5002},
	} {
		cfg := baseConfig()
		cfg.SMTPServer = SMTPServerConfig{Addr: "127.0.0.1:0", Recipients: []string{"accueil@mairie.example"}}
		cfg.Limits.MaxLineLength = tt.configured
		srv, err := newTestChannel(t, cfg, newHub(t).svc).SMTPServer()
		if err != nil {
			t.Fatal(err)
		}
		if got := srv.srv.MaxLineLength; got != tt.want {
			t.Errorf("%s: max_line_length %d: SMTP line limit %d, want %d (the limit plus CRLF)", tt.name, tt.configured, got, tt.want)
		}
	}

	// A real client (go-smtp's) against limits.max_line_length: 5000, lower than
	// max_message_bytes so that a line over it can be sent at all.
	h := newHub(t)
	addr := startSMTP(t, h.svc, func(c *Config) { c.Limits.MaxLineLength = 5000 })
	send := func(id string, lineLen int) error {
		raw := rawMail([]string{"From: marie@example.fr", "To: accueil@mairie.example", "Subject: ligne", "Message-ID: <" + id + "@example.fr>"},
			strings.Repeat("z", lineLen))
		c, err := smtp.Dial(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		return c.SendMail("marie@example.fr", []string{"accueil@mairie.example"}, bytes.NewReader(raw))
	}
	tests := []struct {
		id      string
		lineLen int
		code    int // 0: accepted
	}{
		{"line3000", 3000, 0},
		{"line5000", 5000, 0},
		{"line5001", 5001, 500},
	}
	for _, tt := range tests {
		err := send(tt.id, tt.lineLen)
		var se *smtp.SMTPError
		switch {
		case tt.code == 0 && err != nil:
			t.Errorf("SendMail(line of %d bytes) = %v, want accepted", tt.lineLen, err)
		case tt.code != 0 && (!errors.As(err, &se) || se.Code != tt.code || !strings.Contains(se.Message, "line too long")):
			t.Errorf("SendMail(line of %d bytes) = %v, want %d line too long", tt.lineLen, err, tt.code)
		}
	}
	stored := map[string]string{}
	for _, c := range h.all(t) {
		for _, m := range h.conversation(t, c.ID).Messages {
			stored[m.ExternalID] = m.Text
		}
	}
	for _, tt := range tests {
		text, ok := stored[msgID(tt.id)]
		switch {
		case tt.code == 0 && !strings.Contains(text, strings.Repeat("z", tt.lineLen)):
			t.Errorf("line of %d bytes: stored %v, text of %d bytes; want the line whole", tt.lineLen, ok, len(text))
		case tt.code != 0 && ok:
			t.Errorf("line of %d bytes: refused but stored", tt.lineLen)
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
