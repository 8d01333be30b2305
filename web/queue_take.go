package web

import (
	"errors"
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router"
)

type takeResponse struct {
	Taken        bool                     `json:"taken"`
	Conversation inbox.ConversationDetail `json:"conversation"`
	Handoff      *inbox.Handoff           `json:"handoff,omitempty"`
}

// queueTake answers POST /api/v1/queue/take: the caller takes the best waiting
// conversation of their teams (and the shared queue) that suits them and fits their
// capacity. {"taken": true, "conversation": …, "handoff": …} (the handoff note to read
// first, if it came through one), or {"taken": false, "message": …} when nothing waits.
func (s *Server) queueTake(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	t, err := rt.TakeNext(r.Context(), u)
	if errors.Is(err, router.ErrNothingToTake) {
		writeJSON(w, http.StatusOK, map[string]any{"taken": false, "message": "nothing waiting that you can take (or you are at capacity)"})
		return nil
	}
	if err != nil {
		return routingError(err)
	}
	writeJSON(w, http.StatusOK, takeResponse{Taken: true, Conversation: t.Conversation, Handoff: t.Handoff})
	return nil
}
