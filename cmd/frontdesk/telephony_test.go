package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels/telephony"
)

func TestTelephonyConfigFromEnvironment(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(path, []byte("telephony:\n  enabled: true\n  account_sid: AC1\n"), 0o600)
	if _, err := loadConfig(path, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "telephony.auth_token") {
		t.Fatalf("loadConfig(telephony without token) = %v, want an error naming telephony.auth_token", err)
	}
	env := map[string]string{"FRONTDESK_TELEPHONY_AUTH_TOKEN": "s3cret-token", "FRONTDESK_TELEPHONY_PBX_SECRET": "a-long-pbx-s3cret"}
	c, err := loadConfig(path, func(k string) string { return env[k] })
	if err != nil || c.Telephony.AuthToken != "s3cret-token" || c.Telephony.PBX.Secret != "a-long-pbx-s3cret" || c.PhoneMessages.OverdueCheck != time.Minute {
		t.Fatalf("loadConfig() = %+v, %v", c.Telephony, err)
	}
	code, out, _ := cli(t, env, "check-config", "--config", path)
	if code != 0 || strings.Contains(out, "s3cret") || !strings.Contains(out, "auth_token: '****'") {
		t.Fatalf("check-config = %d\n%s\nwant the telephony secrets masked", code, out)
	}
}

// TestServeWiresTelephony runs the hub with telephony on: a signed SMS webhook lands in
// the inbox, an unsigned one is refused, an agent's reply goes out through the REST API
// (a local server) and a phone message can be taken.
func TestServeWiresTelephony(t *testing.T) {
	var mu sync.Mutex
	var sms []url.Values
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(raw))
		mu.Lock()
		sms = append(sms, form)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		fmt.Fprint(w, `{"sid":"SM42"}`)
	}))
	defer api.Close()
	bin := buildBinary(t)
	data := t.TempDir()
	pw := map[string]string{"FRONTDESK_PASSWORD": "integration-secret"}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "lea@x.fr", "--name", "Léa", "--role", "supervisor"); code != 0 {
		t.Fatalf("user add: %s", errs)
	}
	_, out, _ := cli(t, nil, "token", "create", "--data", data, "--email", "lea@x.fr")
	token := strings.TrimSpace(out)
	addr := freeAddr(t)
	public := "http://" + addr
	cfg := filepath.Join(t.TempDir(), "frontdesk.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("telephony:\n  enabled: true\n  account_sid: AC1\n  api_url: %s\n  sms_from: \"+33140000000\"\n", api.URL)), 0o600)
	startHub(t, bin, data, addr, []string{"FRONTDESK_TELEPHONY_AUTH_TOKEN=tok", "FRONTDESK_PUBLIC_URL=" + public}, "--config", cfg)

	form := url.Values{"MessageSid": {"SM1"}, "From": {"+33612345678"}, "To": {"+33140000000"}, "Body": {"Bonjour"}}
	send := func(sig string) int {
		req, _ := http.NewRequest("POST", public+"/hooks/telephony/sms", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if sig != "" {
			req.Header.Set("X-Twilio-Signature", sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := send(""); got != http.StatusForbidden {
		t.Fatalf("unsigned SMS webhook = %d, want 403", got)
	}
	if got := send(telephony.Signature("tok", public+"/hooks/telephony/sms", form)); got != http.StatusOK {
		t.Fatalf("signed SMS webhook = %d, want 200", got)
	}
	api2 := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, public+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s %s = %d %v", method, path, resp.StatusCode, v)
		}
		return v
	}
	list := api2("GET", "/api/v1/conversations?channel=sms", "")
	convs := list["conversations"].([]any)
	if len(convs) != 1 {
		t.Fatalf("SMS conversations = %v", list)
	}
	id := int64(convs[0].(map[string]any)["id"].(float64))
	api2("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", id), `{"text":"Bien reçu, merci."}`)
	// The router may have sent an automatic reply first (outside office hours): look
	// for the agent's among what the provider received.
	deadline := time.Now().Add(20 * time.Second)
	var got url.Values
	for got == nil {
		mu.Lock()
		for _, m := range sms {
			if m.Get("Body") == "Bien reçu, merci." {
				got = m
			}
		}
		mu.Unlock()
		if got == nil && time.Now().After(deadline) {
			t.Fatalf("the reply never reached the REST API; it got %v", sms)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.Get("To") != "+33612345678" || got.Get("From") != "+33140000000" {
		t.Fatalf("REST API got %v", got)
	}
	users := api2("POST", "/api/v1/phone-messages", `{"caller_name":"M. Roux","recipient_user_id":1,"subject":"Rappel"}`)
	if users["status"] != "new" {
		t.Fatalf("POST /api/v1/phone-messages = %v", users)
	}
}
