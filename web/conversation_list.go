package web

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/frontdeskhq/frontdesk/inbox"
)

type conversationPage struct {
	Conversations []inbox.Conversation `json:"conversations"`
	NextCursor    string               `json:"next_cursor,omitempty"`
}

// pageCursor is the opaque cursor handed to clients: the position plus the sort it
// belongs to, so a cursor cannot be replayed against another order.
type pageCursor struct {
	Sort string `json:"s"`
	inbox.Cursor
}

// conversationList answers GET /api/v1/conversations with the page of conversations the
// caller may see. Filters: view (mine, unassigned, teams, all), status
// (comma-separated), channel, team (id), assignee (id, "me" or "none"), tag, contact
// (id), min_priority, sort (recent|priority), limit, cursor.
func (s *Server) conversationList(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	q, err := parseConversationQuery(r.URL.Query(), u)
	if err != nil {
		return err
	}
	list, next, err := s.inbox.Conversations(r.Context(), u, q)
	if err != nil {
		return err
	}
	page := conversationPage{Conversations: list}
	if page.Conversations == nil {
		page.Conversations = []inbox.Conversation{}
	}
	if next != nil {
		raw, _ := json.Marshal(pageCursor{Sort: q.Sort, Cursor: *next})
		page.NextCursor = base64.RawURLEncoding.EncodeToString(raw)
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func parseConversationQuery(v url.Values, u inbox.User) (inbox.ConversationQuery, error) {
	q := inbox.ConversationQuery{Channel: v.Get("channel"), Tag: strings.ToLower(v.Get("tag")), Sort: v.Get("sort")}
	if err := inbox.View(v.Get("view")).Apply(&q, u); err != nil {
		return q, err
	}
	if q.Sort == "" {
		q.Sort = inbox.SortRecent
	}
	for _, st := range strings.Split(v.Get("status"), ",") {
		if st = strings.TrimSpace(st); st != "" {
			q.Statuses = append(q.Statuses, inbox.Status(st))
		}
	}
	var err error
	ids := []struct {
		name string
		dst  *int64
	}{{"team", &q.TeamID}, {"contact", &q.ContactID}}
	for _, p := range ids {
		if *p.dst, err = optionalID(v, p.name); err != nil {
			return q, err
		}
	}
	switch a := v.Get("assignee"); a {
	case "":
	case "me":
		q.AssigneeID = u.ID
	case "none":
		q.Unassigned = true
	default:
		if q.AssigneeID, err = optionalID(v, "assignee"); err != nil {
			return q, err
		}
	}
	for _, p := range []struct {
		name string
		dst  *int
	}{{"limit", &q.Limit}, {"min_priority", &q.MinPriority}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return q, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: p.name, Message: p.name + " must be a whole number"}
			}
			if p.name == "limit" && n < 1 {
				// 0 once meant the default here and was refused elsewhere.
				return q, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "limit", Message: "limit must be at least 1"}
			}
			*p.dst = n
		}
	}
	if c := v.Get("cursor"); c != "" {
		raw, err := base64.RawURLEncoding.DecodeString(c)
		var pc pageCursor
		if err != nil || json.Unmarshal(raw, &pc) != nil || pc.Sort != q.Sort {
			return q, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "cursor", Message: "cursor is malformed or from another sort order"}
		}
		q.After = &pc.Cursor
	}
	return q, nil
}

// optionalID parses query parameter name as a positive id; absent is 0.
func optionalID(v url.Values, name string) (int64, error) {
	s := v.Get(name)
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &Error{Status: http.StatusBadRequest, Code: "invalid", Field: name, Message: name + " must be a positive id"}
	}
	return id, nil
}

// pathID parses the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apiError(http.StatusNotFound, "not_found", "no such resource, or not yours to see")
	}
	return id, nil
}
