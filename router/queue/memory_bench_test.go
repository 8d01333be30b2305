package queue_test

import (
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// benchChunk is how many messages a consume benchmark prepares at a time (with the timer
// stopped) before consuming and trimming them, so the stream stays small as it does in
// production, where a trimmer follows the consumers.
const benchChunk = 10_000

func BenchmarkMemoryPublish(b *testing.B) {
	bus := queue.NewMemory(queue.Options{})
	msgs := make([]queue.Message, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += benchBatch {
		n := min(benchBatch, b.N-i)
		if err := bus.Publish(b.Context(), "events", benchMessages(msgs[:n], uint64(i+1))...); err != nil {
			b.Fatalf("Publish = %v", err)
		}
		if (i+n)%benchChunk == 0 { // the trimmer, following consumers that keep up
			if err := bus.Trim(b.Context(), "events", uint64(i+n+1)); err != nil {
				b.Fatalf("Trim = %v", err)
			}
		}
	}
	b.StopTimer()
	reportRate(b)
}

func BenchmarkMemoryConsume(b *testing.B) {
	bus := queue.NewMemory(queue.Options{})
	ctx := b.Context()
	msgs := make([]queue.Message, benchBatch)
	ids := make([]uint64, 0, benchBatch)
	b.ReportAllocs()
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += benchChunk {
		hi := min(lo+benchChunk, b.N)
		b.StopTimer()
		if err := bus.Trim(ctx, "events", uint64(lo+1)); err != nil {
			b.Fatalf("Trim = %v", err)
		}
		for i := lo; i < hi; i += benchBatch {
			if err := bus.Publish(ctx, "events", benchMessages(msgs[:min(benchBatch, hi-i)], uint64(i+1))...); err != nil {
				b.Fatalf("Publish = %v", err)
			}
		}
		b.StartTimer()
		for done := lo; done < hi; {
			ds, err := bus.Read(ctx, "events", "g", "c", benchBatch, 0)
			if err != nil || len(ds) == 0 {
				b.Fatalf("Read after %d of %d = %d deliveries, %v", done, b.N, len(ds), err)
			}
			ids = ids[:0]
			for _, d := range ds {
				ids = append(ids, d.ID)
			}
			if err := bus.Ack(ctx, "events", "g", ids...); err != nil {
				b.Fatalf("Ack = %v", err)
			}
			done += len(ds)
		}
	}
	b.StopTimer()
	reportRate(b)
}

// BenchmarkMemoryPublishConsume publishes from one goroutine while a consumer reads and
// acknowledges in another, with blocking reads and a trimmer: the embedded default's
// steady state.
func BenchmarkMemoryPublishConsume(b *testing.B) {
	bus := queue.NewMemory(queue.Options{})
	ctx := b.Context()
	errc := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() {
		msgs := make([]queue.Message, benchBatch)
		for i := 0; i < b.N; i += benchBatch {
			n := min(benchBatch, b.N-i)
			if err := bus.Publish(ctx, "events", benchMessages(msgs[:n], uint64(i+1))...); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	ids := make([]uint64, 0, benchBatch)
	for done, trimmed := 0, 0; done < b.N; {
		ds, err := bus.Read(ctx, "events", "g", "c", benchBatch, time.Second)
		if err != nil || len(ds) == 0 {
			b.Fatalf("Read after %d of %d = %d deliveries, %v", done, b.N, len(ds), err)
		}
		ids = ids[:0]
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		if err := bus.Ack(ctx, "events", "g", ids...); err != nil {
			b.Fatalf("Ack = %v", err)
		}
		if done += len(ds); done-trimmed >= benchChunk {
			if err := bus.Trim(ctx, "events", uint64(done+1)); err != nil {
				b.Fatalf("Trim = %v", err)
			}
			trimmed = done
		}
	}
	b.StopTimer()
	if err := <-errc; err != nil {
		b.Fatalf("Publish = %v", err)
	}
	reportRate(b)
}
