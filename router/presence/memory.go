package presence

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// Memory is the Presence of one process (the embedded default). Limits: it forgets
// everything when the process stops; agents' next heartbeats (seconds later) restore
// it. Safe for concurrent use.
type Memory struct {
	cfg Config
	now func() time.Time

	mu      sync.Mutex
	entries map[int64]*memEntry
}

type memEntry struct {
	Entry
	expires time.Time
}

var _ Presence = (*Memory)(nil)

// NewMemory returns an empty Memory reading time from now (time.Now when nil).
func NewMemory(cfg Config, now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	return &Memory{cfg: cfg.WithDefaults(), now: now, entries: map[int64]*memEntry{}}
}

func (m *Memory) clock() time.Time { return time.UnixMilli(m.now().UnixMilli()).UTC() }

// view returns e as it reads at now (an expired entry is offline).
func (e *memEntry) view(now time.Time) Entry {
	out := e.Entry
	if out.Status != Offline && expired(e.expires, now) {
		out.Status, out.Since = Offline, e.expires
	}
	return out
}

// Heartbeat implements Presence.
func (m *Memory) Heartbeat(_ context.Context, id int64, st Status) (bool, error) {
	if st != Online && st != Away {
		return false, ErrStatus
	}
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	if e == nil {
		e = &memEntry{Entry: Entry{UserID: id, Status: Offline}}
		m.entries[id] = e
	}
	changed := e.view(now).Status != st
	if changed {
		e.Status, e.Since = st, now
	}
	e.Seen, e.expires = now, now.Add(m.cfg.TTL)
	return changed, nil
}

// Leave implements Presence.
func (m *Memory) Leave(_ context.Context, id int64) (bool, error) {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	if e == nil || e.view(now).Status == Offline {
		return false, nil
	}
	e.Status, e.Since, e.expires = Offline, now, now
	return true, nil
}

// Get implements Presence.
func (m *Memory) Get(_ context.Context, ids []int64) (map[int64]Entry, error) {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[int64]Entry, len(ids))
	for _, id := range ids {
		if e := m.entries[id]; e != nil {
			out[id] = e.view(now)
		} else {
			out[id] = Entry{UserID: id, Status: Offline}
		}
	}
	return out, nil
}

// List implements Presence.
func (m *Memory) List(_ context.Context) ([]Entry, error) {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Entry, 0, len(m.entries))
	for _, e := range m.entries {
		out = append(out, e.view(now))
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Compare(a.UserID, b.UserID) })
	return out, nil
}

// Expire implements Presence.
func (m *Memory) Expire(_ context.Context) ([]int64, error) {
	now := m.clock()
	m.mu.Lock()
	defer m.mu.Unlock()
	var gone []int64
	for id, e := range m.entries {
		if e.Status != Offline && expired(e.expires, now) {
			e.Entry = e.view(now)
			gone = append(gone, id)
		}
		if e.Status == Offline && now.Sub(e.Since) > m.cfg.Retention {
			delete(m.entries, id)
		}
	}
	slices.Sort(gone)
	return gone, nil
}
