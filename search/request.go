package search

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Sort orders of a search.
const (
	// SortRelevance: best match first (the default with words to look for).
	SortRelevance = "relevance"
	// SortNewest: most recent message first (the default without words).
	SortNewest = "newest"
	// SortOldest: oldest message first.
	SortOldest = "oldest"
)

// Page sizes.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// MaxRelevanceDepth bounds how deep relevance pages go (they are read by offset);
	// past it, sort by date or refine the query.
	MaxRelevanceDepth = 10000
)

// Filters are the structured filters of a search, ANDed with the query string. Within a
// list, values are alternatives (OR).
type Filters struct {
	Channels   []string
	Statuses   []string
	Categories []string
	Languages  []string
	Kinds      []string
	Tags       []string
	// TeamIDs selects teams; NoTeam adds conversations without a team.
	TeamIDs []int64
	NoTeam  bool
	// AssigneeIDs selects assignees; Unassigned adds conversations without one.
	AssigneeIDs []int64
	Unassigned  bool
	ContactIDs  []int64
	// From and To bound the message time: From <= created < To; zero is unbounded.
	From, To time.Time
}

// Request is one search.
type Request struct {
	// Query is the query string (see ParseQuery).
	Query   string
	Filters Filters
	// Sort is SortRelevance, SortNewest or SortOldest; empty picks relevance when the
	// query has words, newest otherwise.
	Sort string
	// Limit is the page size, 1 to MaxLimit; 0 is DefaultLimit.
	Limit int
	// Cursor is the NextCursor of the previous page.
	Cursor string
	// Facets asks for facet counts; they come with the first page only (no Cursor),
	// since they describe the whole result.
	Facets bool
	// FullText returns each hit's whole text in Hit.Text (exports).
	FullText bool
}

// InvalidError says which part of a request is wrong.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("search: invalid %s: %s", e.Field, e.Message)
}

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// cursor is the position of a page, handed to clients as an opaque string.
type cursor struct {
	// Sort is the order the cursor belongs to.
	Sort string `json:"s"`
	// Fingerprint identifies the query and filters, so that a cursor is not replayed
	// against another search.
	Fingerprint string `json:"f"`
	// Snapshot is the highest message id of the first page: later messages are left
	// out, so pages do not shift while new messages arrive.
	Snapshot int64 `json:"n"`
	// After holds the sort keys of the last hit (date orders).
	After []string `json:"a,omitempty"`
	// Offset is the position of the next page (relevance order).
	Offset int `json:"o,omitempty"`
}

func (c cursor) encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeCursor(s string) (cursor, error) {
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Snapshot < 0 || c.Offset < 0 || len(c.After) > 4 {
		return c, invalid("cursor", "not a cursor of this search")
	}
	return c, nil
}

// fingerprint hashes what selects the hits of r (not the page).
func fingerprint(r Request, sort string) string {
	h := sha256.New()
	w := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	w(r.Query)
	w(sort)
	f := r.Filters
	for _, l := range [][]string{f.Channels, f.Statuses, f.Categories, f.Languages, f.Kinds, f.Tags} {
		l = slices.Clone(l)
		slices.Sort(l)
		w(fmt.Sprint(l))
	}
	for _, l := range [][]int64{f.TeamIDs, f.AssigneeIDs, f.ContactIDs} {
		l = slices.Clone(l)
		slices.Sort(l)
		w(fmt.Sprint(l))
	}
	w(strconv.FormatBool(f.NoTeam) + strconv.FormatBool(f.Unassigned))
	w(f.From.UTC().Format(time.RFC3339Nano) + f.To.UTC().Format(time.RFC3339Nano))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:12])
}

// Segment is a piece of a snippet: plain text, marked when it matched. Clients render
// it as text (never as HTML) and emphasise the marked pieces.
type Segment struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// Hit is one message found.
type Hit struct {
	MessageID      int64     `json:"message_id"`
	ConversationID int64     `json:"conversation_id"`
	Kind           string    `json:"kind"`
	Channel        string    `json:"channel"`
	Status         string    `json:"status"`
	TeamID         int64     `json:"team_id,omitempty"`
	AssigneeID     int64     `json:"assignee_id,omitempty"`
	Category       string    `json:"category,omitempty"`
	Language       string    `json:"language,omitempty"`
	Priority       int       `json:"priority"`
	ContactID      int64     `json:"contact_id"`
	ContactName    string    `json:"contact_name,omitempty"`
	Subject        string    `json:"subject,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	Score          float64   `json:"score"`
	// Snippet is an extract of the text around the matches.
	Snippet []Segment `json:"snippet"`
	// Text is the whole text, only when the request asked for FullText.
	Text string `json:"text,omitempty"`
}

// FacetTerm is one value of a facet and how many hits have it.
type FacetTerm struct {
	Value string `json:"value"`
	Count int    `json:"count"`
}

// Facet counts the hits by the values of one field.
type Facet struct {
	// Terms are the commonest values, most frequent first.
	Terms []FacetTerm `json:"terms"`
	// Other counts hits whose value is not in Terms.
	Other int `json:"other"`
}

// Result is one page of a search.
type Result struct {
	// Total counts every hit of the search, not only this page.
	Total uint64 `json:"total"`
	// Took is the time the index took.
	Took   time.Duration    `json:"-"`
	Hits   []Hit            `json:"hits"`
	Facets map[string]Facet `json:"facets,omitempty"`
	// NextCursor continues with the next page; empty on the last one.
	NextCursor string `json:"next_cursor,omitempty"`
	// Sort is the order used.
	Sort string `json:"sort"`
	// Ignored lists the words of the query looked for nowhere because they are too
	// common (stop words of French or English), as typed, each once.
	Ignored []string `json:"ignored,omitempty"`
}
