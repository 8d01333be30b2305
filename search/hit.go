package search

import (
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	bsearch "github.com/blevesearch/bleve/v2/search"
)

// Snippet sizes, in bytes.
const (
	snippetBytes  = 240
	snippetBefore = 60
)

// toHit reads a bleve hit's stored fields.
func toHit(h *bsearch.DocumentMatch, fullText bool) Hit {
	str := func(f string) string { s, _ := h.Fields[f].(string); return s }
	num := func(f string) float64 { n, _ := h.Fields[f].(float64); return n }
	id := func(f string) int64 { n, _ := strconv.ParseInt(str(f), 10, 64); return n }
	hit := Hit{
		MessageID:      int64(num(fieldMessageID)),
		ConversationID: id(fieldConversation),
		Kind:           str(fieldKind),
		Channel:        str(fieldChannel),
		Status:         str(fieldStatus),
		TeamID:         id(fieldTeam),
		AssigneeID:     id(fieldAssignee),
		Category:       str(fieldCategory),
		Language:       str(fieldLanguage),
		Priority:       int(num(fieldPriority)),
		ContactID:      id(fieldContact),
		ContactName:    str(fieldName),
		Subject:        str(fieldSubject),
		Score:          h.Score,
	}
	if hit.Category == noValue {
		hit.Category = ""
	}
	if hit.Language == "und" {
		hit.Language = ""
	}
	// The time, to the microsecond, from the date sort key (bleve keeps stored dates
	// to the second).
	if t, err := dateOfKey(str(fieldDateKey)); err == nil {
		hit.CreatedAt = t.UTC()
	}
	field := textFields[str(fieldTextLang)]
	text := str(field)
	var spans [][2]int
	for _, locs := range h.Locations[field] {
		for _, l := range locs {
			if int(l.End) <= len(text) && l.Start < l.End {
				spans = append(spans, [2]int{int(l.Start), int(l.End)})
			}
		}
	}
	hit.Snippet = snippet(text, spans)
	if fullText {
		hit.Text = text
	}
	return hit
}

// snippet cuts an extract of text around the first match and splits it into plain and
// matched segments. spans are byte ranges of matches in text. The extract starts and
// ends on word boundaries, with "…" where text was cut.
func snippet(text string, spans [][2]int) []Segment {
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	// Merge overlapping spans.
	merged := spans[:0]
	for _, s := range spans {
		if n := len(merged); n > 0 && s[0] <= merged[n-1][1] {
			merged[n-1][1] = max(merged[n-1][1], s[1])
			continue
		}
		merged = append(merged, s)
	}
	from := 0
	if len(merged) > 0 && merged[0][0] > snippetBefore {
		from = wordStart(text, merged[0][0]-snippetBefore)
	}
	to := len(text)
	if to-from > snippetBytes {
		to = wordEnd(text, from+snippetBytes)
	}
	var out []Segment
	add := func(s string, match bool) {
		if s == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Match == match {
			out[n-1].Text += s
			return
		}
		out = append(out, Segment{Text: s, Match: match})
	}
	if from > 0 {
		add("…", false)
	}
	pos := from
	for _, s := range merged {
		if s[1] <= from || s[0] >= to {
			continue
		}
		a, b := max(s[0], from), min(s[1], to)
		add(text[pos:a], false)
		add(text[a:b], true)
		pos = b
	}
	add(text[pos:to], false)
	if to < len(text) {
		add("…", false)
	}
	if out == nil {
		out = []Segment{}
	}
	return out
}

// wordStart moves i back to the start of a rune and of the word it is in.
func wordStart(s string, i int) int {
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	for j := 0; i > 0 && j < 20; j++ {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		if unicode.IsSpace(r) {
			break
		}
		i -= n
	}
	return i
}

// wordEnd moves i forward to the end of a rune and of the word it is in.
func wordEnd(s string, i int) int {
	for i < len(s) && !utf8.RuneStart(s[i]) {
		i++
	}
	for j := 0; i < len(s) && j < 20; j++ {
		r, n := utf8.DecodeRuneInString(s[i:])
		if unicode.IsSpace(r) {
			break
		}
		i += n
	}
	return i
}
