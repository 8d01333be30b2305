package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/search"
)

// searchExport answers GET /api/v1/search/export.csv: every hit of a search (same
// parameters as GET /api/v1/search, without paging), newest first, as CSV, for
// supervisors and admins. Cells are defused against spreadsheet formula injection.
func (s *Server) searchExport(w http.ResponseWriter, r *http.Request, u inbox.User) error {
	if s.search == nil {
		return apiError(http.StatusServiceUnavailable, "search_unavailable", "search is not enabled on this instance")
	}
	if !u.Role.SeesAll() {
		return apiError(http.StatusForbidden, "forbidden", "exports are for supervisors and admins")
	}
	req, err := parseSearchRequest(r.URL.Query(), u)
	if err != nil {
		return err
	}
	if req.Cursor != "" {
		return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: "cursor", Message: "an export has no pages"}
	}
	// Check the request before the first byte goes out: after it, errors can only cut
	// the file short.
	probe := req
	probe.Limit, probe.Facets = 1, false
	if _, err := s.search.Search(r.Context(), u, probe); err != nil {
		return searchError(err)
	}
	names, err := s.directoryNames(r.Context())
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="frontdesk-search-`+time.Now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	// The byte order mark makes spreadsheets (Excel above all) read the file as UTF-8,
	// so accents show as written; CSV readers skip it (Python's utf-8-sig, Go's csv
	// after a TrimPrefix).
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return nil
	}
	cw := csv.NewWriter(w)
	header := []string{"message_id", "conversation_id", "created_at", "channel", "kind", "status", "team_id", "team",
		"assignee_id", "assignee", "category", "language", "priority", "contact_id", "contact_name", "subject", "text"}
	if err := cw.Write(header); err != nil {
		return nil
	}
	n, truncated, err := s.search.Export(r.Context(), u, req, func(hit search.Hit) error {
		return cw.Write([]string{
			id(hit.MessageID), id(hit.ConversationID), hit.CreatedAt.Format(time.RFC3339), cell(hit.Channel),
			cell(hit.Kind), cell(hit.Status), id(hit.TeamID), cell(names.teams[hit.TeamID]), id(hit.AssigneeID),
			cell(names.users[hit.AssigneeID]), cell(hit.Category),
			cell(hit.Language), strconv.Itoa(hit.Priority), id(hit.ContactID), cell(hit.ContactName),
			cell(hit.Subject), cell(hit.Text),
		})
	})
	cw.Flush()
	if err != nil {
		// Headers are gone: the client sees a short file; the log says why.
		s.log.Error("search export cut short", "rows", n, "err", err)
		return nil
	}
	if truncated {
		s.log.Warn("search export truncated at the row cap", "rows", n)
		fmt.Fprintf(w, "# truncated after %d rows: narrow the search\n", n)
	}
	return nil
}

// names are the teams' and users' names by id, for exports that people read.
type names struct {
	teams, users map[int64]string
}

// directoryNames reads every team's and user's name.
func (s *Server) directoryNames(ctx context.Context) (names, error) {
	n := names{teams: map[int64]string{}, users: map[int64]string{}}
	teams, err := s.inbox.Teams(ctx)
	if err != nil {
		return n, err
	}
	for _, t := range teams {
		n.teams[t.ID] = t.Name
	}
	users, err := s.inbox.Users(ctx)
	if err != nil {
		return n, err
	}
	for _, u := range users {
		n.users[u.ID] = u.Name
	}
	return n, nil
}

func id(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// cell defuses a value a spreadsheet would read as a formula (CSV injection): a cell
// starting with = + - @, a tab or a carriage return gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
