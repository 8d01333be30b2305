package main

import (
	"time"

	"github.com/frontdeskhq/frontdesk/router"
	"github.com/frontdeskhq/frontdesk/router/presence"
	"github.com/frontdeskhq/frontdesk/router/teamqueue"
)

// newRouter builds the router on the app's bus backend: Redis team queues and presence
// when redis.url is set, in-process ones otherwise. It returns the modification time of
// the classifier model it loaded (zero when trained from the embedded dataset).
func (a *app) newRouter() (*router.Router, time.Time, error) {
	clf, source, modTime, err := loadClassifier(a.cfg)
	if err != nil {
		return nil, time.Time{}, err
	}
	var (
		q teamqueue.Queue
		p presence.Presence
	)
	if a.redis != nil {
		// Presence shares the queue's hash tag: the claim scripts read it.
		rp := presence.NewRedis(a.redis, a.cfg.Redis.Prefix+"{tq}", a.cfg.Router.Presence, nil)
		q, p = teamqueue.NewRedis(a.redis, a.cfg.Redis.Prefix).WithAvailability(rp.Keys()), rp
	} else {
		mp := presence.NewMemory(a.cfg.Router.Presence, nil)
		q, p = teamqueue.NewMemory(router.Available(mp)), mp
	}
	rt, err := router.New(a.cfg.Router, a.inbox, clf, q, p, a.log)
	if err != nil {
		return nil, time.Time{}, err
	}
	a.log.Info("router ready", "classifier", source, "rules", len(a.cfg.Router.Rules), "redis", a.redis != nil)
	return rt, modTime, nil
}
