package search

import (
	"testing"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// TestAbsentTermsFindNothing: a word, phrase, subject or sender found in no document
// finds nothing, alone or with filters, for a supervisor and an agent. (bleve's
// boolean query drops a must clause that matches nothing as if there were none, and
// such searches returned every document.)
func TestAbsentTermsFindNothing(t *testing.T) {
	e := newEnv(t)
	team := e.team("accueil")
	agent := e.user("agent@desk.fr", inbox.RoleAgent, team)
	e.ingest(msg{text: "inscription à la cantine", subject: "Cantine", lang: "fr"})
	e.ingest(msg{text: "I lost my passport", subject: "Passport", lang: "en"})
	e.indexAll()
	if n := e.search(e.super, Request{}).Total; n != 2 {
		t.Fatalf("everything: %d hits, want 2", n)
	}
	for _, q := range []string{
		"zzzqqq", "xylophone", `"cantine passport"`, `"zzz qqq"`, "subject:zzzqqq", `subject:"lost cantine"`,
		"from:personne@nulle-part.fr", "from:zzzqqq", "from:0999999999", "zzzqqq -cantine", "cantine zzzqqq",
	} {
		for _, u := range []inbox.User{e.super, agent} {
			if res := e.search(u, Request{Query: q}); res.Total != 0 || len(res.Hits) != 0 {
				t.Errorf("%s: %q found %d (%v), want nothing", u.Email, q, res.Total, ids(res))
			}
		}
		if res := e.search(e.super, Request{Query: q, Filters: Filters{Statuses: []string{"open"}}}); res.Total != 0 {
			t.Errorf("%q with a status filter found %d, want nothing", q, res.Total)
		}
		res := e.search(e.super, Request{Query: q, Facets: true})
		for name, f := range res.Facets {
			if len(f.Terms) != 0 || f.Other != 0 {
				t.Errorf("%q: facet %s counts %+v, want none", q, name, f)
			}
		}
	}
	if n := e.search(e.super, Request{Query: "cantine"}).Total; n != 1 {
		t.Errorf("cantine: %d hits, want 1", n)
	}
}
