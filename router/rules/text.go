package rules

import (
	"unicode"
	"unicode/utf8"
)

// Tokens is a text cut into words, normalised for matching: lower case, accents folded
// (é→e, ç→c, œ→oe), every run of characters that are neither letters nor digits a
// separator. "Rendez-vous à 14h30 !" gives rendez, vous, a, 14h30.
//
// A Tokens is reused across texts with Reset to avoid allocations; it is not safe for
// concurrent use.
type Tokens struct {
	buf   []byte
	spans []span
}

type span struct{ start, end int32 }

// Tokenize returns the tokens of s.
func Tokenize(s string) *Tokens {
	t := &Tokens{}
	t.Add(s)
	return t
}

// Reset empties t, keeping its memory.
func (t *Tokens) Reset() {
	t.buf = t.buf[:0]
	t.spans = t.spans[:0]
}

// Len returns the number of tokens.
func (t *Tokens) Len() int { return len(t.spans) }

// At returns token i; the bytes are valid until the next Reset or Add.
func (t *Tokens) At(i int) []byte {
	sp := t.spans[i]
	return t.buf[sp.start:sp.end]
}

// String returns token i as a string (it allocates).
func (t *Tokens) String(i int) string { return string(t.At(i)) }

// Add appends the tokens of s. Invalid UTF-8 bytes are separators.
func (t *Tokens) Add(s string) {
	start := -1
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			default:
				start = t.end(start)
				continue
			}
			if start < 0 {
				start = len(t.buf)
			}
			t.buf = append(t.buf, c)
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		a, b := Fold(r)
		if a == 0 {
			start = t.end(start)
			continue
		}
		if start < 0 {
			start = len(t.buf)
		}
		t.buf = utf8.AppendRune(t.buf, a)
		if b != 0 {
			t.buf = utf8.AppendRune(t.buf, b)
		}
	}
	t.end(start)
}

// maxTokenBytes caps one token: longer runs (base64 blobs, URLs without separators) are
// cut, so that matching and the classifier's features stay bounded.
const maxTokenBytes = 64

// end closes the token started at start, if any, and returns -1.
func (t *Tokens) end(start int) int {
	if start < 0 {
		return -1
	}
	end := len(t.buf)
	if end-start > maxTokenBytes {
		end = start + maxTokenBytes
		for end > start && !utf8.RuneStart(t.buf[end]) {
			end--
		}
		t.buf = t.buf[:end]
	}
	t.spans = append(t.spans, span{int32(start), int32(end)})
	return -1
}

// Fold maps r to its lower-case form without accents, as one or two runes (œ gives o,
// e). It returns 0 for a rune that is neither a letter nor a digit (a separator).
func Fold(r rune) (rune, rune) {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r, 0
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A', 0
		}
		return 0, 0
	}
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'À', 'Á', 'Â', 'Ã', 'Ä', 'Å':
		return 'a', 0
	case 'ç', 'Ç':
		return 'c', 0
	case 'è', 'é', 'ê', 'ë', 'È', 'É', 'Ê', 'Ë':
		return 'e', 0
	case 'ì', 'í', 'î', 'ï', 'Ì', 'Í', 'Î', 'Ï':
		return 'i', 0
	case 'ñ', 'Ñ':
		return 'n', 0
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'Ò', 'Ó', 'Ô', 'Õ', 'Ö', 'Ø':
		return 'o', 0
	case 'ù', 'ú', 'û', 'ü', 'Ù', 'Ú', 'Û', 'Ü':
		return 'u', 0
	case 'ý', 'ÿ', 'Ý', 'Ÿ':
		return 'y', 0
	case 'œ', 'Œ':
		return 'o', 'e'
	case 'æ', 'Æ':
		return 'a', 'e'
	case 'ß':
		return 's', 's'
	case '’', 'ʼ', '‘':
		return 0, 0
	}
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return unicode.ToLower(r), 0
	}
	return 0, 0
}

// Normalize returns s as its tokens joined by single spaces.
func Normalize(s string) string {
	t := Tokenize(s)
	out := make([]byte, 0, len(t.buf)+t.Len())
	for i := range t.Len() {
		if i > 0 {
			out = append(out, ' ')
		}
		out = append(out, t.At(i)...)
	}
	return string(out)
}
