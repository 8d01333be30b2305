package search

import (
	"slices"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

func TestFiltersAndFacets(t *testing.T) {
	e := newEnv(t)
	accueil := e.team("accueil")
	etat := e.team("etat-civil")
	agent := e.user("camille@desk.fr", inbox.RoleAgent, accueil)
	day1 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	a := e.ingest(msg{channel: channels.Email, text: "Demande de passeport urgente", lang: "fr", at: day1})
	b := e.ingest(msg{channel: channels.SMS, from: "+33611111111", text: "Passeport perdu, que faire ?", lang: "fr", at: day2})
	c := e.ingest(msg{channel: channels.Email, text: "Passport renewal for my son", lang: "en", at: day2})
	e.patch(a.ConversationID, inbox.Patch{TeamID: ptr(accueil), AssigneeID: ptr(agent.ID), Tags: &[]string{"urgent"}})
	e.patch(b.ConversationID, inbox.Patch{TeamID: ptr(etat), Status: ptr(inbox.StatusResolved)})
	note := e.reply(e.super, c.ConversationID, "Passeport: vérifier le formulaire", true)
	e.indexAll()

	tests := []struct {
		name string
		q    string
		f    Filters
		want []int64
	}{
		{"channel", "passeport", Filters{Channels: []string{"sms"}}, []int64{b.MessageID}},
		{"two channels", "", Filters{Channels: []string{"sms", "email"}}, []int64{a.MessageID, b.MessageID, c.MessageID, note.ID}},
		{"team", "", Filters{TeamIDs: []int64{etat}}, []int64{b.MessageID}},
		{"no team", "", Filters{NoTeam: true}, []int64{c.MessageID, note.ID}},
		{"team slug in query", "team:etat-civil", Filters{}, []int64{b.MessageID}},
		{"assignee", "", Filters{AssigneeIDs: []int64{agent.ID}}, []int64{a.MessageID}},
		{"assignee email in query", "assignee:camille@desk.fr", Filters{}, []int64{a.MessageID}},
		{"unassigned", "", Filters{Unassigned: true}, []int64{b.MessageID, c.MessageID, note.ID}},
		{"status", "", Filters{Statuses: []string{"resolved"}}, []int64{b.MessageID}},
		{"language", "", Filters{Languages: []string{"en"}}, []int64{c.MessageID, note.ID}},
		{"kind note", "", Filters{Kinds: []string{"note"}}, []int64{note.ID}},
		{"tag", "", Filters{Tags: []string{"URGENT"}}, []int64{a.MessageID}},
		{"contact", "", Filters{ContactIDs: []int64{b.ContactID}}, []int64{b.MessageID}},
		{"date range", "", Filters{From: day1, To: day1.Add(time.Hour)}, []int64{a.MessageID}},
		{"before in query", "before:2026-03-03", Filters{}, []int64{a.MessageID}},
		{"after in query", "after:2026-03-03 passport", Filters{}, []int64{c.MessageID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(e.search(e.super, Request{Query: tt.q, Filters: tt.f}))
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Search(%q, %+v) = %v, want %v", tt.q, tt.f, got, want)
			}
		})
	}

	res := e.search(e.super, Request{Facets: true})
	wantFacets := map[string]map[string]int{
		"channel": {"email": 3, "sms": 1},
		"status":  {"open": 3, "resolved": 1},
		"kind":    {"in": 3, "note": 1},
		"team":    {"none": 2, itoa(accueil): 1, itoa(etat): 1},
		"tags":    {"urgent": 1},
	}
	for name, want := range wantFacets {
		got := map[string]int{}
		for _, tm := range res.Facets[name].Terms {
			got[tm.Value] = tm.Count
		}
		if len(got) != len(want) {
			t.Fatalf("facet %s = %v, want %v", name, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("facet %s = %v, want %v", name, got, want)
			}
		}
	}

	bad := []struct {
		name string
		r    Request
	}{
		{"unknown team", Request{Query: "team:nulle-part"}},
		{"unknown user", Request{Query: "assignee:personne@desk.fr"}},
		{"bad date", Request{Query: "before:03/03/2026"}},
		{"bad contact", Request{Query: "contact:marie"}},
		{"bad sort", Request{Sort: "popular"}},
		{"limit", Request{Limit: MaxLimit + 1}},
		{"cursor", Request{Cursor: "nope"}},
		{"dates reversed", Request{Filters: Filters{From: day2, To: day1}}},
	}
	for _, tt := range bad {
		if _, err := e.idx.Search(t.Context(), e.super, tt.r); !isInvalid(err) {
			t.Errorf("Search(%s) = %v, want an *InvalidError", tt.name, err)
		}
	}
}

// TestPaginationStable pages through results while new matching messages arrive:
// every page continues where the previous stopped, nothing is repeated or skipped, and
// the total stays the one of the first page.
func TestPaginationStable(t *testing.T) {
	for _, sort := range []string{SortNewest, SortOldest, SortRelevance} {
		t.Run(sort, func(t *testing.T) {
			e := newEnv(t)
			base := time.Now().Add(-time.Hour)
			var want []int64
			for i := range 25 {
				text := "dossier de logement"
				if i%3 == 0 {
					text = "dossier de logement, le dossier est complet"
				}
				want = append(want, e.ingest(msg{text: text, lang: "fr", at: base.Add(time.Duration(i) * time.Minute)}).MessageID)
			}
			e.indexAll()
			var got []int64
			r := Request{Query: "dossier", Sort: sort, Limit: 10}
			var total uint64
			for page := 0; ; page++ {
				res := e.search(e.super, r)
				if page == 0 {
					total = res.Total
				} else if res.Total != total {
					t.Fatalf("page %d total = %d, want %d as on the first page", page, res.Total, total)
				}
				got = append(got, ids(res)...)
				// New messages arrive between pages, some dated in the past.
				e.ingest(msg{text: "nouveau dossier", lang: "fr"})
				e.ingest(msg{text: "ancien dossier", lang: "fr", at: base.Add(-time.Hour)})
				e.indexAll()
				if res.NextCursor == "" {
					break
				}
				r.Cursor = res.NextCursor
				if page > 5 {
					t.Fatalf("more pages than results")
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("pages gave %v, want each of %v once", got, want)
			}
			// A cursor is not valid for another query or order.
			res := e.search(e.super, Request{Query: "dossier", Sort: sort, Limit: 10})
			if _, err := e.idx.Search(t.Context(), e.super, Request{Query: "logement", Sort: sort, Limit: 10, Cursor: res.NextCursor}); !isInvalid(err) {
				t.Fatalf("Search(other query, cursor) = %v, want *InvalidError", err)
			}
		})
	}
}
