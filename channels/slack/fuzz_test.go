package slack

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzVerifyAndDecode runs untrusted requests through what the receiver does before
// storing: verification then decoding. Neither may panic; a body verifies only with
// the signature made for it; a decoded event_callback has the ids the store needs,
// free of the separators of external ids.
func FuzzVerifyAndDecode(f *testing.F) {
	f.Add([]byte(docBody), docSig, docTS)
	f.Add([]byte(`{"type":"url_verification","challenge":"abc"}`), "", "1531420618")
	f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"message","channel":"D1","channel_type":"im","user":"U1","text":"x","ts":"1.1","files":[{"id":"F1","size":-1}]}}`), "v0=00", "1531420618")
	f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"subtype":"message_changed","message":{"message":{}}}}`), "v0=", "0")
	f.Add([]byte(`[]`), "v1=abc", "-1")
	f.Add([]byte(`{"type":"event_callback","team_id":"T1","event_id":"E/1"}`), "v0=zz", "99999999999999")
	f.Fuzz(func(t *testing.T, body []byte, sig, ts string) {
		h := http.Header{}
		h.Set(HeaderSignature, sig)
		h.Set(HeaderTimestamp, ts)
		now := docTime
		if i, err := Verify(h, body, []string{docSecret}, now); err == nil {
			if i != 0 || Sign(docSecret, ts, body) != sig {
				t.Fatalf("Verify accepted a signature that is not the body's: %q", sig)
			}
		}
		// A correct signature always verifies within the window.
		h.Set(HeaderSignature, Sign(docSecret, docTS, body))
		h.Set(HeaderTimestamp, docTS)
		if _, err := Verify(h, body, []string{docSecret}, now); err != nil {
			t.Fatalf("Verify(correctly signed) = %v", err)
		}
		cb, err := DecodeCallback(body)
		if err != nil || cb.Type != TypeEventCallback {
			return
		}
		if cb.EventID == "" || cb.TeamID == "" {
			t.Fatalf("decoded a callback without ids: %+v", cb)
		}
		for _, s := range []string{cb.EventID, cb.TeamID, cb.Event.Channel, cb.Event.TS, cb.Event.ThreadTS} {
			if strings.ContainsAny(s, "/:") || len(s) > maxIDLen {
				t.Fatalf("decoded id %q would break external ids", s)
			}
		}
		_ = threadKey(cb.Event)
		_ = tsTime(cb.Event.TS)
	})
}

// FuzzPlainText: Slack markup conversion never panics, keeps valid UTF-8 valid, and
// leaves text without markup or escapes as it is.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{"Bonjour &lt;3", "<https://x.fr|x> <@U1> <#C1|général> <!here> <mailto:a@b.fr|a@b.fr>", "<<>>", "a < b > c", "&amp;amp;", "é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := plainText(s)
		if utf8.ValidString(s) && !utf8.ValidString(out) {
			t.Fatalf("plainText(%q) = %q, not valid UTF-8", s, out)
		}
		if !strings.ContainsAny(s, "<>&") && out != s {
			t.Fatalf("plainText(%q) = %q, want it unchanged", s, out)
		}
	})
}

// FuzzThreadKey: thread keys we build from decoded events split back into where to
// reply, and any other string is refused without panicking.
func FuzzThreadKey(f *testing.F) {
	f.Add("D0001", "im", "1.1", "")
	f.Add("C0001", "channel", "1700000000.000100", "1699999999.000100")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, channel, ctype, ts, threadTS string) {
		e := Event{Channel: channel, ChannelType: ctype, TS: ts, ThreadTS: threadTS}
		ch, th, err := splitThreadKey(threadKey(e))
		if err != nil {
			return
		}
		if ch != channel {
			t.Fatalf("splitThreadKey(threadKey(%+v)) channel = %q", e, ch)
		}
		if th != "" && !validTS(th) {
			t.Fatalf("thread ts %q is not a ts", th)
		}
	})
}
