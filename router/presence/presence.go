// Package presence tracks whether agents are online, away or offline, from the
// heartbeats of their browser tabs.
//
// How the web layer uses it: while an agent's tab is open, its websocket sends a
// heartbeat every few seconds (well within TTL) with the status the agent chose, online
// or away; the server calls Heartbeat for each. Closing the last tab, or logging out,
// calls Leave. An agent whose heartbeats stop (network lost, laptop closed) turns
// offline TTL after the last one. The router reads presence to assign conversations
// (never to an away or offline agent) and sweeps it periodically with Expire; it
// returns the conversations of agents who went offline to their queues.
//
// Contract, shared by the implementations and checked by presencetest.Run:
//   - Heartbeat(online|away) makes the agent that status until TTL after the
//     heartbeat; Since is when the status last changed, Seen the last heartbeat.
//   - An agent whose heartbeat expired reads as offline at once, before any sweep,
//     with Since set to the expiry time.
//   - Leave makes the agent offline now.
//   - Expire records expired agents as offline and returns each of them once, even
//     with several instances sweeping; it forgets agents offline for longer than the
//     retention.
//   - Time comes from the clock given at construction, so tests fake it.
package presence

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Status is an agent's availability.
type Status string

// Statuses.
const (
	Online  Status = "online"
	Away    Status = "away"
	Offline Status = "offline"
)

// Entry is an agent's presence.
type Entry struct {
	UserID int64  `json:"user_id"`
	Status Status `json:"status"`
	// Since is when the status began.
	Since time.Time `json:"since"`
	// Seen is the last heartbeat.
	Seen time.Time `json:"seen"`
}

// ErrStatus rejects a heartbeat with a status other than online or away.
var ErrStatus = errors.New("presence: status must be online or away")

// Presence is the contract of the presence stores. Implementations are safe for
// concurrent use.
type Presence interface {
	// Heartbeat records that the agent is there with status Online or Away, and reports
	// whether the status changed.
	Heartbeat(ctx context.Context, userID int64, status Status) (bool, error)
	// Leave makes the agent offline now, and reports whether the status changed.
	Leave(ctx context.Context, userID int64) (bool, error)
	// Get returns the presence of each agent; an unknown agent is Offline with zero
	// times.
	Get(ctx context.Context, userIDs []int64) (map[int64]Entry, error)
	// List returns every known agent (online, away, or offline within the retention).
	List(ctx context.Context) ([]Entry, error)
	// Expire records agents whose heartbeat expired as offline and returns them, and
	// forgets those offline for longer than the retention.
	Expire(ctx context.Context) ([]int64, error)
}

// Config is the presence section of the router configuration.
type Config struct {
	// TTL is how long a heartbeat keeps an agent present.
	TTL time.Duration `yaml:"ttl"`
	// Retention is how long an offline agent stays listed (and their conversations are
	// kept returned to the queue) before being forgotten.
	Retention time.Duration `yaml:"retention"`
}

// Defaults for Config.
const (
	// DefaultTTL: three missed heartbeats at the agent app's 10-second interval.
	DefaultTTL = 30 * time.Second
	// DefaultRetention: an hour covers a lost connection and a crash of the router
	// between an agent going offline and their conversations returning to the queue.
	DefaultRetention = time.Hour
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	if c.TTL < time.Second {
		return fmt.Errorf("router.presence.ttl: %v is below 1s", c.TTL)
	}
	if c.Retention < c.TTL {
		return errors.New("router.presence.retention: must be at least the ttl")
	}
	return nil
}

// present reports whether a stored entry with that expiry still counts at now.
func expired(exp, now time.Time) bool { return !exp.After(now) }
