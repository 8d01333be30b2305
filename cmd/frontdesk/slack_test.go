package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels/slack"
)

// slackAPI is a minimal Slack Web API (users.info, chat.postMessage) recording posts.
type slackAPI struct {
	mu    sync.Mutex
	posts []map[string]string
}

func (s *slackAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/api/users.info":
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"real_name":"Marie Dupont","profile":{"real_name":"Marie Dupont"}}}`, r.Form.Get("user"))
	case "/api/users.lookupByEmail":
		if r.Form.Get("email") != "camille@mairie.fr" {
			fmt.Fprint(w, `{"ok":false,"error":"users_not_found"}`)
			return
		}
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U0CAMILLE","real_name":"Camille","profile":{"email":"camille@mairie.fr"}}}`)
	case "/api/conversations.open":
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D%s"}}`, r.Form.Get("users"))
	case "/api/chat.postMessage":
		s.mu.Lock()
		s.posts = append(s.posts, map[string]string{"channel": r.Form.Get("channel"), "thread_ts": r.Form.Get("thread_ts"), "text": r.Form.Get("text")})
		n := len(s.posts)
		s.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"channel":%q,"ts":"%d.000100"}`, r.Form.Get("channel"), 2000+n)
	default:
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (s *slackAPI) postsTo(channel string) []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]string
	for _, p := range s.posts {
		if p["channel"] == channel {
			out = append(out, p)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeWithSlack runs the hub in-process with two workspaces (customer, agent
// surface): a signed DM event becomes a conversation, the agent's reply through the
// API reaches the DM, and the conversation is mirrored into the agent workspace.
func TestServeWithSlack(t *testing.T) {
	api := &slackAPI{}
	srv := httptest.NewServer(api)
	defer srv.Close()
	data := t.TempDir()
	cfgPath := filepath.Join(data, "frontdesk.yaml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf(`
slack:
  api_url: %s/api/
  workspaces:
    - team_id: T0001
      mode: customer
      bot_token_env: CUSTOMER_TOKEN
    - team_id: T0002
      mode: agent
      mirror_channel: CMIRROR
`, srv.URL)), 0o600)
	envv := map[string]string{"FRONTDESK_SLACK_SIGNING_SECRET": "s3cret", "FRONTDESK_SLACK_BOT_TOKEN": "xoxb-default", "CUSTOMER_TOKEN": "xoxb-customer", "FRONTDESK_PASSWORD": "un-mot-de-passe"}
	if code, _, errs := cli(t, envv, "user", "add", "--data", data, "--config", cfgPath, "--email", "camille@mairie.fr", "--name", "Camille", "--role", "agent", "--team", "accueil"); code != 0 {
		t.Fatalf("user add = %d %s", code, errs)
	}
	code, token, errs := cli(t, envv, "token", "create", "--data", data, "--config", cfgPath, "--email", "camille@mairie.fr")
	if code != 0 {
		t.Fatalf("token create = %d %s", code, errs)
	}
	token = strings.TrimSpace(token)
	code, masked, _ := cli(t, envv, "check-config", "--config", cfgPath)
	if code != 0 || strings.Contains(masked, "s3cret") || strings.Contains(masked, "xoxb-") {
		t.Fatalf("check-config = %d, secrets not masked:\n%s", code, masked)
	}

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &logs, getenv: func(k string) string { return envv[k] },
		isTerminal: func() bool { return false }, readPassword: func() (string, error) { return "", nil }}
	done := make(chan int)
	go func() { done <- run(ctx, e, []string{"serve", "--config", cfgPath, "--data", data, "--addr", addr}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d", code)
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	}()
	waitFor(t, "the hub to be ready", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})

	body := `{"type":"event_callback","team_id":"T0001","event_id":"Ev1","event":{"type":"message","channel":"D0001","channel_type":"im","user":"U1","text":"Bonjour","ts":"1700000000.000100"}}`
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest("POST", "http://"+addr+"/hooks/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(slack.HeaderTimestamp, ts)
	req.Header.Set(slack.HeaderSignature, slack.Sign("s3cret", ts, []byte(body)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /hooks/slack/events = %v, %v", resp, err)
	}
	resp.Body.Close()

	apiGet := func(path string, v any) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		json.NewDecoder(resp.Body).Decode(v)
	}
	var list struct {
		Conversations []struct {
			ID      int64  `json:"id"`
			Channel string `json:"channel"`
		} `json:"conversations"`
	}
	waitFor(t, "the Slack conversation", func() bool {
		apiGet("/api/v1/conversations?channel=slack", &list)
		return len(list.Conversations) == 1
	})
	id := list.Conversations[0].ID
	req, _ = http.NewRequest("POST", fmt.Sprintf("http://%s/api/v1/conversations/%d/messages", addr, id), strings.NewReader(`{"text":"Bonjour Marie"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("reply = %v, %v", resp, err)
	}
	waitFor(t, "the reply in the DM", func() bool {
		for _, p := range api.postsTo("D0001") {
			if p["text"] == "Bonjour Marie" {
				return true
			}
		}
		return false
	})
	waitFor(t, "the mirror thread with both messages", func() bool { return len(api.postsTo("CMIRROR")) >= 3 })

	// A phone message for Camille reaches her as a Slack direct message on the staff
	// workspace.
	var me struct {
		ID int64 `json:"id"`
	}
	apiGet("/api/v1/me", &me)
	req, _ = http.NewRequest("POST", "http://"+addr+"/api/v1/phone-messages", strings.NewReader(fmt.Sprintf(
		`{"caller_name":"Mme Dupont","phone":"06 12 34 56 78","recipient_user_id":%d,"subject":"Dossier de subvention","text":"Rappeler avant 17 h","urgency":"urgent"}`, me.ID)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 201 {
		t.Fatalf("phone message = %v, %v", resp, err)
	}
	waitFor(t, "the direct message to Camille", func() bool {
		for _, p := range api.postsTo("DU0CAMILLE") {
			if strings.Contains(p["text"], "Dossier de subvention") && strings.Contains(p["text"], "Mme Dupont") {
				return true
			}
		}
		return false
	})
}
