// Package realtime pushes inbox events to agents' browsers and carries what agents tell
// each other live: who is viewing or typing in a conversation, and who is online.
//
// The Hub is a consumer of the event bus (group "realtime"): every committed change
// reaches it in bus order. It keeps the most recent events in a ring buffer so that a
// browser that reconnects with the last event id it saw gets exactly what it missed, in
// order, with no duplicate; when that id has left the buffer (or the hub restarted) the
// browser is told to reset and reloads its state from the API.
//
// Every event is filtered per agent with inbox.CanSee on the conversation's team and
// assignee, before and after an update, so nothing reaches an agent who may not see the
// conversation. Messages are attached to events only for agents viewing the
// conversation; the others get ids and refresh what they show.
//
// Limits: the buffer and the live state are per process. With several hub instances on
// Redis, each instance runs its own realtime group member and sees every durable event,
// but typing, viewing and presence are only shared among agents connected to the same
// instance.
package realtime

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Group is the bus consumer group of the hub.
const Group = "realtime"

// Event types pushed to agents besides the inbox topics.
const (
	TypeTyping   = "typing"
	TypeViewing  = "viewing"
	TypePresence = "presence"
	TypeReset    = "reset"
	TypeHello    = "hello"
)

// Presence statuses.
const (
	Online  = "online"
	Away    = "away"
	Offline = "offline"
)

// Event is what an agent's browser receives.
type Event struct {
	// ID is the bus event id of durable events (inbox changes), 0 for live ones
	// (typing, viewing, presence).
	ID             uint64            `json:"id,omitempty"`
	Type           string            `json:"type"`
	ConversationID int64             `json:"conversation_id,omitempty"`
	MessageID      int64             `json:"message_id,omitempty"`
	Kind           inbox.MessageKind `json:"kind,omitempty"`
	Channel        string            `json:"channel,omitempty"`
	Status         inbox.Status      `json:"status,omitempty"`
	TeamID         int64             `json:"team_id,omitempty"`
	AssigneeID     int64             `json:"assignee_id,omitempty"`
	Changed        []string          `json:"changed,omitempty"`
	ActorUserID    int64             `json:"actor_user_id,omitempty"`
	// UserID, Name and State describe live events: who types, views or is present,
	// and "on"/"off" or a presence status.
	UserID int64  `json:"user_id,omitempty"`
	Name   string `json:"name,omitempty"`
	State  string `json:"state,omitempty"`
	// Message is attached for agents viewing the conversation.
	Message *inbox.Message `json:"message,omitempty"`
	// PhoneMessageID and Urgency describe phone_message.* events.
	PhoneMessageID int64         `json:"phone_message_id,omitempty"`
	Urgency        inbox.Urgency `json:"urgency,omitempty"`
	At             time.Time     `json:"at"`

	prevTeamID, prevAssigneeID int64
	// audience, when set, decides who receives the event instead of the conversation.
	audience func(inbox.User) bool
}

// visibleTo reports whether u may receive e.
func (e *Event) visibleTo(u inbox.User) bool {
	if u.Disabled {
		return false
	}
	if e.audience != nil {
		return e.audience(u)
	}
	if e.ConversationID == 0 {
		return true
	}
	return inbox.CanSee(u, inbox.Conversation{TeamID: e.TeamID, AssigneeID: e.AssigneeID}) ||
		(e.prevTeamID != 0 || e.prevAssigneeID != 0) && inbox.CanSee(u, inbox.Conversation{TeamID: e.prevTeamID, AssigneeID: e.prevAssigneeID})
}

// Messages loads a message to attach to events for viewers (the store's reader: the hub
// checks visibility itself).
type Messages interface {
	Message(ctx context.Context, id int64) (inbox.Message, error)
}

// PresenceSink is told agents' presence: at each change and again every
// PresenceRefresh while connected, so that a sink with expiry (the router's) keeps them
// present exactly as long as their browsers are.
type PresenceSink interface {
	SetPresence(ctx context.Context, userID int64, status string) error
}

// visitorTypingFor is how long a visitor's "typing" stands without news: the widget
// repeats it every two seconds while the visitor types and clears it after eight.
const visitorTypingFor = 8 * time.Second

// PresenceRefresh is how often Run re-tells the sink who is present: a third of the
// router's presence expiry, so that one late refresh does not make an agent vanish.
const PresenceRefresh = 10 * time.Second

// Config tunes the hub.
type Config struct {
	// Buffer is how many recent events are kept for resuming browsers.
	Buffer int
	// SendQueue is how many events may wait for a slow browser before it is cut off
	// (it reconnects and resumes).
	SendQueue int
}

