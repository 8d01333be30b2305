package presence_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/presence/presencetest"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

func TestMemoryConformance(t *testing.T) {
	presencetest.Run(t, func(t *testing.T, cfg presence.Config, clock func() time.Time) presence.Presence {
		return presence.NewMemory(cfg, clock)
	})
}

func TestRedisConformance(t *testing.T) {
	srv := redistest.New(t)
	client := srv.Client(t)
	var n atomic.Int64
	presencetest.Run(t, func(t *testing.T, cfg presence.Config, clock func() time.Time) presence.Presence {
		return presence.NewRedis(client, fmt.Sprintf("%s%d:", srv.Prefix, n.Add(1)), cfg, clock)
	})
}

func TestConfig(t *testing.T) {
	if err := (presence.Config{}).WithDefaults().Validate(); err != nil {
		t.Errorf("Validate(defaults) = %v", err)
	}
	for _, c := range []presence.Config{{TTL: time.Millisecond, Retention: time.Hour}, {TTL: time.Minute, Retention: time.Second}} {
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
}
