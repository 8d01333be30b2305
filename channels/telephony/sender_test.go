package telephony_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
)

func newSender(t *testing.T, api string, edit ...func(*telephony.Config)) *telephony.Sender {
	t.Helper()
	cfg := telephony.Config{Enabled: true, AccountSID: accountID, AuthToken: token, APIURL: api, SMSFrom: "+33140000099"}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := telephony.NewSender(cfg, publicURL, nil, quiet())
	if err != nil {
		t.Fatalf("NewSender() = %v", err)
	}
	return s
}

func sms(id int64, text string) channels.Outbound {
	return channels.Outbound{MessageID: id, Channel: channels.SMS, Account: ourNumber, ThreadKey: caller,
		To: channels.Identity{Kind: channels.KindPhone, Value: caller}, Text: text}
}

func TestSenderSends(t *testing.T) {
	api := newRESTServer(t)
	s := newSender(t, api.URL)
	sid, err := s.Send(context.Background(), sms(7, "  Bonjour, nous vous rappelons demain.  "))
	if err != nil || !strings.HasPrefix(sid, "SM") {
		t.Fatalf("Send() = %q, %v", sid, err)
	}
	reqs := api.sent()
	if len(reqs) != 1 {
		t.Fatalf("REST requests = %d, want 1", len(reqs))
	}
	r := reqs[0]
	if r.path != "/2010-04-01/Accounts/"+accountID+"/Messages.json" || r.user != accountID || r.pass != token ||
		r.form.Get("To") != caller || r.form.Get("From") != ourNumber || r.form.Get("Body") != "Bonjour, nous vous rappelons demain." ||
		r.form.Get("StatusCallback") != publicURL+"/hooks/telephony/sms/status?message_id=7" {
		t.Fatalf("REST request = %+v", r)
	}
	// The same message again: remembered, not sent twice.
	again, err := s.Send(context.Background(), sms(7, "Bonjour"))
	if err != nil || again != sid || len(api.sent()) != 1 {
		t.Fatalf("Send(same message) = %q, %v with %d requests; want %q and no new request", again, err, len(api.sent()), sid)
	}
	// No account on the conversation: the configured number; a call conversation marks
	// its status callback.
	out := sms(8, "Suite à votre appel")
	out.Account, out.Channel = "", channels.Telephony
	if _, err := s.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	r = api.sent()[1]
	if r.form.Get("From") != "+33140000099" || !strings.HasSuffix(r.form.Get("StatusCallback"), "?channel=telephony&message_id=8") {
		t.Fatalf("REST request without account = %+v", r)
	}
	ms := newSender(t, api.URL, func(c *telephony.Config) { c.SMSFrom, c.MessagingServiceSID = "", "MG123" })
	out.MessageID = 9
	if _, err := ms.Send(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if r = api.sent()[2]; r.form.Get("MessagingServiceSid") != "MG123" || r.form.Get("From") != "" {
		t.Fatalf("REST request with a messaging service = %+v", r)
	}
}

func TestSenderErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		permanent bool
	}{
		{"server error", 500, false},
		{"unavailable", 503, false},
		{"rate limited", 429, false},
		{"network error", -1, false},
		{"bad number", 400, true},
		{"unauthorized", 401, true},
		{"not found", 404, true},
	}
	for _, tt := range tests {
		api := newRESTServer(t, tt.status)
		_, err := newSender(t, api.URL).Send(context.Background(), sms(1, "x"))
		if err == nil || channels.IsPermanent(err) != tt.permanent {
			t.Errorf("%s: Send() = %v, want an error with permanent=%v", tt.name, err, tt.permanent)
		}
		if tt.status == 400 && !strings.Contains(err.Error(), "21211") {
			t.Errorf("%s: Send() = %v, want the provider's error code", tt.name, err)
		}
	}
	api := newRESTServer(t)
	s := newSender(t, api.URL)
	bad := map[string]channels.Outbound{
		"email recipient": {MessageID: 2, To: channels.Identity{Kind: channels.KindEmail, Value: "a@b.fr"}, Text: "x"},
		"not a number":    {MessageID: 3, To: channels.Identity{Kind: channels.KindPhone, Value: "ORANGE"}, Text: "x"},
		"empty":           sms(4, "   "),
		"too long":        sms(5, strings.Repeat("é", telephony.MaxSMSLength+1)),
		"with a file": func() channels.Outbound {
			o := sms(7, "Voici le formulaire")
			o.Attachments = []channels.Attachment{{Filename: "cerfa.pdf", Data: []byte("%PDF")}}
			return o
		}(),
	}
	for name, out := range bad {
		if _, err := s.Send(context.Background(), out); !channels.IsPermanent(err) {
			t.Errorf("%s: Send() = %v, want a permanent error", name, err)
		}
	}
	noFrom := newSender(t, api.URL, func(c *telephony.Config) { c.SMSFrom = "" })
	out := sms(6, "x")
	out.Account = ""
	if _, err := noFrom.Send(context.Background(), out); !channels.IsPermanent(err) || !strings.Contains(err.Error(), "sms_from") {
		t.Errorf("Send(no number to send from) = %v, want a permanent error naming sms_from", err)
	}
	if len(api.sent()) != 0 {
		t.Fatalf("refused messages reached the provider: %v", api.sent())
	}
	if _, err := telephony.NewSender(telephony.Config{AuthToken: token}, publicURL, http.DefaultClient, quiet()); err == nil {
		t.Fatal("NewSender(no account sid) = nil error")
	}
}