// Defaults for Config.
const (
	// DefaultBuffer covers several minutes of a busy desk: a laptop waking from sleep
	// resumes instead of reloading.
	DefaultBuffer = 20000
	// DefaultSendQueue absorbs bursts without letting one stuck browser hold memory.
	DefaultSendQueue = 4096
)

// Hub fans events out to agents' connections. Safe for concurrent use.
type Hub struct {
	cfg      Config
	messages Messages
	sink     PresenceSink
	log      *slog.Logger
	now      func() time.Time

	// changes carries presence changes to Run, which tells the sink outside the lock.
	changes chan presenceChange

	mu    sync.Mutex
	conns map[*Conn]struct{}
	// visitors holds when each conversation's visitor last said they were typing, so
	// that an agent opening the conversation learns it at once.
	visitors map[int64]time.Time
	ring     recent // recent durable events, at most cfg.Buffer
	last     uint64 // highest durable event id seen
}

// New returns a hub; sink may be nil.
func New(cfg Config, messages Messages, sink PresenceSink, logger *slog.Logger) *Hub {
	if cfg.Buffer <= 0 {
		cfg.Buffer = DefaultBuffer
	}
	if cfg.SendQueue <= 0 {
		cfg.SendQueue = DefaultSendQueue
	}
	return &Hub{cfg: cfg, messages: messages, sink: sink, log: logger.With("component", "realtime"),
		now: time.Now, conns: map[*Conn]struct{}{}, changes: make(chan presenceChange, 1024),
		visitors: map[int64]time.Time{}}
}

type presenceChange struct {
	userID int64
	status string
}

// Run tells the presence sink about changes and refreshes it periodically, until ctx
// ends. Without a sink it only waits.
func (h *Hub) Run(ctx context.Context) error {
	tick := time.NewTicker(PresenceRefresh)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ch := <-h.changes:
			h.tellSink(ctx, ch.userID, ch.status)
		case <-tick.C:
			for id, st := range h.Online() {
				h.tellSink(ctx, id, st)
			}
		}
	}
}

func (h *Hub) tellSink(ctx context.Context, userID int64, status string) {
	if h.sink == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := h.sink.SetPresence(ctx, userID, status); err != nil {
		h.log.Warn("presence not recorded", "user_id", userID, "err", err)
	}
}

// Conn is one agent browser tab. Its Send channel carries encoded events; it is closed
// when the hub drops the connection (too slow) or on Leave.
type Conn struct {
	User inbox.User
	Send chan []byte

	// Guarded by the hub's mutex.
	viewing int64
	typing  int64
	status  string
	closed  bool
}

// Join registers a connection for u that has seen events up to lastID (0: none) and
// returns it with the events it missed, in order. reset is true when the missed events
// are no longer all known: the browser must reload its state.
func (h *Hub) Join(u inbox.User, lastID uint64) (c *Conn, missed [][]byte, reset bool) {
	c = &Conn{User: u, Send: make(chan []byte, h.cfg.SendQueue), status: Online}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case lastID == 0 || lastID == h.last:
	case lastID > h.last || h.ring.len() == 0 || lastID+1 < h.ring.at(0).ID:
		reset = true
	default:
		for i := range h.ring.len() {
			if e := h.ring.at(i); e.ID > lastID && e.visibleTo(u) {
				missed = append(missed, encode(e))
			}
		}
	}
	wasPresent := h.statusLocked(u.ID)
	h.conns[c] = struct{}{}
	h.presenceChangedLocked(u, wasPresent)
	return c, missed, reset
}

// LastID returns the id of the newest durable event the hub has seen.
func (h *Hub) LastID() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// Leave unregisters c and closes its Send channel.
func (h *Hub) Leave(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.closed {
		return
	}
	was := h.statusLocked(c.User.ID)
	if c.typing != 0 {
		h.fanoutLocked(&Event{Type: TypeTyping, ConversationID: c.typing, UserID: c.User.ID, Name: c.User.Name, State: "off", At: h.now()}, c, false)
	}
	h.dropLocked(c)
	h.presenceChangedLocked(c.User, was)
}

func (h *Hub) dropLocked(c *Conn) {
	delete(h.conns, c)
	c.closed = true
	close(c.Send)
}

