package queue

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryBus is the in-process Bus used by the embedded default (one process, SQLite).
//
// Limits: it is not durable, and it serves one process only. Everything it holds is lost
// when the process stops; durability across restarts comes from the outbox in the SQL
// store, whose relay republishes what the bus lost (LastID of a new MemoryBus is 0). A
// stream keeps every entry until Trim, whether or not a group reads it.
//
// Payloads are copied on Publish, and the deliveries of one entry to several groups share
// that copy: treat Delivery.Payload as read-only.
//
// A MemoryBus is safe for concurrent use. Each stream has its own lock, so streams do not
// contend with each other. A blocking Read waits on a channel that the next Publish to the
// stream closes, or on a timer for the next pending entry to pass its visibility timeout;
// it never polls. Time is read with the time package, so tests drive it with
// testing/synctest.
type MemoryBus struct {
	opts Options

	mu      sync.RWMutex // guards streams
	streams map[string]*memStream

	closed    atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed by Close
}

var _ Bus = (*MemoryBus)(nil)

// memStream is one stream: its retained entries, its groups and its dead letters.
type memStream struct {
	mu      sync.Mutex
	entries []Message // retained entries, ascending ID
	lastID  uint64    // highest ID ever published, kept across Trim
	groups  map[string]*memGroup
	dead    []Delivery
	// notify is closed, and set to nil, by the next Publish that adds an entry. A
	// blocked Read creates it when it is nil.
	notify chan struct{}
}

// memGroup is one consumer group of a memStream.
type memGroup struct {
	lastDelivered uint64 // highest ID delivered as a new entry
	pending       map[uint64]*memPending
	// head and tail of the pending entries ordered by last delivery time, oldest first,
	// so stale entries are found at the head without scanning.
	head, tail *memPending
}

// memPending is an entry delivered to a group and not yet acknowledged.
type memPending struct {
	msg        Message
	count      int       // deliveries so far
	at         time.Time // last delivery
	prev, next *memPending
}

// NewMemory returns an empty MemoryBus. Zero fields of opts take their defaults.
func NewMemory(opts Options) *MemoryBus {
	return &MemoryBus{
		opts:    opts.withDefaults(),
		streams: make(map[string]*memStream),
		done:    make(chan struct{}),
	}
}

// Close releases the bus: blocked Reads return ErrClosed, and so does every later call.
// It is idempotent and always returns nil.
func (b *MemoryBus) Close() error {
	b.closeOnce.Do(func() {
		b.closed.Store(true)
		close(b.done)
	})
	return nil
}

// stream returns the named stream, creating it if create is set; otherwise it may
// return nil.
func (b *MemoryBus) stream(name string, create bool) *memStream {
	b.mu.RLock()
	s := b.streams[name]
	b.mu.RUnlock()
	if s != nil || !create {
		return s
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s = b.streams[name]; s == nil {
		s = &memStream{groups: make(map[string]*memGroup)}
		b.streams[name] = s
	}
	return s
}

// group returns the named group of s, creating it at the start of the stream if needed.
// The caller holds s.mu.
func (s *memStream) group(name string) *memGroup {
	g := s.groups[name]
	if g == nil {
		g = &memGroup{pending: make(map[uint64]*memPending)}
		s.groups[name] = g
	}
	return g
}

// Publish implements Bus.
func (b *MemoryBus) Publish(ctx context.Context, stream string, msgs ...Message) error {
	return b.PublishAfter(ctx, stream, 0, msgs...)
}

// PublishAfter implements Bus. A memory stream loses nothing while the process lives,
// so ErrGap only comes from a caller whose after is ahead of the stream.
func (b *MemoryBus) PublishAfter(_ context.Context, stream string, after uint64, msgs ...Message) error {
	if err := checkIDs(msgs); err != nil {
		return fmt.Errorf("queue: publish to %q: %w", stream, err)
	}
	if b.closed.Load() {
		return ErrClosed
	}
	// Copy every payload into one allocation, outside the lock.
	size := 0
	for _, m := range msgs {
		size += len(m.Payload)
	}
	slab := make([]byte, 0, size)

	s := b.stream(stream, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastID < after {
		return fmt.Errorf("queue: publish to %q after %d: last id %d: %w", stream, after, s.lastID, ErrGap)
	}
	added := false
	for _, m := range msgs {
		if m.ID <= s.lastID {
			continue
		}
		start := len(slab)
		slab = append(slab, m.Payload...)
		m.Payload = slab[start:len(slab):len(slab)]
		s.entries = append(s.entries, m)
		s.lastID = m.ID
		added = true
	}
	if added && s.notify != nil {
		close(s.notify)
		s.notify = nil
	}
	return nil
}

// EnsureGroup implements Bus.
func (b *MemoryBus) EnsureGroup(_ context.Context, stream, group string) error {
	if b.closed.Load() {
		return ErrClosed
	}
	s := b.stream(stream, true)
	s.mu.Lock()
	s.group(group)
	s.mu.Unlock()
	return nil
}

// Read implements Bus. It returns ctx's error, wrapped, once ctx is done.
func (b *MemoryBus) Read(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]Delivery, error) {
	if max <= 0 {
		return nil, fmt.Errorf("queue: read %s/%s: max is %d, want > 0", stream, group, max)
	}
	deadline := time.Now().Add(block)
	s := b.stream(stream, true)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("queue: read %s/%s: %w", stream, group, err)
		}
		if b.closed.Load() {
			return nil, ErrClosed
		}
		s.mu.Lock()
		g := s.group(group)
		now := time.Now()
		out := s.collect(g, max, now, b.opts)
		if len(out) > 0 || !now.Before(deadline) {
			s.mu.Unlock()
			if out == nil {
				out = []Delivery{}
			}
			return out, nil
		}
		wait := deadline.Sub(now)
		if g.head != nil {
			if stale := g.head.at.Add(b.opts.VisibilityTimeout).Sub(now); stale < wait {
				wait = stale
			}
		}
		if s.notify == nil {
			s.notify = make(chan struct{})
		}
		notify := s.notify
		s.mu.Unlock()

		if timer == nil {
			timer = time.NewTimer(wait)
		} else {
			timer.Reset(wait)
		}
		select {
		case <-notify:
		case <-timer.C:
		case <-ctx.Done():
		case <-b.done:
		}
	}
}

