package mailparse

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-message/textproto"
	"golang.org/x/text/encoding/charmap"
)

// decodeBody reads a part's body and undoes its transfer encoding, leniently. It keeps
// at most MaxPartBytes decoded bytes and reports whether there were more.
func (w *walker) decodeBody(h textproto.Header, r io.Reader) ([]byte, bool) {
	max := w.p.lim.MaxPartBytes
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	readCap := max + 1
	if enc == "base64" {
		// Four characters per three bytes, plus a line break every 76 characters (or
		// 64): a part just under the cap must not read as over it.
		encoded := (max + 2) / 3 * 4
		readCap = encoded + encoded/16 + 1024
	}
	raw, err := io.ReadAll(io.LimitReader(r, readCap))
	if err != nil {
		w.warn("part body unreadable: %s", firstLine(err.Error(), 100))
	}
	more := int64(len(raw)) == readCap && readMore(r)
	var out []byte
	switch enc {
	case "", "7bit", "8bit", "binary":
		out = raw
	case "base64":
		var skipped int
		if out, skipped = decodeBase64(raw); skipped > 0 {
			w.warn("%d characters outside base64 skipped: the part may be damaged", skipped)
		}
	case "quoted-printable":
		out = decodeQP(raw)
	default:
		w.warn("unknown transfer encoding %q kept as is", firstLine(enc, 40))
		out = raw
	}
	if int64(len(out)) > max {
		return out[:max], true
	}
	return out, more
}

// readMore reports whether r has at least one more byte, draining nothing else.
func readMore(r io.Reader) bool {
	var b [1]byte
	n, _ := io.ReadFull(r, b[:])
	return n == 1
}

// decodeBase64 decodes what it can: characters outside the alphabet are skipped and a
// dangling last character dropped; skipped counts the skipped ones other than line
// breaks and spaces (the content may be damaged).
func decodeBase64(raw []byte) (data []byte, skipped int) {
	clean := make([]byte, 0, len(raw))
	for _, b := range raw {
		if b == '=' {
			break // padding: the data ends here, whatever follows
		}
		switch {
		case b >= 'A' && b <= 'Z', b >= 'a' && b <= 'z', b >= '0' && b <= '9', b == '+', b == '/':
			clean = append(clean, b)
		case b == '\r', b == '\n', b == ' ', b == '\t':
		default:
			skipped++
		}
	}
	if len(clean)%4 == 1 {
		clean = clean[:len(clean)-1]
	}
	out := make([]byte, base64.RawStdEncoding.DecodedLen(len(clean)))
	n, _ := base64.RawStdEncoding.Decode(out, clean)
	return out[:n], skipped
}

// decodeQP decodes quoted-printable; an "=" not followed by two hex digits or a line
// end is kept literally.
func decodeQP(raw []byte) []byte {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		b := raw[i]
		if b != '=' {
			out = append(out, b)
			continue
		}
		rest := raw[i+1:]
		// Soft line break: "=" then optional white space then CRLF or LF.
		j := 0
		for j < len(rest) && (rest[j] == ' ' || rest[j] == '\t') {
			j++
		}
		switch {
		case j < len(rest) && rest[j] == '\n':
			i += j + 1
			continue
		case j+1 < len(rest) && rest[j] == '\r' && rest[j+1] == '\n':
			i += j + 2
			continue
		case j == len(rest):
			i = len(raw)
			continue
		}
		if len(rest) >= 2 && isHex(rest[0]) && isHex(rest[1]) {
			out = append(out, unhex(rest[0])<<4|unhex(rest[1]))
			i += 2
			continue
		}
		out = append(out, '=')
	}
	return out
}

func isHex(b byte) bool {
	return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F')
}

func unhex(b byte) byte {
	switch {
	case b >= '0' && b <= '9':
		return b - '0'
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10
	}
	return b - 'A' + 10
}

// charset converts a text part to UTF-8. An undeclared or unknown charset is decoded
// best-effort (UTF-8 if valid, else Windows-1252, the usual culprit) and flagged.
func (w *walker) charset(data []byte, cs string) string {
	cs = strings.ToLower(strings.Trim(strings.TrimSpace(cs), `"'`))
	switch cs {
	case "utf-8", "utf8", "us-ascii", "ascii", "":
		if utf8.Valid(data) {
			return string(data)
		}
		if cs == "" || cs == "us-ascii" || cs == "ascii" {
			w.warn("undeclared 8-bit charset decoded as Windows-1252")
			return decodeWindows1252(data)
		}
		w.warn("invalid UTF-8 replaced")
		return strings.ToValidUTF8(string(data), "\uFFFD")
	}
	r, err := charsetReader(cs, bytes.NewReader(data))
	if err == nil {
		out, err := io.ReadAll(r)
		if err == nil {
			return strings.ToValidUTF8(string(out), "\uFFFD")
		}
	}
	if utf8.Valid(data) {
		w.warn("unknown charset %q read as UTF-8", firstLine(cs, 40))
		return string(data)
	}
	w.warn("unknown charset %q decoded as Windows-1252", firstLine(cs, 40))
	return decodeWindows1252(data)
}

// charsetReader converts from a named charset to UTF-8.
func charsetReader(cs string, r io.Reader) (io.Reader, error) {
	cs = strings.ToLower(cs)
	switch cs {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return r, nil
	}
	out, err := charset.Reader(cs, r)
	if err != nil {
		return nil, fmt.Errorf("mailparse: charset %q: %w", cs, err)
	}
	return out, nil
}

// decodeWindows1252 decodes b as Windows-1252, which never fails.
func decodeWindows1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}
