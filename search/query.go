package search

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The query language, small on purpose (bleve's own query syntax is not exposed: its
// boosts, regular expressions and field names are not for end users):
//
//	facture impayée          words: every word must match, in any text field
//	"rendez-vous annulé"     a phrase
//	channel:email            a field filter; fields are listed in queryFields
//	from:"Marie Dupont"      a field with a quoted value
//	-résolu  -status:open    exclusion of a word, phrase or field value
//	06 12 34 56 78           digit groups typed like a phone number are one phone number
//
// A word with a colon whose prefix is not a known field is a plain word ("10:30").
// An unterminated quote runs to the end of the string, so a query typed as you go
// never fails on it.

// Limits of a query string.
const (
	// MaxQueryBytes bounds the query string; longer is refused.
	MaxQueryBytes = 1000
	// MaxClauses bounds the words, phrases and filters of one query.
	MaxClauses = 32
)

// queryFields are the field names of field:value clauses, with their aliases.
var queryFields = map[string]string{
	"channel": "channel", "status": "status", "team": "team", "assignee": "assignee",
	"agent": "assignee", "category": "category", "tag": "tag", "tags": "tag",
	"lang": "language", "language": "language", "kind": "kind", "contact": "contact",
	"from": "from", "subject": "subject", "before": "before", "after": "after",
}

// Clause is one element of a query.
type Clause struct {
	// Field is the canonical field name of a field:value clause, empty for free text.
	Field string
	// Value is the word, phrase or field value, without quotes.
	Value string
	// Phrase is true for a quoted value.
	Phrase bool
	// Negate is true for an exclusion (leading '-').
	Negate bool
	// Phone is true for digit groups read as one phone number (Value is as typed,
	// groups joined by spaces).
	Phone bool
}

// Query is a parsed query string.
type Query struct {
	Clauses []Clause
}

// QueryError says why a query string was refused.
type QueryError struct {
	// Offset is the byte offset of the problem in the query string.
	Offset  int
	Message string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("search: query at byte %d: %s", e.Offset, e.Message)
}

// ParseQuery parses a query string typed by a user. The empty string is the empty
// query (everything the user may see).
func ParseQuery(s string) (Query, error) {
	var q Query
	if len(s) > MaxQueryBytes {
		return q, &QueryError{Offset: MaxQueryBytes, Message: fmt.Sprintf("longer than %d bytes", MaxQueryBytes)}
	}
	if !utf8.ValidString(s) {
		return q, &QueryError{Offset: invalidOffset(s), Message: "not valid UTF-8"}
	}
	i := 0
	for {
		for i < len(s) {
			r, n := utf8.DecodeRuneInString(s[i:])
			if !isSpace(r) {
				break
			}
			i += n
		}
		if i >= len(s) {
			break
		}
		start := i
		var c Clause
		if s[i] == '-' && i+1 < len(s) {
			if r, _ := utf8.DecodeRuneInString(s[i+1:]); !isSpace(r) && r != '-' {
				c.Negate = true
				i++
			}
		}
		if s[i] == '"' {
			c.Value, i = readQuoted(s, i+1)
			c.Phrase = true
		} else {
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if isSpace(r) || r == '"' {
					break
				}
				j += n
			}
			word := s[i:j]
			i = j
			if k := strings.IndexByte(word, ':'); k > 0 {
				if f, ok := queryFields[strings.ToLower(word[:k])]; ok {
					c.Field = f
					word = word[k+1:]
					if word == "" && i < len(s) && s[i] == '"' {
						word, i = readQuoted(s, i+1)
						c.Phrase = true
					}
					if strings.TrimSpace(word) == "" {
						return Query{}, &QueryError{Offset: start, Message: fmt.Sprintf("field %s: needs a value", f)}
					}
				}
			}
			c.Value = word
		}
		c.Value = strings.TrimSpace(collapseSpaces(c.Value))
		if c.Value == "" {
			continue // "" or -"": nothing to look for
		}
		if len(q.Clauses) == MaxClauses {
			return Query{}, &QueryError{Offset: start, Message: fmt.Sprintf("more than %d words and filters", MaxClauses)}
		}
		q.Clauses = append(q.Clauses, c)
	}
	q.Clauses = mergePhones(q.Clauses)
	return q, nil
}