// collect takes up to max deliveries for g at time now: stale pending entries first
// (dead-lettering those out of attempts), then new entries. The caller holds s.mu.
func (s *memStream) collect(g *memGroup, max int, now time.Time, opts Options) []Delivery {
	var out []Delivery
	for p := g.head; p != nil && len(out) < max; {
		if now.Sub(p.at) < opts.VisibilityTimeout {
			break // the list is ordered by delivery time: the rest is younger
		}
		next := p.next
		g.unlink(p)
		if p.count >= opts.MaxAttempts {
			delete(g.pending, p.msg.ID)
			s.dead = append(s.dead, Delivery{Message: p.msg, Attempt: p.count})
		} else {
			p.count++
			p.at = now
			g.pushBack(p)
			out = append(out, Delivery{Message: p.msg, Attempt: p.count})
		}
		p = next
	}
	if len(out) >= max {
		return out
	}
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].ID > g.lastDelivered })
	n := min(max-len(out), len(s.entries)-i)
	if n == 0 {
		return out
	}
	if out == nil {
		out = make([]Delivery, 0, n)
	}
	ps := make([]memPending, n) // one allocation for the whole batch
	for j := range ps {
		m := s.entries[i+j]
		p := &ps[j]
		p.msg, p.count, p.at = m, 1, now
		g.pending[m.ID] = p
		g.pushBack(p)
		out = append(out, Delivery{Message: m, Attempt: 1})
	}
	g.lastDelivered = s.entries[i+n-1].ID
	return out
}

// pushBack appends p to the delivery-time list of g.
func (g *memGroup) pushBack(p *memPending) {
	p.prev, p.next = g.tail, nil
	if g.tail != nil {
		g.tail.next = p
	} else {
		g.head = p
	}
	g.tail = p
}

// unlink removes p from the delivery-time list of g.
func (g *memGroup) unlink(p *memPending) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		g.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		g.tail = p.prev
	}
	p.prev, p.next = nil, nil
}

// Ack implements Bus.
func (b *MemoryBus) Ack(_ context.Context, stream, group string, ids ...uint64) error {
	if b.closed.Load() {
		return ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		return nil
	}
	for _, id := range ids {
		if p := g.pending[id]; p != nil {
			g.unlink(p)
			p.msg = Message{} // let the payload go once the stream is trimmed
			delete(g.pending, id)
		}
	}
	return nil
}

// Watermark implements Bus.
func (b *MemoryBus) Watermark(_ context.Context, stream, group string) (uint64, error) {
	if b.closed.Load() {
		return 0, ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		return 0, nil
	}
	w := g.lastDelivered + 1
	for id := range g.pending {
		w = min(w, id)
	}
	return w, nil
}

// Stats implements Bus. A group that does not exist has zero stats.
func (b *MemoryBus) Stats(_ context.Context, stream, group string) (GroupStats, error) {
	if b.closed.Load() {
		return GroupStats{}, ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return GroupStats{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[group]
	if g == nil {
		return GroupStats{}, nil
	}
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].ID > g.lastDelivered })
	return GroupStats{Lag: int64(len(s.entries) - i), Pending: int64(len(g.pending))}, nil
}

// LastID implements Bus.
func (b *MemoryBus) LastID(_ context.Context, stream string) (uint64, error) {
	if b.closed.Load() {
		return 0, ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastID, nil
}

// Trim implements Bus. It clears the dropped entries so their payloads can be freed; the
// array behind them goes at the next growth of the stream.
func (b *MemoryBus) Trim(_ context.Context, stream string, below uint64) error {
	if b.closed.Load() {
		return ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	i := sort.Search(len(s.entries), func(i int) bool { return s.entries[i].ID >= below })
	clear(s.entries[:i])
	if s.entries = s.entries[i:]; len(s.entries) == 0 {
		s.entries = nil
	}
	return nil
}

// DeadLetters implements Bus.
func (b *MemoryBus) DeadLetters(_ context.Context, stream string, max int) ([]Delivery, error) {
	if max <= 0 {
		return nil, fmt.Errorf("queue: dead letters of %q: max is %d, want > 0", stream, max)
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s := b.stream(stream, false)
	if s == nil {
		return []Delivery{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery{}, s.dead[:min(max, len(s.dead))]...), nil
}

// Ping implements Bus: it fails only after Close.
func (b *MemoryBus) Ping(context.Context) error {
	if b.closed.Load() {
		return ErrClosed
	}
	return nil
}
