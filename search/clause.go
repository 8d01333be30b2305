package search

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// clause compiles one clause of a query; nil means the clause is a stop word and
// selects nothing either way.
func (x *Index) clause(ctx context.Context, actor inbox.User, c Clause) (query.Query, error) {
	v := c.Value
	switch c.Field {
	case "":
		if c.Phrase {
			return x.phraseQuery(v), nil
		}
		if c.Phone && strings.Contains(v, " ") {
			// Digit groups: a phone number, or the same numbers as words in the text.
			words := make([]query.Query, 0, 5)
			for _, g := range strings.Fields(v) {
				if w := x.wordQuery(g, false); w != nil {
					words = append(words, w)
				}
			}
			qs := []query.Query{query.NewConjunctionQuery(words)}
			if id := x.identityQuery(v, true); id != nil {
				qs = append(qs, id)
			}
			return anyQuery(qs), nil
		}
		return x.wordQuery(v, c.Phone), nil
	case "channel", "status", "category", "kind":
		return termQuery(c.Field, strings.ToLower(v)), nil
	case "tag":
		return termQuery(fieldTags, strings.ToLower(v)), nil
	case "language":
		return termQuery(fieldLanguage, languageValue(v)), nil
	case "contact":
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return nil, invalid("q", "contact:%s: a contact id is a number", v)
		}
		return termQuery(fieldContact, v), nil
	case "team":
		id, err := x.teamValue(ctx, v)
		if err != nil {
			return nil, err
		}
		return termQuery(fieldTeam, id), nil
	case "assignee":
		id, err := x.userValue(ctx, actor, v)
		if err != nil {
			return nil, err
		}
		return termQuery(fieldAssignee, id), nil
	case "from":
		q := x.identityQuery(v, isPhoneWord(strings.ReplaceAll(v, " ", "")))
		if q == nil {
			return anyQuery(nil), nil // matches nothing
		}
		return q, nil
	case "subject":
		var qs []query.Query
		for _, l := range textLangs {
			if c.Phrase {
				qs = append(qs, matchPhrase(subjectFields[l], v))
			} else if q := x.allTerms(subjectFields[l], langAnalyzers[l], v); q != nil {
				qs = append(qs, q)
			}
		}
		return anyQuery(qs), nil
	case "before", "after":
		y, m, d, ok := parseDay(v)
		if !ok {
			return nil, invalid("q", "%s:%s: a date is written YYYY-MM-DD", c.Field, v)
		}
		day := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
		if !inbox.TimeInRange(day) {
			return nil, invalid("q", "%s:%s: outside the accepted years (1970 to 2199)", c.Field, v)
		}
		t, f := true, false
		var q *query.DateRangeQuery
		if c.Field == "before" {
			q = query.NewDateRangeInclusiveQuery(time.Time{}, day, &f, &f)
		} else {
			q = query.NewDateRangeInclusiveQuery(day, time.Time{}, &t, &f)
		}
		q.SetField(fieldCreated)
		return q, nil
	}
	return nil, invalid("q", "unknown field %s", c.Field)
}

// teamValue resolves a team: an id, "none", or a slug.
func (x *Index) teamValue(ctx context.Context, v string) (string, error) {
	if strings.EqualFold(v, noValue) {
		return noValue, nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		return v, nil
	}
	if x.dir != nil {
		teams, err := x.dir.Teams(ctx)
		if err != nil {
			return "", err
		}
		for _, t := range teams {
			if strings.EqualFold(t.Slug, v) {
				return strconv.FormatInt(t.ID, 10), nil
			}
		}
	}
	return "", invalid("q", "team:%s: no such team", v)
}

// userValue resolves an assignee: an id, "me", "none", or an email.
func (x *Index) userValue(ctx context.Context, actor inbox.User, v string) (string, error) {
	switch {
	case strings.EqualFold(v, "me"):
		return strconv.FormatInt(actor.ID, 10), nil
	case strings.EqualFold(v, noValue):
		return noValue, nil
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		return v, nil
	}
	if x.dir != nil && strings.Contains(v, "@") {
		u, err := x.dir.UserByEmail(ctx, strings.ToLower(v))
		if err == nil {
			return strconv.FormatInt(u.ID, 10), nil
		}
		if !errors.Is(err, inbox.ErrNotFound) {
			return "", err
		}
	}
	return "", invalid("q", "assignee:%s: no such user", v)
}

