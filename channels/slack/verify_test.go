package slack

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Slack's published request-signing example ("Verifying requests from Slack"): a
// slash-command body signed with the documented secret at the documented time.
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = "1531420618"
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

var docTime = time.Unix(1531420618, 0)

func header(sig, ts string) http.Header {
	h := http.Header{}
	if sig != "" {
		h.Set(HeaderSignature, sig)
	}
	if ts != "" {
		h.Set(HeaderTimestamp, ts)
	}
	return h
}

func TestSignMatchesSlacksExample(t *testing.T) {
	if got := Sign(docSecret, docTS, []byte(docBody)); got != docSig {
		t.Fatalf("Sign(documented example) = %s, want %s", got, docSig)
	}
	if i, err := Verify(header(docSig, docTS), []byte(docBody), []string{"other", docSecret}, docTime.Add(time.Minute)); err != nil || i != 1 {
		t.Fatalf("Verify(documented example) = %d, %v; want secret 1", i, err)
	}
}

func TestVerifyRefusals(t *testing.T) {
	tamperedSig := docSig[:len(docSig)-1] + "4"
	tests := []struct {
		name    string
		hdr     http.Header
		body    string
		secrets []string
		now     time.Time
		want    string
	}{
		{"tampered body", header(docSig, docTS), strings.Replace(docBody, "roadrunner", "coyote", 1), []string{docSecret}, docTime, CodeInvalidSignature},
		{"body with one byte more", header(docSig, docTS), docBody + " ", []string{docSecret}, docTime, CodeInvalidSignature},
		{"tampered signature", header(tamperedSig, docTS), docBody, []string{docSecret}, docTime, CodeInvalidSignature},
		{"wrong secret", header(docSig, docTS), docBody, []string{"8f742231b10e8888abcd99yyyzzz85a6"}, docTime, CodeInvalidSignature},
		{"no secret", header(docSig, docTS), docBody, nil, docTime, CodeInvalidSignature},
		{"timestamp changed", header(docSig, "1531420619"), docBody, []string{docSecret}, docTime, CodeInvalidSignature},
		{"stale by 5 min 1 s", header(docSig, docTS), docBody, []string{docSecret}, docTime.Add(5*time.Minute + time.Second), CodeStaleTimestamp},
		{"future by 5 min 1 s", header(docSig, docTS), docBody, []string{docSecret}, docTime.Add(-5*time.Minute - time.Second), CodeFutureTimestamp},
		{"missing signature", header("", docTS), docBody, []string{docSecret}, docTime, CodeMissingSignature},
		{"missing timestamp", header(docSig, ""), docBody, []string{docSecret}, docTime, CodeMissingSignature},
		{"no headers", http.Header{}, docBody, []string{docSecret}, docTime, CodeMissingSignature},
		{"timestamp not a number", header(docSig, "yesterday"), docBody, []string{docSecret}, docTime, CodeInvalidTimestamp},
		{"timestamp negative", header(docSig, "-1531420618"), docBody, []string{docSecret}, docTime, CodeInvalidTimestamp},
		{"other version", header("v1="+docSig[3:], docTS), docBody, []string{docSecret}, docTime, CodeInvalidSignature},
		{"signature not hex", header("v0=zz", docTS), docBody, []string{docSecret}, docTime, CodeInvalidSignature},
		{"signature too short", header(docSig[:20], docTS), docBody, []string{docSecret}, docTime, CodeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Verify(tt.hdr, []byte(tt.body), tt.secrets, tt.now)
			var ve *VerifyError
			if !errors.As(err, &ve) || ve.Code != tt.want {
				t.Fatalf("Verify() = %v, want code %s", err, tt.want)
			}
		})
	}
	// The edges of the window are accepted.
	for _, d := range []time.Duration{5 * time.Minute, -5 * time.Minute} {
		if _, err := Verify(header(docSig, docTS), []byte(docBody), []string{docSecret}, docTime.Add(d)); err != nil {
			t.Errorf("Verify(now = ts%+v) = %v, want accepted", d, err)
		}
	}
}

// TestReceiverRefusesUnsigned: every refusal is a 401 with the JSON error shape,
// and nothing is stored.
func TestReceiverRefusesUnsigned(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	body := messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour"))
	now := strconv.FormatInt(f.clock.now().Unix(), 10)
	stale := strconv.FormatInt(f.clock.now().Add(-6*time.Minute).Unix(), 10)
	future := strconv.FormatInt(f.clock.now().Add(6*time.Minute).Unix(), 10)
	tests := []struct {
		name, body, sig, ts, code string
	}{
		{"tampered body", strings.Replace(body, "Bonjour", "Bonsoir", 1), Sign(testSecret, now, []byte(body)), now, CodeInvalidSignature},
		{"wrong secret", body, Sign("not-the-secret", now, []byte(body)), now, CodeInvalidSignature},
		{"stale", body, Sign(testSecret, stale, []byte(body)), stale, CodeStaleTimestamp},
		{"future", body, Sign(testSecret, future, []byte(body)), future, CodeFutureTimestamp},
		{"missing signature", body, "", now, CodeMissingSignature},
		{"missing timestamp", body, Sign(testSecret, now, []byte(body)), "", CodeMissingSignature},
		{"garbage signature", body, "v0=" + strings.Repeat("0", 64), now, CodeInvalidSignature},
		{"unsigned url_verification", `{"type":"url_verification","challenge":"abc"}`, "v0=00", now, CodeInvalidSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/hooks/slack/events", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", "application/json")
			if tt.sig != "" {
				r.Header.Set(HeaderSignature, tt.sig)
			}
			if tt.ts != "" {
				r.Header.Set(HeaderTimestamp, tt.ts)
			}
			w := httptest.NewRecorder()
			f.hub.Handler().ServeHTTP(w, r)
			var got errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusUnauthorized || got.Error.Code != tt.code || got.Error.Message == "" {
				t.Fatalf("POST = %d %s, want 401 with error code %s", w.Code, w.Body, tt.code)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type = %q, want JSON", ct)
			}
		})
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d events stored from refused requests, want 0", n)
	}
}
