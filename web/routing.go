package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router"
	"github.com/frontdeskhq/frontdesk/router/presence"
)

// Router is what the routing endpoints need of the router: taking the next
// conversation, handoffs, corrections, the dry-run, the supervisors' overview and
// presence. *router.Router implements it.
type Router interface {
	TakeNext(ctx context.Context, u inbox.User) (router.Taken, error)
	RequestHandoff(ctx context.Context, u inbox.User, id int64, req inbox.HandoffRequest) (inbox.Handoff, error)
	AcceptHandoff(ctx context.Context, u inbox.User, id int64) (router.Accepted, error)
	DeclineHandoff(ctx context.Context, u inbox.User, id int64, note string) (inbox.Handoff, error)
	Handoffs(ctx context.Context, u inbox.User, q inbox.HandoffQuery) ([]router.HandoffView, error)
	Correct(ctx context.Context, u inbox.User, id int64, c inbox.Correction) (inbox.Conversation, error)
	Routing(ctx context.Context, u inbox.User, id int64) (router.ConversationRouting, error)
	DryRun(ctx context.Context, u inbox.User, p router.Probe) (router.DryRun, error)
	Overview(ctx context.Context, u inbox.User) (router.Overview, error)
	Heartbeat(ctx context.Context, u inbox.User, st presence.Status) (presence.Entry, error)
	Leave(ctx context.Context, u inbox.User) error
}

var _ Router = (*router.Router)(nil)

// routerFor returns the router, or a 503 when the server runs without one.
func (s *Server) routerFor() (Router, error) {
	if s.router == nil {
		return nil, apiError(http.StatusServiceUnavailable, "unavailable", "routing is not running on this server")
	}
	return s.router, nil
}

// routingError maps the routing outcomes that web's generic adapter does not know:
// a conflict (taken or answered meanwhile) is a 409 saying what happened.
func routingError(err error) error {
	if !errors.Is(err, inbox.ErrConflict) {
		return err
	}
	msg := strings.TrimSuffix(err.Error(), ": "+inbox.ErrConflict.Error())
	for strings.HasPrefix(msg, "inbox: ") {
		msg = strings.TrimPrefix(msg, "inbox: ")
	}
	return apiError(http.StatusConflict, "conflict", "%s", msg)
}
