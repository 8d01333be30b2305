package teamqueue_test

import (
	"testing"

	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
	"github.com/frontdeskhq/frontdesk/router/teamqueue/teamqueuetest"
)

func TestMemoryConformance(t *testing.T) {
	teamqueuetest.Run(t, func(t *testing.T) teamqueue.Queue { return teamqueue.NewMemory() })
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.New(t)
	client := srv.Client(t)
	n := 0
	teamqueuetest.Run(t, func(t *testing.T) teamqueue.Queue {
		n++
		return teamqueue.NewRedis(client, srv.Prefix+string(rune('a'+n))+":")
	})
}
