package mailparse

import (
	"net/mail"
	"path"
	"regexp"
	"strings"
	"unicode/utf8"
)

// MaxIDLength caps a message id; longer ones are ignored (RFC 5322 lines stop at 998).
const MaxIDLength = 998

// ParseIDs reads the message ids of a Message-ID, In-Reply-To or References header
// value and returns them normalised: "<local@domain>" with the domain lower-cased and
// no white space. Ids without angle brackets (broken clients) are accepted when they
// contain an "@". Unreadable tokens are skipped.
func ParseIDs(v string) []string {
	var out []string
	for len(v) > 0 {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			for _, f := range strings.Fields(v) {
				if id := NormalizeID(f); id != "" && strings.Contains(f, "@") {
					out = append(out, id)
				}
			}
			break
		}
		for _, f := range strings.Fields(v[:i]) {
			if id := NormalizeID(f); id != "" && strings.Contains(f, "@") {
				out = append(out, id)
			}
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			if id := NormalizeID(v[i:]); id != "" {
				out = append(out, id)
			}
			break
		}
		if id := NormalizeID(v[i : i+j+1]); id != "" {
			out = append(out, id)
		}
		v = v[i+j+1:]
	}
	return out
}

// NormalizeID returns id in the canonical form "<local@domain>" (domain lower-cased,
// white space and control characters removed), or "" if nothing usable remains.
func NormalizeID(id string) string {
	id = strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f || r == '<' || r == '>' || r == '"' {
			return -1
		}
		return r
	}, id)
	if id == "" || len(id)+2 > MaxIDLength || !utf8.ValidString(id) {
		return ""
	}
	if at := strings.LastIndexByte(id, '@'); at >= 0 {
		id = id[:at] + strings.ToLower(id[at:])
	}
	return "<" + id + ">"
}

var looseAddress = regexp.MustCompile(`[^\s<>"(),;:@]+@[^\s<>"(),;:@]+\.[^\s<>"(),;:@]+`)

// addresses parses an address list header; on malformed input it falls back to
// picking address-looking tokens, with a warning.
func (w *walker) addresses(v, key string) []Address {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	p := mail.AddressParser{WordDecoder: w.p.words}
	list, err := p.ParseList(v)
	if err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, Address{Name: cleanHeaderText(a.Name), Addr: normalizeAddr(a.Address)})
		}
		return out
	}
	w.warn("malformed %s header", key)
	var out []Address
	for _, a := range looseAddress.FindAllString(v, 20) {
		out = append(out, Address{Addr: normalizeAddr(a)})
	}
	return out
}

// normalizeAddr lower-cases the domain of an address and removes anything that could
// break a header. Spaces stay: net/mail gives a quoted local part unquoted ("john
// doe"@example.org as john doe@example.org), and without its space it would be
// another mailbox, where replies would go.
func normalizeAddr(a string) string {
	a = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == '<' || r == '>' {
			return -1
		}
		return r
	}, a)
	a = strings.ToValidUTF8(a, "")
	if at := strings.LastIndexByte(a, '@'); at >= 0 {
		a = a[:at] + strings.ToLower(a[at:])
	}
	return a
}

// decodeText decodes RFC 2047 encoded words of an unstructured header; undecodable
// words are kept as written, with a warning.
func (w *walker) decodeText(v, key string) string {
	if v == "" {
		return ""
	}
	if !utf8.ValidString(v) {
		w.warn("%s header is not UTF-8; read as Windows-1252", key)
		v = decodeWindows1252([]byte(v))
	}
	out, err := w.p.words.DecodeHeader(v)
	if err != nil {
		w.warn("undecodable encoded words in %s header", key)
		out = v
	}
	return cleanHeaderText(out)
}

// filename returns a safe base name from the disposition or type parameters.
func (w *walker) filename(candidates ...string) string {
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if strings.Contains(c, "=?") {
			if d, err := w.p.words.DecodeHeader(c); err == nil {
				c = d
			}
		}
		c = strings.ReplaceAll(c, "\\", "/")
		c = path.Base(cleanHeaderText(c))
		if c == "." || c == "/" || c == ".." {
			continue
		}
		if len(c) > 255 {
			c = c[:255]
			c = strings.ToValidUTF8(c, "")
		}
		return c
	}
	return ""
}

// cleanHeaderText makes v one line of valid UTF-8 without control characters.
func cleanHeaderText(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	v = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, v)
	return strings.Join(strings.Fields(v), " ")
}

// defaultFilename names an attachment that came without a name.
func defaultFilename(mt string) string {
	switch mt {
	case "message/rfc822":
		return "message.eml"
	case "text/calendar":
		return "invite.ics"
	case "text/html":
		return "part.html"
	case "text/plain":
		return "part.txt"
	}
	if strings.HasPrefix(mt, "image/") {
		return "image." + strings.TrimPrefix(mt, "image/")
	}
	return "attachment"
}

// longestLine returns the length of the longest line of raw.
func longestLine(raw []byte) int {
	longest, cur := 0, 0
	for _, b := range raw {
		if b == '\n' {
			cur = 0
			continue
		}
		cur++
		if cur > longest {
			longest = cur
		}
	}
	return longest
}

// cutLines breaks lines longer than max.
func cutLines(raw []byte, max int) []byte {
	out := make([]byte, 0, len(raw)+len(raw)/max*2+2)
	cur := 0
	for _, b := range raw {
		if b == '\n' {
			cur = 0
		} else if cur >= max {
			out = append(out, '\r', '\n')
			cur = 0
		}
		if b != '\n' {
			cur++
		}
		out = append(out, b)
	}
	return out
}

// normalizeNewlines turns CRLF and lone CR into LF and trims trailing space.
func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}
