package web

import (
	"net/http"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type handoffBody struct {
	Kind     inbox.HandoffKind `json:"kind"`
	ToUserID int64             `json:"to_user_id"`
	ToTeamID int64             `json:"to_team_id"`
	Reason   string            `json:"reason"`
	Note     string            `json:"note"`
}

// handoffCreate answers POST /api/v1/conversations/{id}/handoffs: hand the
// conversation to a colleague ({"kind": "agent", "to_user_id": …}), a team's queue
// ({"kind": "team", "to_team_id": …}) or a supervisor ({"kind": "supervisor",
// "to_user_id": optional}), always with a "reason" and a "note" for the receiver.
// Answer 201 with the handoff.
func (s *Server) handoffCreate(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	rt, err := s.routerFor()
	if err != nil {
		return err
	}
	id, err := pathID(r)
	if err != nil {
		return err
	}
	var b handoffBody
	if err := decodeJSON(w, r, s.cfg.MaxBodyBytes, &b); err != nil {
		return err
	}
	switch {
	case b.Kind == "":
		return missing("kind")
	case b.Reason == "":
		return missing("reason")
	case b.Note == "":
		return missing("note")
	}
	h, err := rt.RequestHandoff(r.Context(), u, id, inbox.HandoffRequest{Kind: b.Kind, ToUserID: b.ToUserID, ToTeamID: b.ToTeamID, Reason: b.Reason, Note: b.Note})
	if err != nil {
		return routingError(err)
	}
	writeJSON(w, http.StatusCreated, h)
	return nil
}
