package search

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestPermissions checks per role what a search returns, counts, facets and highlights:
// agents see their teams' conversations, the shared queue and what is assigned to them,
// notes included; nothing of the others leaks through totals, facets or snippets.
func TestPermissions(t *testing.T) {
	e := newEnv(t)
	alpha, bravo := e.team("alpha"), e.team("bravo")
	agentA := e.user("a@desk.fr", inbox.RoleAgent, alpha)
	agentB := e.user("b@desk.fr", inbox.RoleAgent, bravo)
	loner := e.user("c@desk.fr", inbox.RoleAgent)
	disabled := e.user("d@desk.fr", inbox.RoleAgent, alpha)
	disabled.Disabled = true

	inA := e.ingest(msg{text: "plainte alpha", lang: "fr"})
	e.patch(inA.ConversationID, inbox.Patch{TeamID: ptr(alpha)})
	noteA := e.reply(e.super, inA.ConversationID, "note confidentielle alpha", true)
	inB := e.ingest(msg{text: "plainte bravo", lang: "fr"})
	e.patch(inB.ConversationID, inbox.Patch{TeamID: ptr(bravo)})
	noteB := e.reply(e.super, inB.ConversationID, "note confidentielle bravo", true)
	shared := e.ingest(msg{text: "plainte partagée", lang: "fr"})
	assigned := e.ingest(msg{text: "plainte confiée", lang: "fr"})
	e.patch(assigned.ConversationID, inbox.Patch{TeamID: ptr(bravo), AssigneeID: ptr(agentA.ID)})
	e.indexAll()

	all := []int64{inA.MessageID, noteA.ID, inB.MessageID, noteB.ID, shared.MessageID, assigned.MessageID}
	tests := []struct {
		name string
		u    inbox.User
		want []int64
	}{
		{"supervisor", e.super, all},
		{"admin", e.admin, all},
		{"agent of alpha", agentA, []int64{inA.MessageID, noteA.ID, shared.MessageID, assigned.MessageID}},
		{"agent of bravo", agentB, []int64{inB.MessageID, noteB.ID, shared.MessageID, assigned.MessageID}},
		{"agent of no team", loner, []int64{shared.MessageID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, q := range []string{"", "plainte OR", "confidentielle", "bravo", "alpha"} {
				res := e.search(tt.u, Request{Query: q, Facets: true, Limit: MaxLimit})
				var want []int64
				for _, id := range tt.want {
					if matches(e, id, q) {
						want = append(want, id)
					}
				}
				got := ids(res)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("Search(%q) as %s = %v, want %v", q, tt.name, got, want)
				}
				if int(res.Total) != len(want) {
					t.Fatalf("Search(%q) as %s: total %d, want %d", q, tt.name, res.Total, len(want))
				}
				sum := 0
				for _, f := range res.Facets["kind"].Terms {
					sum += f.Count
				}
				if sum != len(want) {
					t.Fatalf("Search(%q) as %s: kind facet counts %d messages, want %d", q, tt.name, sum, len(want))
				}
				for _, f := range res.Facets["team"].Terms {
					if !tt.u.Role.SeesAll() && f.Value != "none" && !tt.u.InTeam(atoi(f.Value)) && f.Value != itoa(bravo) {
						t.Fatalf("Search(%q) as %s: team facet shows team %s", q, tt.name, f.Value)
					}
				}
				for _, h := range res.Hits {
					for _, s := range h.Snippet {
						if !slices.Contains(tt.want, h.MessageID) || (tt.name == "agent of no team" && strings.Contains(s.Text, "confidentielle")) {
							t.Fatalf("Search(%q) as %s: snippet of message %d: %q", q, tt.name, h.MessageID, s.Text)
						}
					}
				}
			}
		})
	}
	if _, err := e.idx.Search(t.Context(), disabled, Request{}); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("Search() as a disabled user = %v, want ErrUnauthorized", err)
	}
	if _, err := e.idx.Search(t.Context(), inbox.User{ID: 99}, Request{}); !errors.Is(err, inbox.ErrUnauthorized) {
		t.Fatalf("Search() as a user without role = %v, want ErrUnauthorized", err)
	}
	if _, _, err := e.idx.Export(t.Context(), agentA, Request{}, func(Hit) error { return nil }); !errors.Is(err, inbox.ErrForbidden) {
		t.Fatalf("Export() as an agent = %v, want ErrForbidden", err)
	}
	n, truncated, err := e.idx.Export(t.Context(), e.super, Request{Query: "plainte"}, func(h Hit) error {
		if h.Text == "" {
			t.Errorf("exported hit %d without its text", h.MessageID)
		}
		return nil
	})
	if err != nil || n != 4 || truncated {
		t.Fatalf("Export(plainte) as supervisor = %d, %v, %v; want 4 rows", n, truncated, err)
	}
}

// matches says which test messages a query finds, by their words.
func matches(e *env, id int64, q string) bool {
	m, err := e.store.Message(e.t.Context(), id)
	if err != nil {
		e.t.Fatalf("Message(%d) = %v", id, err)
	}
	switch q {
	case "", "plainte OR":
		return q == "" || strings.Contains(m.Text, "plainte")
	}
	return strings.Contains(m.Text, q)
}

func atoi(s string) int64 {
	var n int64
	for _, r := range s {
		n = n*10 + int64(r-'0')
	}
	return n
}
