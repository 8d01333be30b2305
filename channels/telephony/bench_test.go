package telephony_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels/telephony"
)

// BenchmarkSignature measures computing and checking one X-Twilio-Signature.
func BenchmarkSignature(b *testing.B) {
	form := inboundSMS("SM0123456789abcdef0123456789abcdef", "Bonjour, la mairie est-elle ouverte samedi matin ?")
	u := publicURL + "/hooks/telephony/sms"
	sig := telephony.Signature(token, u, form)
	b.ReportAllocs()
	for b.Loop() {
		if !telephony.ValidSignature(token, sig, u, form) {
			b.Fatal("invalid")
		}
	}
}

// BenchmarkWebhookSMS measures signed inbound SMS webhooks end to end over HTTP: signature
// check, form parsing and ingest into SQLite (a new message each, from 200 numbers), with
// parallel clients.
func BenchmarkWebhookSMS(b *testing.B) {
	f := newFixture(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			form := inboundSMS(fmt.Sprintf("SMbench%d", i), "Bonjour, pouvez-vous me rappeler ?")
			form.Set("From", fmt.Sprintf("+336%08d", i%200))
			req, _ := http.NewRequest("POST", f.srv.URL+"/hooks/telephony/sms", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", telephony.Signature(token, publicURL+"/hooks/telephony/sms", form))
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