// analyze returns the terms analyzer makes of text.
func (x *Index) analyze(analyzer, text string) []string {
	a := x.bi.Mapping().AnalyzerNamed(analyzer)
	if a == nil {
		return nil
	}
	var out []string
	for _, t := range a.Analyze([]byte(text)) {
		out = append(out, string(t.Term))
	}
	return out
}

// wordQuery looks for one typed word in every text field with the field's analyzer, in
// contact names, emails and phone numbers (as prefixes, since people type them
// partially). It returns nil for a stop word of French or English, which is looked for
// nowhere.
func (x *Index) wordQuery(w string, phone bool) query.Query {
	if x.stopWord(w) {
		return nil // "la facture" looks for facture
	}
	var qs []query.Query
	for _, l := range textLangs {
		for _, f := range []string{textFields[l], subjectFields[l]} {
			if q := x.allTerms(f, langAnalyzers[l], w); q != nil {
				qs = append(qs, q)
			}
		}
	}
	if id := x.identityQuery(w, phone); id != nil {
		qs = append(qs, id)
	}
	if len(qs) == 0 {
		return nil
	}
	return anyQuery(qs)
}

// stopWord reports whether w is a stop word of French or English.
func (x *Index) stopWord(w string) bool {
	return len(x.analyze(AnalyzerFrench, w)) == 0 || len(x.analyze(AnalyzerEnglish, w)) == 0
}

// identityQuery looks for v as a contact's email address, as the start of their
// phone number, or as the starts of their name words and email parts ("lucas.d",
// "Dur", "jean-p"): every word of v must begin one of them.
func (x *Index) identityQuery(v string, phone bool) query.Query {
	var qs []query.Query
	if phone {
		if d := phoneDigits(v); len(d) >= 3 {
			qs = append(qs, prefix(fieldPhone, d))
		}
	}
	if strings.Contains(v, "@") {
		qs = append(qs, termQuery(fieldEmail, strings.ToLower(v)))
	}
	if words := x.analyze(AnalyzerPlain, splitAlnum(v)); len(words) > 0 {
		ws := make([]query.Query, 0, len(words))
		for _, w := range words {
			if r := []rune(w); len(r) > prefixMax {
				w = string(r[:prefixMax])
			}
			ws = append(ws, termQuery(fieldPrefix, w))
		}
		if len(ws) == 1 {
			qs = append(qs, ws[0])
		} else {
			qs = append(qs, query.NewConjunctionQuery(ws))
		}
	}
	if len(qs) == 0 {
		return nil
	}
	return anyQuery(qs)
}

// phraseQuery looks for a phrase in every text field and in contact names.
func (x *Index) phraseQuery(p string) query.Query {
	qs := make([]query.Query, 0, 2*len(textLangs)+1)
	for _, l := range textLangs {
		qs = append(qs, matchPhrase(textFields[l], p), matchPhrase(subjectFields[l], p))
	}
	qs = append(qs, matchPhrase(fieldName, p))
	return anyQuery(qs)
}

// allTerms looks for every term analyzer makes of text in field: one term query when
// there is one (most words), which bleve can run as a bitmap when nothing is scored,
// where a match query would wrap it in a conjunction of one; nil when there is none
// (a stop word of that language).
func (x *Index) allTerms(field, analyzer, text string) query.Query {
	terms := x.analyze(analyzer, text)
	switch len(terms) {
	case 0:
		return nil
	case 1:
		return termQuery(field, terms[0])
	}
	qs := make([]query.Query, len(terms))
	for i, t := range terms {
		qs[i] = termQuery(field, t)
	}
	return query.NewConjunctionQuery(qs)
}

func matchPhrase(field, text string) query.Query {
	q := query.NewMatchPhraseQuery(text)
	q.SetField(field)
	return q
}

func prefix(field, p string) query.Query {
	q := query.NewPrefixQuery(p)
	q.SetField(field)
	return q
}
