package teamqueue_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
	"github.com/frontdeskhq/frontdesk/router/teamqueue/teamqueuetest"
)

// Available is the availability check of a MemoryQueue over a presence store.
func available(p presence.Presence) func(int64, time.Time) bool {
	return func(agent int64, _ time.Time) bool {
		m, err := p.Get(context.Background(), []int64{agent})
		return err == nil && m[agent].Status == presence.Online
	}
}

func TestMemoryConformance(t *testing.T) {
	teamqueuetest.Run(t, func(t *testing.T, clock func() time.Time) (teamqueue.Queue, presence.Presence) {
		p := presence.NewMemory(presence.Config{}, clock)
		return teamqueue.NewMemory(available(p)), p
	})
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.New(t)
	client := srv.Client(t)
	var n atomic.Int64
	teamqueuetest.Run(t, func(t *testing.T, clock func() time.Time) (teamqueue.Queue, presence.Presence) {
		prefix := fmt.Sprintf("%s%d:", srv.Prefix, n.Add(1))
		p := presence.NewRedis(client, prefix+"{tq}", presence.Config{}, clock)
		return teamqueue.NewRedis(client, prefix).WithAvailability(p.Keys()), p
	})
}

// BenchmarkMemoryPush re-queues conversations (a new message changes their priority)
// in a team queue holding 30,000 waiting conversations: a burst no agent keeps up with.
//
//	go test ./router/teamqueue -run XXX -bench MemoryPush
func BenchmarkMemoryPush(b *testing.B) {
	ctx := context.Background()
	q := teamqueue.NewMemory(nil)
	const waiting = 30000
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	entry := func(id int64, prio int) teamqueue.Entry {
		return teamqueue.Entry{ConversationID: id, Team: 1, Priority: prio, Since: at.Add(time.Duration(id) * time.Millisecond), Channel: "webchat", Language: "fr"}
	}
	for id := int64(1); id <= waiting; id++ {
		if err := q.Push(ctx, entry(id, int(id%100))); err != nil {
			b.Fatal(err)
		}
	}
	i := int64(0)
	for b.Loop() {
		i++
		if err := q.Push(ctx, entry(1+i*7919%waiting, int(i%100))); err != nil {
			b.Fatal(err)
		}
	}
}
