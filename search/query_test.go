package search

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want []Clause
	}{
		{"", nil},
		{"  facture   impayée ", []Clause{{Value: "facture"}, {Value: "impayée"}}},
		{`"rendez-vous  annulé"`, []Clause{{Value: "rendez-vous annulé", Phrase: true}}},
		{`channel:email Status:open`, []Clause{{Field: "channel", Value: "email"}, {Field: "status", Value: "open"}}},
		{`agent:me`, []Clause{{Field: "assignee", Value: "me"}}},
		{`from:"Marie Dupont"`, []Clause{{Field: "from", Value: "Marie Dupont", Phrase: true}}},
		{`-résolu -status:open -"mot exact"`, []Clause{{Value: "résolu", Negate: true}, {Field: "status", Value: "open", Negate: true}, {Value: "mot exact", Phrase: true, Negate: true}}},
		{`10:30 ex:foo`, []Clause{{Value: "10:30"}, {Value: "ex:foo"}}},
		{`"non fermé`, []Clause{{Value: "non fermé", Phrase: true}}},
		{`- -- a-b`, []Clause{{Value: "-"}, {Value: "--"}, {Value: "a-b"}}},
		{`06 12 34 56 78 retard`, []Clause{{Value: "06 12 34 56 78", Phone: true}, {Value: "retard"}}},
		{`+33 6 12 34 56 78`, []Clause{{Value: "+33 6 12 34 56 78", Phone: true}}},
		{`06.12.34.56.78`, []Clause{{Value: "06.12.34.56.78", Phone: true}}},
		{`2024 12`, []Clause{{Value: "2024 12", Phone: true}}},
		{`12 34`, []Clause{{Value: "12"}, {Value: "34"}}},
		{`dossier 123456`, []Clause{{Value: "dossier"}, {Value: "123456", Phone: true}}},
		{`a"b"`, []Clause{{Value: "a"}, {Value: "b", Phrase: true}}},
		{`"" -""`, nil},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q) = %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got.Clauses, tt.want) {
			t.Errorf("ParseQuery(%q) = %+v, want %+v", tt.in, got.Clauses, tt.want)
		}
	}
}

func TestParseQueryErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{strings.Repeat("a", MaxQueryBytes+1), "longer than"},
		{"ok \xff", "UTF-8"},
		{"channel:", "needs a value"},
		{`from:""`, "needs a value"},
		{strings.Repeat("w ", MaxClauses+1), "more than"},
	}
	for _, tt := range tests {
		_, err := ParseQuery(tt.in)
		var qe *QueryError
		if !errors.As(err, &qe) || !strings.Contains(qe.Message, tt.want) {
			t.Errorf("ParseQuery(%.20q…) = %v, want a QueryError about %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParseQuery checks the parser never panics, keeps its limits, produces clauses
// with values, and that String renders a query that parses back to the same query.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{"", "facture", `"a b" -c`, "channel:email -status:open", `from:"Marie D"`,
		"06 12 34 56 78", "+33 6 12", `-"`, `a"b`, "x:y:z", "\x00\t\n", "é\u00a0è"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Offset < 0 || qe.Offset > len(s) {
				t.Fatalf("ParseQuery(%q) error %v: want a QueryError with an offset in the input", s, err)
			}
			return
		}
		if len(q.Clauses) > MaxClauses {
			t.Fatalf("ParseQuery(%q) = %d clauses, over the limit", s, len(q.Clauses))
		}
		for _, c := range q.Clauses {
			if c.Value == "" || strings.TrimSpace(c.Value) != c.Value {
				t.Fatalf("ParseQuery(%q) has clause %+v with an empty or padded value", s, c)
			}
		}
		again, err := ParseQuery(q.String())
		if err != nil {
			t.Fatalf("ParseQuery(%q) = %v for the rendering of ParseQuery(%q)", q.String(), err, s)
		}
		if !reflect.DeepEqual(again.Clauses, q.Clauses) {
			t.Fatalf("ParseQuery(%q) = %+v\nrendered %q parses to %+v", s, q.Clauses, q.String(), again.Clauses)
		}
	})
}
