package telephony_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/telephony"
	"github.com/frontdeskhq/frontdesk/inbox"
)

const twimlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

func TestInboundCallInOfficeHoursRingsTheDesk(t *testing.T) {
	f := newFixture(t)
	r := f.post(t, "/hooks/telephony/voice", call("CA1"))
	want := twimlHeader + `<Response>` +
		`<Say language="fr-FR">Bonjour, vous êtes bien à l&#39;accueil. Merci de patienter, nous vous mettons en relation.</Say>` +
		`<Say language="en-GB">Hello, you have reached the front desk. Please hold while we connect you.</Say>` +
		`<Dial action="https://accueil.example.fr/hooks/telephony/voice/dial" method="POST" timeout="20">` +
		`<Number>+33140000001</Number><Sip>sip:accueil@pbx.example</Sip></Dial></Response>`
	if r.status != 200 || r.body != want || !strings.HasPrefix(r.ctype, "text/xml") {
		t.Fatalf("POST /voice = %d %s\n%s\nwant 200 text/xml\n%s", r.status, r.ctype, r.body, want)
	}
	if got := f.conversations(t); len(got) != 0 {
		t.Fatalf("a ringing call wrote %d conversations, want none until its outcome", len(got))
	}
}

func TestInboundCallOutOfHoursTakesVoicemail(t *testing.T) {
	f := newFixture(t)
	f.clock.set(sunday10)
	r := f.post(t, "/hooks/telephony/voice", call("CA2"))
	want := `<Record action="https://accueil.example.fr/hooks/telephony/voice/voicemail" method="POST" maxLength="120" timeout="5" finishOnKey="#" playBeep="true" transcribe="true" transcribeCallback="https://accueil.example.fr/hooks/telephony/voice/transcription"></Record><Hangup></Hangup></Response>`
	if r.status != 200 || !strings.HasSuffix(r.body, want) || !strings.Contains(r.body, "l&#39;accueil est fermé") || strings.Contains(r.body, "<Dial") {
		t.Fatalf("POST /voice (Sunday) = %d\n%s\nwant the closed prompts and\n%s", r.status, r.body, want)
	}
	convs := f.conversations(t)
	if len(convs) != 1 {
		t.Fatalf("out-of-hours call made %d conversations, want 1 callback task", len(convs))
	}
	c := convs[0]
	if c.Channel != channels.Telephony || c.ThreadKey != caller || c.Account != ourNumber || c.Priority != telephony.DefaultMissedCallPriority ||
		!slices.Contains(c.Tags, inbox.TagCallback) || c.Status != inbox.StatusOpen || len(c.Messages) != 1 ||
		!strings.Contains(c.Messages[0].Text, "hors des horaires") || !strings.Contains(c.Messages[0].Text, "29/11/2026 10:00") {
		t.Fatalf("callback task = %+v / %+v", c.Conversation, c.Messages)
	}
	// The voicemail lands in the same conversation; its transcription revises it.
	vm := call("CA2", "RecordingSid", "RE1", "RecordingUrl", "https://api.example/Recordings/RE1", "RecordingDuration", "42")
	r = f.post(t, "/hooks/telephony/voice/voicemail", vm)
	if r.status != 200 || !strings.Contains(r.body, "Au revoir") || !strings.HasSuffix(r.body, "<Hangup></Hangup></Response>") {
		t.Fatalf("POST /voice/voicemail = %d %s", r.status, r.body)
	}
	tr := call("CA2", "RecordingSid", "RE1", "RecordingUrl", "https://api.example/Recordings/RE1",
		"TranscriptionStatus", "completed", "TranscriptionText", "Bonjour, c'est Marie, rappelez-moi <vite> & merci")
	for range 2 { // replayed: same result
		if r = f.post(t, "/hooks/telephony/voice/transcription", tr); r.status != 200 {
			t.Fatalf("POST /voice/transcription = %d %s", r.status, r.body)
		}
	}
	if r = f.post(t, "/hooks/telephony/voice/voicemail", vm); r.status != 200 {
		t.Fatalf("replayed voicemail = %d %s", r.status, r.body)
	}
	convs = f.conversations(t)
	if len(convs) != 1 || len(convs[0].Messages) != 2 {
		t.Fatalf("after the voicemail: %d conversations, want 1 with 2 messages", len(convs))
	}
	want2 := "Message vocal (42 s).\nTranscription : « Bonjour, c'est Marie, rappelez-moi <vite> & merci »\nEnregistrement : https://api.example/Recordings/RE1"
	if m := convs[0].Messages[1]; m.Text != want2 || m.ExternalID != "RE1" || m.Kind != inbox.KindIn {
		t.Fatalf("voicemail message = %q (%s), want %q", m.Text, m.ExternalID, want2)
	}
}

