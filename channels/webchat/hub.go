package webchat

import "sync"

// visitorKey names a visitor on a site: the same browser is a different visitor on
// each site.
type visitorKey struct{ site, visitor string }

// hub indexes the live sockets of this process by visitor and remembers which visitor
// each known conversation belongs to. Safe for concurrent use.
type hub struct {
	mu     sync.RWMutex
	conns  map[visitorKey]map[*conn]struct{}
	byConv map[int64]visitorKey
	convs  map[visitorKey][]int64 // the conversations bound to each live visitor
}

func newHub() *hub {
	return &hub{conns: map[visitorKey]map[*conn]struct{}{}, byConv: map[int64]visitorKey{}, convs: map[visitorKey][]int64{}}
}

func (h *hub) add(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.conns[c.key]
	if set == nil {
		set = map[*conn]struct{}{}
		h.conns[c.key] = set
	}
	set[c] = struct{}{}
}

// remove drops c and reports whether it was the visitor's last socket.
func (h *hub) remove(c *conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.conns[c.key]
	delete(set, c)
	if len(set) > 0 {
		return false
	}
	delete(h.conns, c.key)
	for _, id := range h.convs[c.key] {
		delete(h.byConv, id)
	}
	delete(h.convs, c.key)
	return true
}

// bind records that conversation id is the visitor's.
func (h *hub) bind(id int64, k visitorKey) {
	if id == 0 {
		return
	}
	h.mu.RLock()
	same := h.byConv[id] == k
	h.mu.RUnlock()
	if same {
		return
	}
	h.mu.Lock()
	if _, live := h.conns[k]; live {
		if old, ok := h.byConv[id]; ok && old != k {
			h.mu.Unlock()
			return // a conversation belongs to one visitor; never rebind
		}
		h.byConv[id] = k
		h.convs[k] = append(h.convs[k], id)
	}
	h.mu.Unlock()
}

// sockets returns the visitor's live sockets.
func (h *hub) sockets(k visitorKey) []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	set := h.conns[k]
	out := make([]*conn, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	return out
}

// conversation returns the visitor a conversation belongs to, if one of its sockets is
// live.
func (h *hub) conversation(id int64) (visitorKey, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	k, ok := h.byConv[id]
	return k, ok
}

// siteSockets returns the live sockets of every visitor of site.
func (h *hub) siteSockets(site string) []*conn {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []*conn
	for k, set := range h.conns {
		if k.site == site {
			for c := range set {
				out = append(out, c)
			}
		}
	}
	return out
}
