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
