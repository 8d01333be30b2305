package queue_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

// The Redis benchmarks pair each RedisBus operation with the raw go-redis commands it is
// built on, on the same server in the same run, so the ratio shows the bus's overhead.
// Reproduce with:
//
//	go test -run XXX -bench . -benchtime 2s ./router/queue/

// benchRedis returns a client of a fresh Redis for b and the key prefix to use.
func benchRedis(b *testing.B) (*redis.Client, string) {
	s := redistest.New(b)
	return s.Client(b), s.Prefix
}

// rawXAdd publishes msgs the way RedisBus does, without the bus: one pipeline of XADD
// commands with explicit IDs and the same fields.
func rawXAdd(ctx context.Context, rc *redis.Client, key string, msgs []queue.Message) error {
	_, err := rc.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, m := range msgs {
			p.XAdd(ctx, &redis.XAddArgs{Stream: key, ID: benchEntryID(m.ID), Values: []any{"t", m.Type, "p", m.Payload}})
		}
		return nil
	})
	return err
}

// benchEntryID is the Redis entry ID of a message ID.
func benchEntryID(id uint64) string {
	return strconv.FormatUint(id, 10) + "-0"
}

func BenchmarkRedisPublish(b *testing.B) {
	rc, prefix := benchRedis(b)
	bus := queue.NewRedis(rc, prefix, queue.Options{}, nil)
	benchPublish(b, rc, prefix+"events", func(ctx context.Context, msgs []queue.Message) error {
		return bus.Publish(ctx, "events", msgs...)
	})
}

// BenchmarkRedisPublishAfter measures the relay's path: the checked publish in one Lua
// script per batch.
func BenchmarkRedisPublishAfter(b *testing.B) {
	rc, prefix := benchRedis(b)
	bus := queue.NewRedis(rc, prefix, queue.Options{}, nil)
	var after uint64
	benchPublish(b, rc, prefix+"events", func(ctx context.Context, msgs []queue.Message) error {
		err := bus.PublishAfter(ctx, "events", after, msgs...)
		after = msgs[len(msgs)-1].ID
		return err
	})
}

func BenchmarkRawXADD(b *testing.B) {
	rc, prefix := benchRedis(b)
	benchPublish(b, rc, prefix+"events", func(ctx context.Context, msgs []queue.Message) error {
		return rawXAdd(ctx, rc, prefix+"events", msgs)
	})
}

// benchPublish times publish over b.N messages in batches of benchBatch, trimming the
// stream every benchChunk messages with the timer stopped.
func benchPublish(b *testing.B, rc *redis.Client, key string, publish func(context.Context, []queue.Message) error) {
	ctx := b.Context()
	msgs := make([]queue.Message, benchBatch)
	b.ResetTimer()
	for i := 0; i < b.N; i += benchBatch {
		n := min(benchBatch, b.N-i)
		if err := publish(ctx, benchMessages(msgs[:n], uint64(i+1))); err != nil {
			b.Fatalf("publish = %v", err)
		}
		if (i+n)%benchChunk == 0 {
			b.StopTimer()
			if err := rc.XTrimMinID(ctx, key, benchEntryID(uint64(i+n+1))).Err(); err != nil {
				b.Fatalf("XTRIM = %v", err)
			}
			b.StartTimer()
		}
	}
	b.StopTimer()
	reportRate(b)
}

func BenchmarkRedisConsume(b *testing.B) {
	rc, prefix := benchRedis(b)
	bus := queue.NewRedis(rc, prefix, queue.Options{}, nil)
	ids := make([]uint64, 0, benchBatch)
	benchConsume(b, rc, prefix+"events", func(ctx context.Context) (int, error) {
		ds, err := bus.Read(ctx, "events", "g", "c", benchBatch, 0)
		if err != nil {
			return 0, err
		}
		ids = ids[:0]
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return len(ds), bus.Ack(ctx, "events", "g", ids...)
	})
}

func BenchmarkRawXREADGROUP(b *testing.B) {
	rc, prefix := benchRedis(b)
	key := prefix + "events"
	ids := make([]string, 0, benchBatch)
	benchConsume(b, rc, key, func(ctx context.Context) (int, error) {
		res, err := rc.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: "g", Consumer: "c", Streams: []string{key, ">"}, Count: benchBatch, Block: -1,
		}).Result()
		if err != nil {
			return 0, err
		}
		ids = ids[:0]
		for _, s := range res {
			for _, m := range s.Messages {
				ids = append(ids, m.ID)
			}
		}
		return len(ids), rc.XAck(ctx, key, "g", ids...).Err()
	})
}

// benchConsume times consume (one batch read and acknowledged) over b.N messages. It
// prepares benchChunk messages at a time with the timer stopped, consumes them, and trims
// them, so Redis's memory stays small.
func benchConsume(b *testing.B, rc *redis.Client, key string, consume func(context.Context) (int, error)) {
	ctx := b.Context()
	if err := rc.XGroupCreateMkStream(ctx, key, "g", "0").Err(); err != nil {
		b.Fatalf("XGROUP CREATE = %v", err)
	}
	msgs := make([]queue.Message, benchBatch)
	b.ResetTimer()
	for lo := 0; lo < b.N; lo += benchChunk {
		hi := min(lo+benchChunk, b.N)
		b.StopTimer()
		if err := rc.XTrimMinID(ctx, key, benchEntryID(uint64(lo+1))).Err(); err != nil {
			b.Fatalf("XTRIM = %v", err)
		}
		for i := lo; i < hi; i += benchBatch {
			if err := rawXAdd(ctx, rc, key, benchMessages(msgs[:min(benchBatch, hi-i)], uint64(i+1))); err != nil {
				b.Fatalf("XADD = %v", err)
			}
		}
		b.StartTimer()
		for done := lo; done < hi; {
			n, err := consume(ctx)
			if err != nil || n == 0 {
				b.Fatalf("consume after %d of %d = %d, %v", done, b.N, n, err)
			}
			done += n
		}
	}
	b.StopTimer()
	reportRate(b)
}
