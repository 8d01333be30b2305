package inbox_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// BenchmarkIngest measures Service.Ingest on the SQLite store with 32 concurrent callers
// (group commit), messages spread over 500 threads as in the HTTP load benchmark.
func BenchmarkIngest(b *testing.B) {
	f := newFixture(b, inbox.Config{})
	var n atomic.Int64
	b.SetParallelism(16) // 16 x GOMAXPROCS(2) = 32 callers
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			_, err := f.svc.Ingest(context.Background(), channels.Envelope{
				Channel: channels.API, ExternalID: fmt.Sprint("bench-", i), ThreadKey: fmt.Sprint("t-", i%500),
				From:    channels.Identity{Kind: channels.KindEmail, Value: fmt.Sprintf("client%d@example.fr", i%1000)},
				Subject: "Demande de rendez-vous", Text: "Bonjour, je souhaiterais prendre rendez-vous la semaine prochaine.",
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
