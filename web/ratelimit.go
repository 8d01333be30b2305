package web

import (
	"sync"
	"time"
)

// limiter counts events per key in fixed windows and says when a key is over its limit.
// It is how login failures are throttled per address and per account. Safe for
// concurrent use; in memory, so each instance counts for itself.
type limiter struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(limit int, w time.Duration, now func() time.Time) *limiter {
	return &limiter{limit: limit, window: w, now: now, hits: map[string]*window{}}
}

// blocked reports whether key reached its limit in the current window, and for how
// long it stays blocked.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.hits[key]
	if !ok {
		return false, 0
	}
	left := w.start.Add(l.window).Sub(l.now())
	if left <= 0 {
		delete(l.hits, key)
		return false, 0
	}
	return w.n >= l.limit, left
}

// add counts one event for key.
func (l *limiter) add(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.hits[key]
	if !ok || now.Sub(w.start) >= l.window {
		if len(l.hits) > 100_000 {
			l.sweep(now)
		}
		l.hits[key] = &window{start: now, n: 1}
		return
	}
	w.n++
}

// reset forgets key (after a successful login).
func (l *limiter) reset(key string) {
	l.mu.Lock()
	delete(l.hits, key)
	l.mu.Unlock()
}

// sweep drops finished windows; called with the lock held.
func (l *limiter) sweep(now time.Time) {
	for k, w := range l.hits {
		if now.Sub(w.start) >= l.window {
			delete(l.hits, k)
		}
	}
}