// Handle is the queue.Handler of the hub's consumer group: it never fails, since a
// lost live event only costs a browser a reload.
func (h *Hub) Handle(ctx context.Context, batch []queue.Delivery) []error {
	for _, d := range batch {
		switch d.Type {
		case inbox.TopicConversationCreated, inbox.TopicConversationUpdated, inbox.TopicMessageCreated, inbox.TopicMessageUpdated,
			inbox.TopicHandoffUpdated, inbox.TopicSLAWarning, inbox.TopicSLABreached:
		case inbox.TopicPhoneMessageCreated, inbox.TopicPhoneMessageAcknowledged, inbox.TopicPhoneMessageCallbackDone, inbox.TopicPhoneMessageOverdue:
			h.phoneMessage(ctx, d)
			continue
		default:
			continue // not for browsers
		}
		be, err := inbox.DecodeBusEvent(d.Payload)
		if err != nil {
			h.log.Error("undecodable event skipped", "event_id", d.ID, "err", err)
			continue
		}
		e := Event{
			ID: d.ID, Type: d.Type, ConversationID: be.ConversationID, MessageID: be.MessageID, Kind: be.Kind,
			Channel: be.Channel, Status: be.Status, TeamID: be.TeamID, AssigneeID: be.AssigneeID,
			Changed: be.Changed, ActorUserID: be.ActorUserID, At: be.At,
			prevTeamID: be.PrevTeamID, prevAssigneeID: be.PrevAssigneeID,
		}
		h.publish(ctx, &e)
	}
	return nil
}

// phoneMessage pushes a phone message event to its author, its recipient (the user, or
// the members of the team), supervisors and admins.
func (h *Hub) phoneMessage(ctx context.Context, d queue.Delivery) {
	pe, err := inbox.DecodePhoneMessageEvent(d.Payload)
	if err != nil {
		h.log.Error("undecodable event skipped", "event_id", d.ID, "err", err)
		return
	}
	e := Event{ID: d.ID, Type: d.Type, PhoneMessageID: pe.PhoneMessageID, Urgency: pe.Urgency,
		ActorUserID: pe.ActorUserID, At: pe.At,
		audience: func(u inbox.User) bool {
			return u.Role.SeesAll() || u.ID == pe.AuthorID || u.ID == pe.RecipientUserID ||
				pe.RecipientTeamID != 0 && u.InTeam(pe.RecipientTeamID)
		}}
	h.publish(ctx, &e)
}

