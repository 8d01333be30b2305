package search

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// docID is the index id of message id.
func docID(id int64) string { return "m" + strconv.FormatInt(id, 10) }

// Document is one message as indexed, with the fields of its conversation and contact
// that people filter and search on. It is what the index mapping describes.
type Document map[string]any

// NewDocument builds the document of message m of conversation c with contact ct.
// defaultCountry is the calling code national phone numbers are read with.
func NewDocument(m inbox.Message, c inbox.Conversation, ct inbox.Contact, defaultCountry string) Document {
	lang := analysisLanguage(m.Text+" "+m.Subject, c.Language)
	d := Document{
		"_type":           docType,
		fieldMessageID:    float64(m.ID),
		fieldIDKey:        hexKey(uint64(m.ID)),
		fieldDateKey:      dateKey(m.CreatedAt, m.ID),
		fieldConversation: strconv.FormatInt(c.ID, 10),
		fieldKind:         string(m.Kind),
		fieldChannel:      c.Channel,
		fieldTeam:         idOrNone(c.TeamID),
		fieldAssignee:     idOrNone(c.AssigneeID),
		fieldStatus:       string(c.Status),
		fieldCategory:     orNone(c.Category),
		fieldLanguage:     languageValue(c.Language),
		fieldContact:      strconv.FormatInt(c.ContactID, 10),
		fieldPriority:     float64(c.Priority),
		fieldCreated:      m.CreatedAt.UTC(),
		fieldTextLang:     lang,
		textFields[lang]:  m.Text,
	}
	var facets []string
	for _, f := range facetFields {
		switch v := d[f].(type) {
		case string:
			facets = append(facets, f+"="+v)
		}
	}
	for _, t := range c.Tags {
		facets = append(facets, fieldTags+"="+t)
	}
	d[fieldFacet] = facets
	if m.AuthorUserID != 0 {
		d[fieldAuthor] = strconv.FormatInt(m.AuthorUserID, 10)
	}
	if len(c.Tags) > 0 {
		d[fieldTags] = append([]string(nil), c.Tags...)
	}
	subject := m.Subject
	if subject == "" {
		subject = c.Subject
	}
	if subject != "" {
		d[subjectFields[lang]] = subject
		d[fieldSubject] = subject
	}
	var names, emails, idents, phones []string
	if ct.Name != "" {
		names = append(names, ct.Name)
	}
	for _, id := range ct.Identities {
		if id.Name != "" && id.Name != ct.Name {
			names = append(names, id.Name)
		}
		switch id.Kind {
		case channels.KindEmail:
			v := strings.ToLower(id.Value)
			emails = append(emails, v)
			idents = append(idents, splitAlnum(v))
		case channels.KindPhone:
			phones = append(phones, phoneForms(id.Value, defaultCountry)...)
		}
	}
	if len(names) > 0 {
		d[fieldName] = strings.Join(names, " ")
	}
	if len(emails) > 0 {
		d[fieldEmail] = emails
	}
	// Names are split like addresses ("N'Diaye" is n diaye, "J.R." j r), as the
	// query side splits what is typed.
	var nameParts []string
	for _, n := range names {
		nameParts = append(nameParts, splitAlnum(n))
	}
	if words := slices.Concat(nameParts, idents); len(words) > 0 {
		d[fieldPrefix] = strings.Join(words, " ")
	}
	if len(phones) > 0 {
		d[fieldPhone] = phones
	}
	return d
}

func idOrNone(id int64) string {
	if id == 0 {
		return noValue
	}
	return strconv.FormatInt(id, 10)
}

func orNone(s string) string {
	if s == "" {
		return noValue
	}
	return s
}

// languageValue is the keyword stored for a conversation language: its primary tag, or
// "und" (undetermined, as in BCP 47) when unknown.
func languageValue(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i > 0 {
		lang = lang[:i]
	}
	if lang == "" {
		return "und"
	}
	return lang
}

// splitAlnum replaces every run of characters that are neither letters nor digits with
// one space: "marie.dupont@example.fr" becomes "marie dupont example fr".
func splitAlnum(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// phoneForms returns the digit strings a stored E.164 number is found by: the
// international digits ("33612345678") and, for numbers of the default country, the
// national significant number ("612345678") and the national form ("0612345678").
func phoneForms(e164, defaultCountry string) []string {
	d := digits(e164)
	if d == "" {
		return nil
	}
	out := []string{d}
	if defaultCountry != "" && strings.HasPrefix(d, defaultCountry) && len(d) > len(defaultCountry)+4 {
		nsn := d[len(defaultCountry):]
		out = append(out, nsn, "0"+nsn)
	}
	return out
}

// digits keeps the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hexKey writes v as 16 hexadecimal digits, so that string order is number order.
func hexKey(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// dateKey orders messages by time, then id: the time in microseconds (sign bit
// flipped, so that times before 1970 still sort first) and the id, in fixed-width hex.
func dateKey(t time.Time, id int64) string {
	return hexKey(uint64(t.UnixMicro())^(1<<63)) + hexKey(uint64(id))
}
