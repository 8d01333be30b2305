package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/outbound"
	"github.com/frontdeskhq/frontdesk/router/outbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/search"
	"github.com/frontdeskhq/frontdesk/web"
)

// component is a long-running part of the hub.
type component struct {
	name string
	run  func(ctx context.Context) error
}

// runServe runs the hub until SIGINT or SIGTERM: the HTTP server, the outbox relay and
// the workers. On the signal it stops accepting requests, lets in-flight requests and
// batches finish, then closes the store.
func runServe(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "serve", &c)
	addr := fs.String("addr", "", "listen `address` host:port (default 127.0.0.1:8080)")
	demo := fs.Bool("demo", false, "load the demo data (idempotent) and print the demo login")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
		if err := cfg.Server.Validate(); err != nil {
			return fmt.Errorf("%w: --addr: %v", errUsage, err)
		}
	}
	log := newLogger(cfg.Log, e.stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := a.close(); err != nil {
			log.Error("close", "err", err)
		}
	}()
	var demoLogin *demoSummary
	if *demo {
		s, err := loadDemo(ctx, a)
		if err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
		demoLogin = &s
	}
	if err := a.openBus(ctx); err != nil {
		return err
	}

	var idx *search.Index
	if !cfg.Search.Disabled {
		if idx, err = openSearch(cfg, a.store, log); err != nil {
			return err
		}
		defer idx.Close()
	}

	groups := []string{outbound.Group, search.Group}
	relay := outbox.New(a.store, a.bus, outbox.Config{Groups: groups, Wake: a.wake}, log)
	a.registry.MustRegister(newBusCollector(a.bus, inbox.Stream, groups, relay))
	worker := outbound.New(a.inbox, map[string]channels.Sender{}, cfg.Bus.Options().MaxAttempts, log)

	checks := []web.Check{{Name: "store", Fn: a.store.Ping}}
	if a.redis != nil {
		checks = append(checks, web.Check{Name: "redis", Fn: a.bus.Ping})
	}
	deps := web.Deps{Inbox: a.inbox, Logger: log, Checks: checks, Registry: a.registry, SavedSearches: a.inbox}
	if idx != nil {
		deps.Search = idx
	}
	srv, err := web.New(cfg.Server, deps)
	if err != nil {
		return err
	}
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	url := cfg.Server.URL()
	if cfg.Server.PublicURL == "" {
		url = "http://" + ln.Addr().String() // the real port when :0 was asked
	}
	fmt.Fprintf(e.stdout, "Frontdesk is running at %s (data in %s). Stop with Ctrl+C.\n", url, cfg.DataDir)
	if demoLogin != nil {
		fmt.Fprintf(e.stdout, "Demo login: %s / %s (agent), %s (supervisor), same password.\n",
			demoLogin.agent, demoLogin.password, demoLogin.supervisor)
	}

	host, _ := os.Hostname()
	consumerName := host + "-" + strconv.Itoa(os.Getpid())
	parts := []component{
		{"web", func(ctx context.Context) error { return srv.Serve(ctx, ln) }},
		{"outbox", relay.Run},
		{"outbound", queue.NewConsumer(a.bus, queue.ConsumerConfig{
			Stream: inbox.Stream, Group: outbound.Group, Name: consumerName,
		}, worker.Handle, log).Run},
	}
	if idx != nil {
		parts = append(parts, component{"indexer", search.NewIndexer(idx, a.store, a.bus, cfg.Search, consumerName, log,
			search.WithIndexerObserver(newIndexerMetrics(a.registry))).Run})
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range parts {
		g.Go(func() error { return guard(gctx, log, p) })
	}
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// guard runs a component, turning a panic into an error that stops the hub.
func guard(ctx context.Context, log *slog.Logger, c component) (err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("component panicked", "component", c.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: panic: %v", c.name, p)
		}
	}()
	if err := c.run(ctx); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}
