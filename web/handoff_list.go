package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router"
)

// handoffList answers GET /api/v1/handoffs: the handoffs the caller may see (agents:
// from or to them and their teams; supervisors: all), newest first, each with its
// time_to_accept_seconds once accepted. Filters: status (pending, accepted, declined,
// timed_out, cancelled), conversation (id), since (RFC 3339), limit (1-500, default 100).
func (s *Server) handoffList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	v := r.URL.Query()
	q := inbox.HandoffQuery{Status: inbox.HandoffStatus(v.Get("status"))}
	switch q.Status {
	case "", inbox.HandoffPending, inbox.HandoffAccepted, inbox.HandoffDeclined, inbox.HandoffTimedOut, inbox.HandoffCancelled:
	default:
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "status", Message: "status must be pending, accepted, declined, timed_out or cancelled"}
	}
	if c := v.Get("conversation"); c != "" {
		if q.ConversationID, err = strconv.ParseInt(c, 10, 64); err != nil || q.ConversationID <= 0 {
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "conversation", Message: "conversation must be a conversation id"}
		}
	}
	if since := v.Get("since"); since != "" {
		if q.Since, err = time.Parse(time.RFC3339, since); err != nil {
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "since", Message: "since must be an RFC 3339 time"}
		}
	}
	if l := v.Get("limit"); l != "" {
		if q.Limit, err = strconv.Atoi(l); err != nil || q.Limit < 1 || q.Limit > 500 {
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "limit", Message: "limit must be between 1 and 500"}
		}
	}
	hs, err := rt.Handoffs(r.Context(), u, q)
	if err != nil {
		return err
	}
	if hs == nil {
		hs = []router.HandoffView{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"handoffs": hs})
	return nil
}
