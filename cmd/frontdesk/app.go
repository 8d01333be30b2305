package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/blob"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// app is the hub's wired core: store, blobs, inbox service and, for serve, the bus.
type app struct {
	cfg      config
	log      *slog.Logger
	store    *store.SQLite
	blobs    *blob.Dir
	inbox    *inbox.Service
	registry *prometheus.Registry
	metrics  *metrics
	// wake is signalled after each commit, to wake the outbox relay.
	wake chan struct{}

	bus   queue.Bus
	redis *redis.Client
}

// openApp opens the data folder, the store (migrating it) and the inbox service.
func openApp(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	a := &app{cfg: cfg, log: log, registry: prometheus.NewRegistry(), wake: make(chan struct{}, 1)}
	a.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.metrics = newMetrics(a.registry)
	wake := func() {
		select {
		case a.wake <- struct{}{}:
		default:
		}
	}
	var err error
	if a.store, err = store.Open(ctx, cfg.Store, cfg.DataDir, log, store.WithCommitHook(wake)); err != nil {
		return nil, err
	}
	if a.blobs, err = blob.Open(filepath.Join(cfg.DataDir, "blobs")); err != nil {
		a.store.Close()
		return nil, err
	}
	// SLA clocks stopped while a conversation waits for its contact count the desk's
	// opening time, as the router's deadlines do.
	hours, err := calendar.New(cfg.Router.SLA.Hours.WithDefaults())
	if err != nil {
		a.store.Close()
		return nil, fmt.Errorf("router.sla.business_hours: %w", err)
	}
	a.inbox = inbox.New(a.store, a.blobs, cfg.Inbox, log, inbox.WithObserver(a.metrics), inbox.WithOpeningTime(hours))
	return a, nil
}

// openBus connects the event bus: Redis Streams when redis.url is set, else in-process.
func (a *app) openBus(ctx context.Context) error {
	opts := a.cfg.Bus.Options()
	if a.cfg.Redis.URL == "" {
		a.bus = queue.NewMemory(opts)
		a.log.Info("event bus: in-process")
		return nil
	}
	ropts, err := redis.ParseURL(a.cfg.Redis.URL)
	if err != nil {
		return fmt.Errorf("redis.url: %w", err)
	}
	a.redis = redis.NewClient(ropts)
	if err := a.redis.Ping(ctx).Err(); err != nil {
		// Not fatal: consumers and the relay retry until Redis answers, and /readyz
		// says it is down meanwhile.
		a.log.Warn("redis not reachable yet; will keep trying", "url", queue.Masked(a.cfg.Redis.URL), "err", err)
	}
	a.bus = queue.NewRedis(a.redis, a.cfg.Redis.Prefix, opts, a.log)
	a.log.Info("event bus: redis streams", "url", queue.Masked(a.cfg.Redis.URL), "prefix", a.cfg.Redis.Prefix)
	return nil
}

// close releases everything, the store last so that pending writes finish.
func (a *app) close() error {
	var errs []error
	if c, ok := a.bus.(interface{ Close() error }); ok {
		errs = append(errs, c.Close())
	}
	if a.redis != nil {
		errs = append(errs, a.redis.Close())
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}