func TestTranscriptionBeforeVoicemailAndFailure(t *testing.T) {
	f := newFixture(t)
	tr := call("CA3", "RecordingSid", "RE3", "RecordingUrl", "https://api.example/Recordings/RE3", "TranscriptionStatus", "failed")
	if r := f.post(t, "/hooks/telephony/voice/transcription", tr); r.status != 200 {
		t.Fatalf("POST /voice/transcription (first) = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	if len(convs) != 1 || !strings.Contains(convs[0].Messages[0].Text, "Transcription : indisponible.") {
		t.Fatalf("voicemail from its transcription callback = %+v", convs)
	}
	// No recording (the caller hung up): only the goodbye, nothing stored.
	if r := f.post(t, "/hooks/telephony/voice/voicemail", call("CA4")); r.status != 200 || !strings.Contains(r.body, "<Hangup>") {
		t.Fatalf("POST /voice/voicemail without recording = %d %s", r.status, r.body)
	}
	bad := call("CA5", "RecordingSid", "RE5", "RecordingUrl", "javascript:alert(1)")
	if r := f.post(t, "/hooks/telephony/voice/voicemail", bad); r.status != 400 || r.errorCode() != "invalid" {
		t.Fatalf("POST /voice/voicemail with a bad URL = %d %s, want 400 invalid", r.status, r.body)
	}
}

func TestDialOutcomes(t *testing.T) {
	f := newFixture(t)
	r := f.post(t, "/hooks/telephony/voice/dial", call("CA10", "DialCallStatus", "completed", "DialCallDuration", "192"))
	if r.status != 200 || r.body != twimlHeader+"<Response><Hangup></Hangup></Response>" {
		t.Fatalf("POST /voice/dial (answered) = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	if len(convs) != 1 || convs[0].Status != inbox.StatusResolved || convs[0].Messages[0].Kind != inbox.KindSystem ||
		!strings.Contains(convs[0].Messages[0].Text, "répondu (3 min 12 s)") {
		t.Fatalf("answered call = %+v", convs)
	}
	// The final status callback of the answered call records nothing more.
	if r := f.post(t, "/hooks/telephony/voice/status", call("CA10", "CallStatus", "completed", "CallDuration", "200")); r.status != 200 {
		t.Fatalf("POST /voice/status = %d %s", r.status, r.body)
	}
	if got := f.conversations(t); len(got[0].Messages) != 1 {
		t.Fatalf("status callback after an answered call added messages: %d", len(got[0].Messages))
	}
	f.clock.add(time.Hour)
	r = f.post(t, "/hooks/telephony/voice/dial", call("CA11", "DialCallStatus", "no-answer"))
	if r.status != 200 || !strings.Contains(r.body, "Nous ne pouvons pas prendre votre appel") || !strings.Contains(r.body, "<Record ") {
		t.Fatalf("POST /voice/dial (no answer) = %d %s, want voicemail", r.status, r.body)
	}
	convs = f.conversations(t)
	if len(convs) != 1 || convs[0].Status != inbox.StatusOpen || !slices.Contains(convs[0].Tags, inbox.TagCallback) || len(convs[0].Messages) != 2 {
		t.Fatalf("missed call after an answered one = %+v, want the thread reopened as a callback task", convs[0].Conversation)
	}
	if r := f.post(t, "/hooks/telephony/voice/dial", call("CA12", "DialCallStatus", "canceled")); r.status != 200 || strings.Contains(r.body, "<Record") {
		t.Fatalf("POST /voice/dial (canceled) = %d %s, want a hangup", r.status, r.body)
	}
	if r := f.post(t, "/hooks/telephony/voice/dial", call("CA13")); r.status != 400 || r.errorCode() != "missing_field" {
		t.Fatalf("POST /voice/dial without status = %d %s", r.status, r.body)
	}
}

func TestStatusCallbackRecordsHangUps(t *testing.T) {
	f := newFixture(t)
	for range 2 {
		if r := f.post(t, "/hooks/telephony/voice/status", call("CA20", "CallStatus", "completed", "CallDuration", "4")); r.status != 200 {
			t.Fatalf("POST /voice/status = %d %s", r.status, r.body)
		}
	}
	for _, st := range []string{"ringing", "in-progress"} {
		if r := f.post(t, "/hooks/telephony/voice/status", call("CA21", "CallStatus", st)); r.status != 200 {
			t.Fatalf("POST /voice/status (%s) = %d %s", st, r.status, r.body)
		}
	}
	out := call("CA22", "CallStatus", "no-answer")
	out.Set("Direction", "outbound-dial")
	f.post(t, "/hooks/telephony/voice/status", out)
	anon := call("CA23", "CallStatus", "completed")
	anon.Set("From", "anonymous")
	f.post(t, "/hooks/telephony/voice/status", anon)
	convs := f.conversations(t)
	if len(convs) != 1 || len(convs[0].Messages) != 1 || !strings.Contains(convs[0].Messages[0].Text, "raccroché") {
		t.Fatalf("after status callbacks: %+v, want one missed call (hung up)", convs)
	}
	noStatus := call("CA25")
	noStatus.Del("CallStatus")
	if r := f.post(t, "/hooks/telephony/voice/status", noStatus); r.status != 400 {
		t.Fatalf("POST /voice/status without CallStatus = %d", r.status)
	}
}

func TestAnonymousVoicemail(t *testing.T) {
	f := newFixture(t)
	f.clock.set(sunday10)
	form := call("CA30")
	form.Set("From", "+266696687")
	if r := f.post(t, "/hooks/telephony/voice", form); r.status != 200 || !strings.Contains(r.body, "<Record") {
		t.Fatalf("POST /voice (withheld number) = %d %s", r.status, r.body)
	}
	form.Set("RecordingSid", "RE30")
	form.Set("RecordingUrl", "https://api.example/Recordings/RE30")
	if r := f.post(t, "/hooks/telephony/voice/voicemail", form); r.status != 200 {
		t.Fatalf("POST /voice/voicemail (withheld number) = %d %s", r.status, r.body)
	}
	convs := f.conversations(t)
	if len(convs) != 1 || convs[0].ThreadKey != "anonymous-caller" || slices.Contains(convs[0].Tags, inbox.TagCallback) {
		t.Fatalf("withheld caller = %+v, want the voicemail alone in the anonymous thread", convs)
	}
}

func TestWebhookSignatureAndInputRefusals(t *testing.T) {
	f := newFixture(t)
	form := call("CA40")
	good := telephony.Signature(token, publicURL+"/hooks/telephony/voice", form)
	tampered := call("CA40")
	tampered.Set("From", "+33699999999")
	tests := []struct {
		name, path, sig string
		form            url.Values
		status          int
		code            string
	}{
		{"missing header", "/hooks/telephony/voice", "", form, 403, "forbidden"},
		{"tampered params", "/hooks/telephony/voice", good, tampered, 403, "forbidden"},
		{"signed for another URL", "/hooks/telephony/voice", telephony.Signature(token, "https://other.example/hooks/telephony/voice", form), form, 403, "forbidden"},
		{"signed for another path", "/hooks/telephony/sms", good, form, 403, "forbidden"},
		{"signed for the internal URL", "/hooks/telephony/voice", "", form, 403, "forbidden"},
		{"another token", "/hooks/telephony/voice", telephony.Signature("other", publicURL+"/hooks/telephony/voice", form), form, 403, "forbidden"},
		{"garbage signature", "/hooks/telephony/voice", "%%%", form, 403, "forbidden"},
		{"signed, no CallSid", "/hooks/telephony/voice", telephony.Signature(token, publicURL+"/hooks/telephony/voice", url.Values{"From": {caller}}), url.Values{"From": {caller}}, 400, "missing_field"},
	}
	for _, tt := range tests {
		sig := tt.sig
		if tt.name == "signed for the internal URL" {
			sig = telephony.Signature(token, f.srv.URL+tt.path, tt.form)
		}
		r := f.postSigned(t, tt.path, tt.form, sig)
		if r.status != tt.status || r.errorCode() != tt.code || !strings.HasPrefix(r.ctype, "application/json") {
			t.Errorf("%s: POST %s = %d %s %s, want %d %s", tt.name, tt.path, r.status, r.ctype, r.body, tt.status, tt.code)
		}
	}
	if got := f.conversations(t); len(got) != 0 {
		t.Fatalf("refused requests wrote %d conversations", len(got))
	}
	// Not a form; too large.
	r := do(t, mustRequest(t, f.srv.URL+"/hooks/telephony/voice", "application/json", `{"CallSid":"CA1"}`, good))
	if r.status != 415 || r.errorCode() != "unsupported_media_type" {
		t.Errorf("JSON body = %d %s, want 415", r.status, r.body)
	}
	big := call("CA41")
	big.Set("Padding", strings.Repeat("x", 5000))
	r = f.post(t, "/hooks/telephony/voice", big)
	if r.status != 413 || r.errorCode() != "payload_too_large" {
		t.Errorf("oversized body = %d %s, want 413", r.status, r.body)
	}
	r = do(t, mustRequest(t, f.srv.URL+"/hooks/telephony/voice", "application/x-www-form-urlencoded", "a=%zz", good))
	if r.status != 400 || r.errorCode() != "invalid_form" {
		t.Errorf("malformed form = %d %s, want 400 invalid_form", r.status, r.body)
	}
}
