package outbox

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

// TestRelayAcrossRedisRestarts runs the relay and two consumer groups on a real Redis
// that restarts twice while events flow: once with its data (AOF) and once losing it
// all. Every event must reach every group and the outbox must end empty.
func TestRelayAcrossRedisRestarts(t *testing.T) {
	for _, aof := range []bool{true, false} {
		name := "without persistence"
		if aof {
			name = "with AOF"
		}
		t.Run(name, func(t *testing.T) {
			srv := redistest.NewOwn(t, redistest.Options{AppendOnly: aof})
			opts, err := redis.ParseURL(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			opts.MaxRetries = -1 // let failures reach our own retries
			client := redis.NewClient(opts)
			defer client.Close()
			bus := queue.NewRedis(client, srv.Prefix, queue.Options{VisibilityTimeout: time.Second, MaxAttempts: 50}, quiet)
			src := &source{}
			groups := []string{"router", "indexer"}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			relay := New(src, bus, Config{Groups: groups, Poll: 10 * time.Millisecond, CleanEvery: 100 * time.Millisecond}, quiet)
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { defer wg.Done(); relay.Run(ctx) }()
			seen := map[string]map[uint64]bool{}
			var mu sync.Mutex
			for _, g := range groups {
				seen[g] = map[uint64]bool{}
				c := queue.NewConsumer(bus, queue.ConsumerConfig{Stream: inbox.Stream, Group: g, Name: "c", Block: 100 * time.Millisecond,
					MinBackoff: 10 * time.Millisecond, MaxBackoff: 200 * time.Millisecond},
					func(_ context.Context, batch []queue.Delivery) []error {
						mu.Lock()
						defer mu.Unlock()
						for _, d := range batch {
							seen[g][d.ID] = true
						}
						return nil
					}, quiet)
				wg.Add(1)
				go func() { defer wg.Done(); c.Run(ctx) }()
			}
			const total = 600
			for i := 0; i < total; i += 50 {
				src.add(50)
				if i == 200 || i == 400 {
					srv.Restart(t)
				}
				time.Sleep(20 * time.Millisecond)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				done := len(seen["router"]) == total && len(seen["indexer"]) == total
				mu.Unlock()
				if done && len(src.ids()) == 0 {
					break
				}
				if time.Now().After(deadline) {
					mu.Lock()
					t.Fatalf("after 30s: router saw %d, indexer %d of %d events; %d still in the outbox",
						len(seen["router"]), len(seen["indexer"]), total, len(src.ids()))
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			wg.Wait()
		})
	}
}
