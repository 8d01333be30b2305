package telephony_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func (f *fixture) pbx(t *testing.T, body string, edit ...func(*http.Request)) reply {
	t.Helper()
	ts := strconv.FormatInt(f.clock.now().Unix(), 10)
	req, _ := http.NewRequest("POST", f.srv.URL+"/hooks/telephony/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Frontdesk-Timestamp", ts)
	req.Header.Set("X-Frontdesk-Signature", telephony.PBXSignature(pbxSecret, ts, []byte(body)))
	for _, e := range edit {
		e(req)
	}
	return do(t, req)
}

func TestPBXEvents(t *testing.T) {
	f := newFixture(t)
	missed := `{"id":"e1","type":"call.missed","call_id":"c1","from":"06 12 34 56 78","to":"01 40 00 00 00","reason":"busy","started_at":"2026-11-24T09:55:00+01:00"}`
	if r := f.pbx(t, missed); r.status != 201 {
		t.Fatalf("POST /events (missed) = %d %s", r.status, r.body)
	}
	if r := f.pbx(t, missed); r.status != 200 || !strings.Contains(r.body, `"duplicate":true`) {
		t.Fatalf("POST /events (replay) = %d %s, want 200 duplicate", r.status, r.body)
	}
	vm := `{"id":"e2","type":"voicemail","call_id":"c1","from":"+33612345678","to":"+33140000000","duration_seconds":75,"transcription":"Rappelez-moi","recording_url":"https://pbx.example/r/2"}`
	if r := f.pbx(t, vm); r.status != 201 {
		t.Fatalf("POST /events (voicemail) = %d %s", r.status, r.body)
	}
	answered := `{"id":"e3","type":"call.answered","call_id":"c2","from":"+33699999999","answered_by":"poste 12","duration_seconds":30}`
	if r := f.pbx(t, answered); r.status != 201 {
		t.Fatalf("POST /events (answered) = %d %s", r.status, r.body)
	}
	if r := f.pbx(t, `{"id":"e4","type":"sms.received","from":"+33612345678","to":"+33140000000","text":"Merci !"}`); r.status != 201 {
		t.Fatalf("POST /events (sms) = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	var task, answeredConv, smsConv *inbox.ConversationDetail
	for i := range convs {
		c := &convs[i]
		switch {
		case c.Channel == channels.SMS:
			smsConv = c
		case c.ThreadKey == caller:
			task = c
		default:
			answeredConv = c
		}
	}
	if task == nil || len(task.Messages) != 2 || !slices.Contains(task.Tags, inbox.TagCallback) || task.Account != ourNumber ||
		!strings.Contains(task.Messages[0].Text, "poste occupé") || !strings.Contains(task.Messages[0].Text, "24/11/2026 09:55") ||
		task.Messages[1].Text != "Message vocal (1 min 15 s).\nTranscription : « Rappelez-moi »\nEnregistrement : https://pbx.example/r/2" {
		t.Fatalf("PBX callback task = %+v", task)
	}
	if answeredConv == nil || answeredConv.Status != inbox.StatusResolved || !hasEvent(answeredConv.Events, inbox.EventCallAnswered) {
		t.Fatalf("PBX answered call = %+v", answeredConv)
	}
	if smsConv == nil || smsConv.Messages[0].Text != "Merci !" || smsConv.Messages[0].ExternalID != "pbx:e4" {
		t.Fatalf("PBX SMS = %+v", smsConv)
	}
}

func TestPBXRefusals(t *testing.T) {
	f := newFixture(t)
	good := `{"id":"e1","type":"sms.received","from":"+33612345678","text":"x"}`
	tests := []struct {
		name   string
		body   string
		edit   func(*http.Request)
		status int
		code   string
	}{
		{"no signature", good, func(r *http.Request) { r.Header.Del("X-Frontdesk-Signature") }, 403, "forbidden"},
		{"no timestamp", good, func(r *http.Request) { r.Header.Del("X-Frontdesk-Timestamp") }, 403, "forbidden"},
		{"bad signature", good, func(r *http.Request) { r.Header.Set("X-Frontdesk-Signature", "v1=00") }, 403, "forbidden"},
		{"stale timestamp", good, func(r *http.Request) {
			ts := strconv.FormatInt(f.clock.now().Add(-10*time.Minute).Unix(), 10)
			r.Header.Set("X-Frontdesk-Timestamp", ts)
			r.Header.Set("X-Frontdesk-Signature", telephony.PBXSignature(pbxSecret, ts, []byte(good)))
		}, 403, "forbidden"},
		{"future timestamp", good, func(r *http.Request) {
			ts := strconv.FormatInt(f.clock.now().Add(10*time.Minute).Unix(), 10)
			r.Header.Set("X-Frontdesk-Timestamp", ts)
			r.Header.Set("X-Frontdesk-Signature", telephony.PBXSignature(pbxSecret, ts, []byte(good)))
		}, 403, "forbidden"},
		{"timestamp not a number", good, func(r *http.Request) { r.Header.Set("X-Frontdesk-Timestamp", "yesterday") }, 403, "forbidden"},
		{"wrong content type", good, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415, "unsupported_media_type"},
		{"malformed", `{"id":`, nil, 400, "invalid_json"},
		{"two objects", good + good, nil, 400, "invalid_json"},
		{"unknown field", `{"id":"e1","type":"sms.received","from":"+33612345678","text":"x","priority":9}`, nil, 400, "unknown_field"},
		{"wrong type", `{"id":1,"type":"sms.received","from":"+33612345678","text":"x"}`, nil, 400, "wrong_type"},
		{"no id", `{"type":"sms.received","from":"+33612345678","text":"x"}`, nil, 400, "missing_field"},
		{"no type", `{"id":"e1","from":"+33612345678"}`, nil, 400, "missing_field"},
		{"unknown type", `{"id":"e1","type":"fax","from":"+33612345678"}`, nil, 400, "invalid"},
		{"call without id", `{"id":"e1","type":"call.missed","from":"+33612345678"}`, nil, 400, "missing_field"},
		{"sms without text", `{"id":"e1","type":"sms.received","from":"+33612345678"}`, nil, 400, "missing_field"},
		{"voicemail without content", `{"id":"e1","type":"voicemail","from":"+33612345678"}`, nil, 400, "missing_field"},
		{"negative duration", `{"id":"e1","type":"call.answered","call_id":"c","from":"+33612345678","duration_seconds":-1}`, nil, 400, "invalid"},
		{"bad number", `{"id":"e1","type":"call.missed","call_id":"c","from":"standard"}`, nil, 422, "invalid"},
		{"too large", `{"id":"e1","type":"sms.received","from":"+33612345678","text":"` + strings.Repeat("x", 5000) + `"}`, nil, 413, "payload_too_large"},
	}
	for _, tt := range tests {
		var edits []func(*http.Request)
		if tt.edit != nil {
			edits = append(edits, tt.edit)
		}
		r := f.pbx(t, tt.body, edits...)
		if r.status != tt.status || r.errorCode() != tt.code {
			t.Errorf("%s: POST /events = %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}
	if got := f.conversations(t); len(got) != 0 {
		t.Fatalf("refused events wrote %d conversations", len(got))
	}
}

func TestRoutesFollowTheSecrets(t *testing.T) {
	pbxOnly, err := telephony.New(telephony.Config{PBX: telephony.PBXConfig{Secret: pbxSecret}}, nil, publicURL, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if r := pbxOnly.Routes(); len(r) != 1 || r[0].Pattern != "POST /hooks/telephony/events" {
		t.Fatalf("Routes(PBX only) = %+v", r)
	}
	twilioOnly, err := telephony.New(telephony.Config{AuthToken: token, Path: "/tel"}, nil, publicURL, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if r := twilioOnly.Routes(); len(r) != 7 || r[0].Pattern != "POST /tel/voice" {
		t.Fatalf("Routes(provider only) = %+v", r)
	}
	if _, err := telephony.New(telephony.Config{}, nil, publicURL, quiet()); err == nil {
		t.Fatal("New(no secret at all) = nil error")
	}
}
