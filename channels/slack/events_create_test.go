package slack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestReceiverAnswers(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	tests := []struct {
		name     string
		body     string
		status   int
		contains string
	}{
		{"url_verification", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, 200, `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`},
		{"event", messageEvent("Ev1", dm("U1", "1.1", "Bonjour")), 200, `"ok":true`},
		{"app_rate_limited", `{"type":"app_rate_limited","team_id":"T0001","minute_rate_limited":1}`, 200, `"ok":true`},
		{"unknown workspace", strings.Replace(messageEvent("Ev2", dm("U1", "1.2", "x")), teamID, "T9999", 1), 200, `"ok":true`},
		{"not JSON", `{"type":`, 400, `"code":"invalid_event"`},
		{"no event id", `{"type":"event_callback","team_id":"T0001","event":{}}`, 400, `"code":"invalid_event"`},
		{"no type", `{"team_id":"T0001"}`, 400, `"code":"invalid_event"`},
		{"slash in ids", messageEvent("Ev/3", dm("U1", "1.3", "x")), 400, `"code":"invalid_event"`},
		{"url_verification without challenge", `{"type":"url_verification"}`, 400, `"code":"invalid_event"`},
		{"too large", messageEvent("Ev4", dm("U1", "1.4", strings.Repeat("a", DefaultMaxBodyBytes))), 413, `"code":"payload_too_large"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.post(tt.body)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.contains) {
				t.Fatalf("POST = %d %s, want %d with %s", w.Code, w.Body, tt.status, tt.contains)
			}
		})
	}
	if got := f.pending(); len(got) != 1 || got[0].EventID != "Ev1" {
		t.Fatalf("stored events = %+v, want Ev1 only", got)
	}
}

// TestReceiverDeduplicatesRetries: Slack's retries of a stored event store nothing
// and are acknowledged; processing makes one message.
func TestReceiverDeduplicatesRetries(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.api.addUser("U1", "Marie Dupont", "", false)
	body := messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour"))
	f.deliver(body)
	for _, n := range []string{"1", "2", "3"} {
		w := f.post(body, HeaderRetryNum, n, HeaderRetryReason, "http_timeout")
		if w.Code != 200 || !strings.Contains(w.Body.String(), `"duplicate":true`) {
			t.Fatalf("retry %s = %d %s, want 200 duplicate", n, w.Code, w.Body)
		}
	}
	if n := f.drain(); n != 1 {
		t.Fatalf("drain() processed %d events, want 1", n)
	}
	// A retry arriving after processing is still a duplicate.
	f.deliver(body, HeaderRetryNum, "4")
	f.drain()
	convs := f.conversations()
	if len(convs) != 1 || convs[0].MessageCount != 1 {
		t.Fatalf("conversations = %+v, want one with one message", convs)
	}
}

// failingStore fails the first writes, like a database briefly unavailable.
type failingStore struct {
	Store
	failures atomic.Int32
}

func (s *failingStore) Write(ctx context.Context, fn func(ctx context.Context, tx inbox.Tx) error) error {
	if s.failures.Add(-1) >= 0 {
		return errors.New("disk I/O error")
	}
	return s.Store.Write(ctx, fn)
}

// TestReceiverRetryAfterFailedStore: an event whose first delivery could not be
// stored is refused with 503 (so Slack retries), and the retry is stored and
// processed, not dropped as a duplicate.
func TestReceiverRetryAfterFailedStore(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.api.addUser("U1", "Marie Dupont", "", false)
	fs := &failingStore{Store: f.st}
	fs.failures.Store(1)
	f.hub.store = fs
	body := messageEvent("Ev1", dm("U1", "1700000000.000100", "Bonjour"))
	w := f.post(body)
	var eb errorBody
	if json.Unmarshal(w.Body.Bytes(), &eb); w.Code != http.StatusServiceUnavailable || eb.Error.Code != "unavailable" {
		t.Fatalf("first delivery with a failing store = %d %s, want 503 unavailable", w.Code, w.Body)
	}
	if n := len(f.pending()); n != 0 {
		t.Fatalf("%d events stored, want 0", n)
	}
	f.deliver(body, HeaderRetryNum, "1", HeaderRetryReason, "http_error")
	if n := f.drain(); n != 1 {
		t.Fatalf("drain() = %d, want the retried event processed", n)
	}
	if convs := f.conversations(); len(convs) != 1 {
		t.Fatalf("%d conversations, want 1", len(convs))
	}
}

// TestReceiverRefusesAnotherWorkspacesSecret: with two apps' secrets configured, an
// event signed with one app's secret cannot claim the other's workspace.
func TestReceiverRefusesAnotherWorkspacesSecret(t *testing.T) {
	f := newFixture(t, ModeCustomer, func(c *Config) {
		w := c.Workspaces[0]
		w.TeamID, w.SigningSecret = "T0002", "second-app-secret"
		c.Workspaces = append(c.Workspaces, w)
	})
	body := strings.Replace(messageEvent("Ev1", dm("U1", "1.1", "x")), teamID, "T0002", 1)
	w := f.post(body) // signed with testSecret, the first workspace's
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), CodeInvalidSignature) {
		t.Fatalf("POST = %d %s, want 401 invalid_signature", w.Code, w.Body)
	}
}

// stuckStore never finishes a write before the caller's context ends.
type stuckStore struct{ Store }

func (stuckStore) Write(ctx context.Context, _ func(ctx context.Context, tx inbox.Tx) error) error {
	<-ctx.Done()
	return ctx.Err()
}

// TestReceiverAnswersBeforeSlackGivesUp: when the store cannot commit within
// ack_timeout, the receiver answers 503 (Slack will retry) instead of letting Slack's
// 3 seconds run out.
func TestReceiverAnswersBeforeSlackGivesUp(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.hub.store = stuckStore{f.st}
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		w := f.post(messageEvent("Ev1", dm("U1", "1.000100", "Bonjour")))
		if took := time.Since(start); w.Code != http.StatusServiceUnavailable || took != DefaultAckTimeout {
			t.Fatalf("POST with a stuck store = %d after %v, want 503 after %v", w.Code, took, DefaultAckTimeout)
		}
	})
}

// TestPurgeKeepsTheDedupWindow: processed events are kept for event_retention (a
// retry is still a duplicate), then purged.
func TestPurgeKeepsTheDedupWindow(t *testing.T) {
	f := newFixture(t, ModeCustomer)
	f.api.addUser("U1", "Marie Dupont", "", false)
	body := messageEvent("Ev1", dm("U1", "1.000100", "Bonjour"))
	f.deliver(body)
	f.drain()
	f.clock.add(DefaultEventRetention - time.Minute)
	f.hub.purge(context.Background())
	if w := f.post(body, HeaderRetryNum, "1"); !strings.Contains(w.Body.String(), `"duplicate":true`) {
		t.Fatalf("retry within the retention = %s, want a duplicate", w.Body)
	}
	f.clock.add(2 * time.Minute)
	f.hub.purge(context.Background())
	f.deliver(body) // stored again: the event row is gone
	f.drain()
	if convs := f.conversations(); len(convs) != 1 || convs[0].MessageCount != 1 {
		t.Fatalf("conversations = %+v, want one message: Ingest still deduplicates on the message id", convs)
	}
}