// readQuoted reads from s[i:] up to the closing quote (or the end) and returns the
// content and the offset after the quote.
func readQuoted(s string, i int) (string, int) {
	j := strings.IndexByte(s[i:], '"')
	if j < 0 {
		return s[i:], len(s)
	}
	return s[i : i+j], i + j + 1
}

func isSpace(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// collapseSpaces turns every run of white space or control characters into one space.
func collapseSpaces(s string) string {
	return strings.Join(strings.FieldsFunc(s, isSpace), " ")
}

func invalidOffset(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return i
			}
		}
	}
	return 0
}

// Phone detection. A run of at least two free words that are digit groups ("06 12 34
// 56 78", "+33 6 12 34 56 78") with 6 digits or more in all becomes one phone clause;
// so does one word of 6 to 15 digits written with phone punctuation ("06.12.34.56.78",
// "+33612345678").

func mergePhones(in []Clause) []Clause {
	out := in[:0:0]
	for i := 0; i < len(in); {
		j := i
		n := 0
		for j < len(in) && isDigitGroup(in[j], j == i) {
			n += len(digits(in[j].Value))
			j++
		}
		if j-i >= 2 && n >= 6 && n <= 15 {
			parts := make([]string, 0, j-i)
			for _, c := range in[i:j] {
				parts = append(parts, c.Value)
			}
			out = append(out, Clause{Value: strings.Join(parts, " "), Phone: true})
			i = j
			continue
		}
		c := in[i]
		if c.Field == "" && !c.Phrase && isPhoneWord(c.Value) {
			c.Phone = true
		}
		out = append(out, c)
		i++
	}
	return out
}

// isDigitGroup reports whether c is a free word of 1 to 4 digits (the first of a run
// may start with + or be 00 followed by digits).
func isDigitGroup(c Clause, first bool) bool {
	if c.Field != "" || c.Phrase || c.Negate {
		return false
	}
	v := c.Value
	if first && strings.HasPrefix(v, "+") {
		v = v[1:]
	}
	if len(v) == 0 || len(v) > 4 {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// isPhoneWord reports whether w is one word written like a phone number.
func isPhoneWord(w string) bool {
	n := 0
	for i, r := range w {
		switch {
		case r >= '0' && r <= '9':
			n++
		case r == '+' && i == 0, r == '.', r == '-', r == '(', r == ')', r == '/':
		default:
			return false
		}
	}
	return n >= 6 && n <= 15
}

// phoneDigits returns the digits a phone clause is looked up by: its digits, without a
// leading international 00.
func phoneDigits(v string) string {
	d := digits(v)
	if strings.HasPrefix(d, "00") {
		d = d[2:]
	}
	return d
}

// String renders q as a query string that parses back to q.
func (q Query) String() string {
	var b strings.Builder
	for i, c := range q.Clauses {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.Negate {
			b.WriteByte('-')
		}
		if c.Field != "" {
			b.WriteString(c.Field)
			b.WriteByte(':')
		}
		if c.Phrase {
			b.WriteString(`"` + c.Value + `"`)
		} else {
			b.WriteString(c.Value)
		}
	}
	return b.String()
}

// parseDay reads a before:/after: value: a date YYYY-MM-DD.
func parseDay(v string) (y, m, d int, ok bool) {
	if len(v) != 10 || v[4] != '-' || v[7] != '-' {
		return 0, 0, 0, false
	}
	var err error
	if y, err = strconv.Atoi(v[:4]); err != nil {
		return 0, 0, 0, false
	}
	if m, err = strconv.Atoi(v[5:7]); err != nil || m < 1 || m > 12 {
		return 0, 0, 0, false
	}
	if d, err = strconv.Atoi(v[8:]); err != nil || d < 1 || d > 31 {
		return 0, 0, 0, false
	}
	return y, m, d, true
}
