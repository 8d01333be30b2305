package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/channels/slack"
	"github.com/frontdeskhq/frontdesk/channels/webchat"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router"
	"github.com/frontdeskhq/frontdesk/router/notify"
	"github.com/frontdeskhq/frontdesk/router/outbound"
	"github.com/frontdeskhq/frontdesk/router/outbox"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/search"
	"github.com/frontdeskhq/frontdesk/web"
	"github.com/frontdeskhq/frontdesk/web/realtime"
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
		if idx, err = openSearch(ctx, cfg, a.store, log); err != nil {
			return err
		}
		defer idx.Close()
	}

	groups := []string{outbound.Group, notify.Group, search.Group}
	if !cfg.Router.Disabled {
		groups = append(groups, router.Group)
	}
	senders := map[string]channels.Sender{}
	routes, err := wireTelephony(cfg, a, senders, log)
	if err != nil {
		return err
	}
	var slackHub *slack.Hub
	var staffDMs channels.Sender
	if cfg.Slack.Enabled() {
		if slackHub, err = slack.New(cfg.Slack, a.inbox, a.store, log); err != nil {
			return err
		}
		senders[channels.Slack] = slackHub
		staffDMs = slackHub.StaffDMs()
		routes = append(routes, web.Route{Pattern: slack.EventsPattern, Handler: slackHub.Handler()})
		if slackHub.Mirrors() {
			groups = append(groups, slack.MirrorGroup)
		}
	}
	relay := outbox.New(a.store, a.bus, outbox.Config{Groups: groups, Wake: a.wake}, log)
	mail, err := openEmail(a)
	if err != nil {
		return err
	}
	var mailParts []component
	var mailboxes web.Mailboxes
	if mail != nil {
		if s := mail.Sender(); s != nil {
			senders[channels.Email] = s
		}
		if mailParts, err = emailComponents(mail); err != nil {
			return err
		}
		mailboxes = mail
	}
	var rt *router.Router
	var modelTime time.Time
	var sink realtime.PresenceSink
	if !cfg.Router.Disabled {
		if rt, modelTime, err = a.newRouter(); err != nil {
			return err
		}
		sink = presenceBridge{rt: rt, users: a.store}
	}
	// The realtime hub knows who has the inbox open; the router assigns by it.
	hub := realtime.New(realtime.Config{}, a.store, sink, log)
	chat, err := webchat.New(cfg.Webchat, webchat.Deps{
		Inbox: a.inbox, Blobs: a.blobs, Logger: log, PublicURL: cfg.Server.PublicURL,
		Availability: hub, Typing: hub, Email: senders[channels.Email],
	})
	if err != nil {
		return err
	}
	senders[channels.Webchat] = chat.Sender()
	for _, r := range chat.Routes() {
		routes = append(routes, web.Route{Pattern: r.Pattern, Handler: r.Handler})
	}
	busOpts := cfg.Bus.Options()
	worker := outbound.New(a.inbox, senders, busOpts.MaxAttempts, log, outbound.WithSendTimeout(busOpts.VisibilityTimeout/2))
	notifier, err := notify.New(a.inbox, phoneMessageNotifiers(senders, staffDMs), cfg.PhoneMessages, cfg.Bus.Options().MaxAttempts, log)
	if err != nil {
		return err
	}

	checks := []web.Check{{Name: "store", Fn: a.store.Ping}}
	if a.redis != nil {
		checks = append(checks, web.Check{Name: "redis", Fn: a.bus.Ping})
	}
	deps := web.Deps{Inbox: a.inbox, Logger: log, Checks: checks, Registry: a.registry,
		Hub: hub, Typing: chat, Blobs: a.blobs, Routes: routes, Mailboxes: mailboxes, SavedSearches: a.inbox}
	if rt != nil {
		deps.Router = rt
	}
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
	fmt.Fprintf(e.stdout, "Agents sign in at %s/login.\n", url)
	if demoLogin != nil {
		fmt.Fprintf(e.stdout, "Demo login: %s / %s (agent), %s (supervisor), same password.\n",
			demoLogin.agent, demoLogin.password, demoLogin.supervisor)
		fmt.Fprintf(e.stdout, "Chat as a visitor on the demo website: %s/demo/site\n", url)
	}

	host, _ := os.Hostname()
	consumerName := host + "-" + strconv.Itoa(os.Getpid())
	// Every instance pushes every event to its own agents: with Redis, each has its own
	// realtime group. It is not among the relay's groups: a browser that misses events
	// reloads, so realtime never holds events back in the store.
	realtimeGroup := realtime.Group
	if a.redis != nil {
		realtimeGroup += "-" + host
	}
	// Realtime's group is watched too: its lag is how late agents' screens are.
	a.registry.MustRegister(newBusCollector(a.bus, inbox.Stream, append(slices.Clone(groups), realtimeGroup), relay))
	parts := []component{
		{"web", func(ctx context.Context) error { return srv.Serve(ctx, ln) }},
		{"outbox", relay.Run},
		{"webchat", chat.Run},
		{"outbound", queue.NewConsumer(a.bus, queue.ConsumerConfig{
			Stream: inbox.Stream, Group: outbound.Group, Name: consumerName,
		}, worker.Handle, log).Run},
		{"realtime", queue.NewConsumer(a.bus, queue.ConsumerConfig{
			Stream: inbox.Stream, Group: realtimeGroup, Name: consumerName, Block: time.Second,
		}, hub.Handle, log).Run},
		{"presence", hub.Run},
		{"housekeeping", func(ctx context.Context) error { return housekeeping(ctx, a.inbox, log) }},
		{"notify", queue.NewConsumer(a.bus, queue.ConsumerConfig{
			Stream: inbox.Stream, Group: notify.Group, Name: consumerName,
		}, notifier.Handle, log).Run},
		{"overdue", notify.NewSweeper(a.inbox, cfg.PhoneMessages.OverdueCheck, log).Run},
	}
	if rt != nil {
		parts = append(parts,
			component{"router", queue.NewConsumer(a.bus, queue.ConsumerConfig{
				Stream: inbox.Stream, Group: router.Group, Name: consumerName, BatchSize: router.BatchSize,
			}, rt.Handle, log).Run},
			component{"router-jobs", rt.Run},
			component{"classifier-reload", watchModel(cfg, rt, modelTime, log)})
	}
	parts = append(parts, slackParts(slackHub, a, consumerName, log)...)
	parts = append(parts, mailParts...)
	if idx != nil {
		parts = append(parts, component{"indexer", search.NewIndexer(idx, a.store, a.bus, cfg.Search, consumerName, log,
			search.WithIndexerObserver(newIndexerMetrics(a.registry))).Run})
	}
	// Start-up (the demo's password hashes take 19 MiB each, migrations, templates)
	// leaves garbage the runtime would hand back to the system only minutes later:
	// return it now, so an idle hub is small from the start.
	debug.FreeOSMemory()
	g, gctx := errgroup.WithContext(ctx)
	for _, p := range parts {
		g.Go(func() error { return guard(gctx, log, p) })
	}
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// presenceBridge tells the router the agents' presence as the realtime hub sees it
// from their browser tabs.
type presenceBridge struct {
	rt    *router.Router
	users interface {
		User(ctx context.Context, id int64) (inbox.User, error)
	}
}

// SetPresence implements realtime.PresenceSink.
func (b presenceBridge) SetPresence(ctx context.Context, userID int64, status string) error {
	u, err := b.users.User(ctx, userID)
	if err != nil {
		return err
	}
	if status == realtime.Offline {
		return b.rt.Leave(ctx, u)
	}
	_, err = b.rt.Heartbeat(ctx, u, presence.Status(status))
	return err
}

// housekeeping wakes snoozed conversations every 15 seconds and purges expired
// sessions every hour, until ctx ends.
func housekeeping(ctx context.Context, svc *inbox.Service, log *slog.Logger) error {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	var lastPurge time.Time
	for {
		if n, err := svc.WakeSnoozed(ctx); err != nil && ctx.Err() == nil {
			log.Warn("wake snoozed conversations", "err", err)
		} else if n > 0 {
			log.Info("snoozed conversations reopened", "count", n)
		}
		if time.Since(lastPurge) >= time.Hour {
			lastPurge = time.Now()
			if n, err := svc.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
				log.Warn("purge sessions", "err", err)
			} else if n > 0 {
				log.Info("expired sessions purged", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
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
