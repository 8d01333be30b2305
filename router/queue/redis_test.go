package queue_test

import (
	"log/slog"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/router/queue/queuetest"
	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

// newRedis is the queuetest factory of RedisBus: a fresh Redis (or key prefix) per bus.
func newRedis(t *testing.T, opts queue.Options) queue.Bus {
	s := redistest.New(t)
	return queue.NewRedis(s.Client(t), s.Prefix, opts, testLogger(t))
}

// testLogger logs through t, so a failing test shows what the bus said.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// tWriter writes log lines to t.Log.
type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(string(p))
	return len(p), nil
}

func TestRedisConformance(t *testing.T) {
	queuetest.Run(t, newRedis)
}
