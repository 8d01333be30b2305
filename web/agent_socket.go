package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"github.com/frontdeskhq/frontdesk/web/realtime"
)

// Agent websocket limits.
const (
	agentReadLimit  = 4 << 10 // client frames are small commands
	agentWriteWait  = 10 * time.Second
	agentPongWait   = 60 * time.Second
	agentPingPeriod = 25 * time.Second
)

// agentFrame is what the agent app sends: {"type": "viewing", "conversation_id": 5},
// {"type": "typing", "conversation_id": 5, "state": "on"}, {"type": "presence",
// "state": "away"}.
type agentFrame struct {
	Type           string `json:"type"`
	ConversationID int64  `json:"conversation_id"`
	State          string `json:"state"`
}

// agentSocket answers GET /ws/agent?last_event_id=N: the agent's live feed. It
// authenticates like the API (session cookie or bearer token); with a cookie the Origin
// must be the hub's own, so another site cannot open the socket with the agent's cookie.
func (s *Server) agentSocket(w http.ResponseWriter, r *http.Request) {
	p, err := s.identify(r)
	if err != nil {
		writeError(w, r, s.log, apiError(http.StatusUnauthorized, "unauthorized", "sign in first"))
		return
	}
	if p.session != nil && !s.sameOrigin(r) {
		s.log.Warn("agent socket from a foreign origin refused", "origin", r.Header.Get("Origin"))
		writeError(w, r, s.log, apiError(http.StatusForbidden, "forbidden_origin", "this socket only opens from the hub's own pages"))
		return
	}
	var last uint64
	if v := r.URL.Query().Get("last_event_id"); v != "" {
		if last, err = strconv.ParseUint(v, 10, 64); err != nil {
			writeError(w, r, s.log, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "last_event_id", Message: "last_event_id must be a whole number"})
			return
		}
	}
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }} // checked above
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader answered the client
	}
	c, missed, reset := s.hub.Join(p.user, last)
	go s.agentWriter(ws, c, missed, reset)
	s.agentReader(r.Context(), ws, c)
}

// sameOrigin reports whether the request's Origin is the hub's public origin (or, when
// none is configured, the Host it was sent to).
func (s *Server) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return false
	}
	ou, err := url.Parse(o)
	if err != nil {
		return false
	}
	if s.cfg.PublicURL != "" {
		pu, err := url.Parse(s.cfg.PublicURL)
		return err == nil && strings.EqualFold(pu.Scheme, ou.Scheme) && strings.EqualFold(pu.Host, ou.Host)
	}
	return strings.EqualFold(ou.Host, r.Host)
}

// agentReader handles the agent's frames until the socket closes, then leaves the hub.
func (s *Server) agentReader(ctx context.Context, ws *websocket.Conn, c *realtime.Conn) {
	defer func() {
		s.hub.Leave(c)
		ws.Close()
	}()
	ws.SetReadLimit(agentReadLimit)
	ws.SetReadDeadline(time.Now().Add(agentPongWait))
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(agentPongWait)) })
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		ws.SetReadDeadline(time.Now().Add(agentPongWait))
		var f agentFrame
		if err := json.Unmarshal(data, &f); err != nil {
			continue // a malformed command changes nothing; the socket stays
		}
		switch f.Type {
		case realtime.TypeViewing:
			if f.ConversationID == 0 {
				s.hub.Viewing(c, 0, 0, 0)
				continue
			}
			// Only conversations the agent may see can be announced.
			d, err := s.inbox.Conversation(ctx, c.User, f.ConversationID)
			if err != nil {
				continue
			}
			s.hub.Viewing(c, d.ID, d.TeamID, d.AssigneeID)
		case realtime.TypeTyping:
			s.hub.Typing(c, f.ConversationID, f.State == "on")
			if s.typing != nil {
				s.typing.AgentTyping(f.ConversationID, c.User.Name, f.State == "on")
			}
		case realtime.TypePresence:
			s.hub.SetStatus(c, f.State)
		}
	}
}

// agentWriter sends the hello, what was missed, then the live feed and pings.
func (s *Server) agentWriter(ws *websocket.Conn, c *realtime.Conn, missed [][]byte, reset bool) {
	ping := time.NewTicker(agentPingPeriod)
	defer func() {
		ping.Stop()
		ws.Close()
	}()
	write := func(b []byte) bool {
		ws.SetWriteDeadline(time.Now().Add(agentWriteWait))
		return ws.WriteMessage(websocket.TextMessage, b) == nil
	}
	hello, _ := json.Marshal(map[string]any{"type": realtime.TypeHello, "last_event_id": s.hub.LastID(), "reset": reset})
	if !write(hello) {
		return
	}
	for _, b := range missed {
		if !write(b) {
			return
		}
	}
	for {
		select {
		case b, ok := <-c.Send:
			if !ok {
				ws.SetWriteDeadline(time.Now().Add(agentWriteWait))
				ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseTryAgainLater, "too slow; reconnect"))
				return
			}
			// Events that queued up meanwhile leave together, as one JSON array: one
			// frame and one write instead of one each, when the desk is busy.
			batch, closed := drainQueued(c.Send, b, agentBatch)
			if !write(batch) || closed {
				return
			}
		case <-ping.C:
			ws.SetWriteDeadline(time.Now().Add(agentWriteWait))
			if ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(agentWriteWait)) != nil {
				return
			}
		}
	}
}

// agentBatch caps how many queued events one frame carries.
const agentBatch = 256

// drainQueued returns first alone, or first and the events already waiting in ch (up to
// max) as a JSON array; closed reports that ch was closed meanwhile.
func drainQueued(ch <-chan []byte, first []byte, max int) (frame []byte, closed bool) {
	var more [][]byte
drain:
	for len(more) < max-1 {
		select {
		case b, ok := <-ch:
			if !ok {
				closed = true
				break drain
			}
			more = append(more, b)
		default:
			break drain
		}
	}
	if len(more) == 0 {
		return first, closed
	}
	n := len(first) + 2
	for _, b := range more {
		n += len(b) + 1
	}
	frame = make([]byte, 0, n)
	frame = append(frame, '[')
	frame = append(frame, first...)
	for _, b := range more {
		frame = append(frame, ',')
		frame = append(frame, b...)
	}
	return append(frame, ']'), closed
}

// AgentTyping is told when an agent types in a conversation (the webchat adapter shows
// it to the visitor).
type AgentTyping interface {
	AgentTyping(conversationID int64, name string, typing bool)
}
