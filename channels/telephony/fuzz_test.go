package telephony

import (
	"testing"
)

// FuzzDecodePBXEvent checks the generic webhook's decoder never panics and that what it
// accepts has the fields its type needs.
func FuzzDecodePBXEvent(f *testing.F) {
	f.Add([]byte(`{"id":"e1","type":"call.missed","call_id":"c1","from":"+33612345678"}`))
	f.Add([]byte(`{"id":"e2","type":"voicemail","from":"0612345678","transcription":"x","started_at":"2026-11-24T09:55:00+01:00"}`))
	f.Add([]byte(`{"id":"e3","type":"sms.received","from":"+1","text":"\u0000"}`))
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := DecodePBXEvent(body)
		if err != nil {
			return
		}
		if e.ID == "" || e.From == "" {
			t.Fatalf("DecodePBXEvent(%q) accepted an event without id or from", body)
		}
		switch e.Type {
		case EventCallAnswered, EventCallMissed:
			if e.CallID == "" {
				t.Fatalf("DecodePBXEvent(%q) accepted a call without call_id", body)
			}
		case EventVoicemail, EventSMS:
		default:
			t.Fatalf("DecodePBXEvent(%q) accepted type %q", body, e.Type)
		}
	})
}

// FuzzParseForm checks the webhook form parser never panics and never returns both a
// form and an error.
func FuzzParseForm(f *testing.F) {
	f.Add([]byte("CallSid=CA1&From=%2B33612345678&To=%2B33140000000"))
	f.Add([]byte("a=%zz"))
	f.Add([]byte("a=1&a=2&&=&b"))
	f.Add([]byte("Body=%F0%9F%98%80+caf%C3%A9"))
	f.Fuzz(func(t *testing.T, body []byte) {
		form, err := ParseForm(body)
		if err != nil && form != nil {
			t.Fatalf("ParseForm(%q) = %v and %v", body, form, err)
		}
		if err == nil && len(form) > 1000 {
			t.Fatalf("ParseForm(%q) accepted %d fields", body, len(form))
		}
	})
}
