package slack

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// BenchmarkReceiver measures signed events through the receiver into the SQLite
// store (verify, decode, durable insert with group commit), from parallel clients.
func BenchmarkReceiver(b *testing.B) {
	f := newFixture(b, ModeCustomer)
	h := f.hub.Handler()
	ts := strconv.FormatInt(f.clock.now().Unix(), 10)
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			body := messageEvent(fmt.Sprintf("Ev%d", i), dm("U1", fmt.Sprintf("%d.000100", 1700000000+i), "Bonjour, une question sur mon dossier."))
			r := httptest.NewRequest(http.MethodPost, "/hooks/slack/events", strings.NewReader(body))
			r.Header.Set(HeaderTimestamp, ts)
			r.Header.Set(HeaderSignature, Sign(testSecret, ts, []byte(body)))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("POST = %d %s", w.Code, w.Body)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProcessDM measures stored DM events processed into the inbox (decode,
// cached users.info, Ingest, mark done), one processor as in production.
func BenchmarkProcessDM(b *testing.B) {
	f := newFixture(b, ModeCustomer)
	f.api.addUser("U1", "Marie Dupont", "", false)
	for i := range b.N {
		f.deliver(messageEvent(fmt.Sprintf("Ev%d", i), dm("U1", fmt.Sprintf("%d.000100", 1700000000+i), "Bonjour, une question sur mon dossier.")))
	}
	b.ReportAllocs()
	b.ResetTimer()
	if n := f.drain(); n != b.N {
		b.Fatalf("processed %d of %d", n, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
