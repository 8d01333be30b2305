package slack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Request signing headers of Slack (v0 scheme).
const (
	HeaderSignature = "X-Slack-Signature"
	HeaderTimestamp = "X-Slack-Request-Timestamp"
	// HeaderRetryNum and HeaderRetryReason mark Slack's redeliveries.
	HeaderRetryNum    = "X-Slack-Retry-Num"
	HeaderRetryReason = "X-Slack-Retry-Reason"
)

// MaxClockSkew is how far a request's timestamp may be from our clock, either way:
// Slack's documented five minutes, which bounds replays of a captured request.
const MaxClockSkew = 5 * time.Minute

// VerifyError says why a request's signature was refused. Code is stable, for the
// JSON error body and metrics; it never reveals the expected signature.
type VerifyError struct {
	Code    string
	Message string
}

// Error implements error.
func (e *VerifyError) Error() string { return "slack: " + e.Code + ": " + e.Message }

// Verification failure codes.
const (
	CodeMissingSignature = "missing_signature"
	CodeInvalidTimestamp = "invalid_timestamp"
	CodeStaleTimestamp   = "stale_timestamp"
	CodeFutureTimestamp  = "future_timestamp"
	CodeInvalidSignature = "invalid_signature"
)

// Sign returns the v0 signature of body sent at timestamp ts: "v0=" and the hex
// HMAC-SHA256, keyed with secret, of "v0:" + ts + ":" + body.
func Sign(secret, ts string, body []byte) string {
	return "v0=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("v0:"))
	m.Write([]byte(ts))
	m.Write([]byte{':'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks the v0 signature of a request against each of secrets, with the
// timestamp within MaxClockSkew of now. It returns the index of the secret that
// signed it. Signatures are compared in constant time, and each secret is tried, so
// the time taken does not say which one matched.
func Verify(h http.Header, body []byte, secrets []string, now time.Time) (int, error) {
	sig, ts := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if sig == "" || ts == "" {
		return -1, &VerifyError{CodeMissingSignature, "the request lacks " + HeaderSignature + " or " + HeaderTimestamp}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sec <= 0 || len(ts) > 12 {
		return -1, &VerifyError{CodeInvalidTimestamp, HeaderTimestamp + " is not a Unix time in seconds"}
	}
	switch d := now.Sub(time.Unix(sec, 0)); {
	case d > MaxClockSkew:
		return -1, &VerifyError{CodeStaleTimestamp, "the request timestamp is more than 5 minutes old"}
	case d < -MaxClockSkew:
		return -1, &VerifyError{CodeFutureTimestamp, "the request timestamp is more than 5 minutes ahead"}
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return -1, &VerifyError{CodeInvalidSignature, "the signature is not a v0 HMAC-SHA256"}
	}
	match := -1
	for i, s := range secrets {
		if s != "" && hmac.Equal(mac(s, ts, body), got) && match < 0 {
			match = i
		}
	}
	if match < 0 {
		return -1, &VerifyError{CodeInvalidSignature, "the signature does not match the body"}
	}
	return match, nil
}