// publish records a durable event and sends it to every connection allowed to see it,
// with the message attached for those viewing its conversation.
func (h *Hub) publish(ctx context.Context, e *Event) {
	var withMessage []byte
	if e.MessageID != 0 && h.anyViewer(e.ConversationID) {
		if m, err := h.messages.Message(ctx, e.MessageID); err == nil {
			full := *e
			full.Message = &m
			withMessage = encode(&full)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if e.ID <= h.last {
		return // a redelivery: already sent
	}
	h.last = e.ID
	h.ring.push(*e, h.cfg.Buffer)
	plain := encode(e)
	for c := range h.conns {
		if !e.visibleTo(c.User) {
			continue
		}
		msg := plain
		if withMessage != nil && c.viewing == e.ConversationID {
			msg = withMessage
		}
		h.sendLocked(c, msg)
	}
}

func (h *Hub) anyViewer(conversationID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.viewing == conversationID {
			return true
		}
	}
	return false
}

// sendLocked queues msg for c, dropping c if it cannot keep up.
func (h *Hub) sendLocked(c *Conn, msg []byte) {
	select {
	case c.Send <- msg:
	default:
		h.log.Warn("agent connection too slow; dropped", "user_id", c.User.ID)
		was := h.statusLocked(c.User.ID)
		h.dropLocked(c)
		h.presenceChangedLocked(c.User, was)
	}
}

// fanoutLocked sends a live event to the connections allowed to see it, except from;
// onlyViewers limits it to those viewing the event's conversation.
func (h *Hub) fanoutLocked(e *Event, from *Conn, onlyViewers bool) {
	msg := encode(e)
	for c := range h.conns {
		if c == from || c.User.ID == e.UserID && e.Type != TypePresence {
			continue
		}
		if onlyViewers && c.viewing != e.ConversationID {
			continue
		}
		if e.visibleTo(c.User) {
			h.sendLocked(c, msg)
		}
	}
}

// Viewing records that c looks at conversation id (0: none) and tells the others
// viewing it. The caller has checked that c may see it; team and assignee are the
// conversation's, for filtering.
func (h *Hub) Viewing(c *Conn, id, teamID, assigneeID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.closed || c.viewing == id {
		return
	}
	if old := c.viewing; old != 0 {
		h.fanoutLocked(&Event{Type: TypeViewing, ConversationID: old, UserID: c.User.ID, Name: c.User.Name, State: "off", At: h.now()}, c, true)
	}
	c.viewing = id
	if id == 0 {
		return
	}
	h.fanoutLocked(&Event{Type: TypeViewing, ConversationID: id, TeamID: teamID, AssigneeID: assigneeID,
		UserID: c.User.ID, Name: c.User.Name, State: "on", At: h.now()}, c, true)
	// Tell the newcomer who else is here, and whether the visitor is typing.
	for o := range h.conns {
		if o != c && o.viewing == id && o.User.ID != c.User.ID {
			h.sendLocked(c, encode(&Event{Type: TypeViewing, ConversationID: id, UserID: o.User.ID, Name: o.User.Name, State: "on", At: h.now()}))
		}
	}
	if since, ok := h.visitors[id]; ok && h.now().Sub(since) < visitorTypingFor {
		h.sendLocked(c, encode(&Event{Type: TypeTyping, ConversationID: id, State: "on", At: since}))
	}
}

// Typing tells those viewing conversation id that c's agent types (or stopped).
func (h *Hub) Typing(c *Conn, id int64, typing bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.closed || c.viewing != id || id == 0 {
		return
	}
	state := "off"
	if typing {
		state = "on"
		c.typing = id
	} else {
		c.typing = 0
	}
	h.fanoutLocked(&Event{Type: TypeTyping, ConversationID: id, UserID: c.User.ID, Name: c.User.Name, State: state, At: h.now()}, c, true)
}

// VisitorTyping tells agents viewing conversation id that its visitor types (the
// webchat adapter calls it).
func (h *Hub) VisitorTyping(id int64, typing bool) {
	state := "off"
	if typing {
		state = "on"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if typing {
		h.visitors[id] = h.now()
		if len(h.visitors) > 10000 {
			for k, t := range h.visitors {
				if h.now().Sub(t) >= visitorTypingFor {
					delete(h.visitors, k)
				}
			}
		}
	} else {
		delete(h.visitors, id)
	}
	msg := encode(&Event{Type: TypeTyping, ConversationID: id, State: state, At: h.now()})
	for c := range h.conns {
		if c.viewing == id {
			h.sendLocked(c, msg)
		}
	}
}

// SetStatus records that c's agent is online or away.
func (h *Hub) SetStatus(c *Conn, status string) {
	if status != Online && status != Away {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.closed || c.status == status {
		return
	}
	was := h.statusLocked(c.User.ID)
	c.status = status
	h.presenceChangedLocked(c.User, was)
}

// Status returns an agent's presence: online if any tab is, away if all are, else
// offline.
func (h *Hub) Status(userID int64) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.statusLocked(userID)
}

// Online returns the presence of every connected agent.
func (h *Hub) Online() map[int64]string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[int64]string{}
	for c := range h.conns {
		out[c.User.ID] = h.statusLocked(c.User.ID)
	}
	return out
}

// AgentsAvailable reports whether at least one agent is online (the webchat adapter
// offers "leave a message" otherwise).
func (h *Hub) AgentsAvailable(context.Context, string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.status == Online {
			return true
		}
	}
	return false
}

func (h *Hub) statusLocked(userID int64) string {
	st := Offline
	for c := range h.conns {
		if c.User.ID == userID {
			if c.status == Online {
				return Online
			}
			st = Away
		}
	}
	return st
}

// presenceChangedLocked broadcasts u's presence if it changed from was.
func (h *Hub) presenceChangedLocked(u inbox.User, was string) {
	now := h.statusLocked(u.ID)
	if now == was {
		return
	}
	h.fanoutLocked(&Event{Type: TypePresence, UserID: u.ID, Name: u.Name, State: now, At: h.now()}, nil, false)
	select {
	case h.changes <- presenceChange{u.ID, now}:
	default:
		// Run is behind; the periodic refresh will carry the state.
	}
}

func encode(e *Event) []byte {
	b, _ := json.Marshal(e)
	return b
}

// recent is a circular buffer of the newest events, oldest first.
type recent struct {
	buf  []Event
	head int // index of the oldest event once the buffer is full
}

func (r *recent) len() int { return len(r.buf) }

// at returns the i-th oldest event.
func (r *recent) at(i int) *Event { return &r.buf[(r.head+i)%len(r.buf)] }

// push adds e, dropping the oldest event past capacity.
func (r *recent) push(e Event, capacity int) {
	if len(r.buf) < capacity {
		r.buf = append(r.buf, e)
		return
	}
	r.buf[r.head] = e
	r.head = (r.head + 1) % capacity
}
