package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"math"
	"mime"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/microcosm-cc/bluemonday"
)

// Address is a parsed mailbox: display name and address (address lower-cased in its
// domain only).
type Address struct {
	Name string
	Addr string
}

// Attachment is a non-body part.
type Attachment struct {
	Filename    string
	ContentType string
	// ContentID is the Content-ID without angle brackets, for inline parts.
	ContentID string
	// Inline is true for parts with an inline disposition (images shown in the HTML).
	Inline bool
	Data   []byte
}

// Message is what Parse read of a message.
type Message struct {
	// Header is the top-level header, raw (encoded words not decoded).
	Header textproto.Header
	// MessageID is the normalised Message-ID ("<local@domain>"), empty if missing or
	// unreadable.
	MessageID string
	// InReplyTo and References are normalised message ids, in header order.
	InReplyTo  []string
	References []string
	From       Address
	ReplyTo    []Address
	To         []Address
	Cc         []Address
	Subject    string
	// Date is the Date header, zero when missing or unreadable.
	Date time.Time
	// Text is the plain-text body without the quoted history of a reply.
	Text string
	// Quoted is the quoted history cut from Text, if one was recognised.
	Quoted string
	// HTML is the sanitised HTML body, quoted history folded into <details>.
	HTML        string
	Attachments []Attachment
	// Report is set for delivery status notifications (multipart/report).
	Report *Report
	// Warnings says what could not be read cleanly.
	Warnings []string
}

// Parser parses messages under fixed limits. It is safe for concurrent use.
type Parser struct {
	lim    Limits
	policy *bluemonday.Policy
	words  *mime.WordDecoder
}

// New returns a Parser with lim completed by defaults.
func New(lim Limits) *Parser {
	return &Parser{lim: lim.WithDefaults(), policy: newPolicy(), words: &mime.WordDecoder{CharsetReader: charsetReader}}
}

// Limits returns the parser's limits.
func (p *Parser) Limits() Limits { return p.lim }

// walker holds the state of one Parse.
type walker struct {
	p      *Parser
	msg    *Message
	parts  int
	warned map[string]bool
	// bodies are the message's body parts in order: a text or HTML part, or one
	// multipart/alternative (its text and its HTML versions of the same content).
	bodies []body
	// alt is the index in bodies of the multipart/alternative being read, -1 outside.
	alt int
}

// body is one body of a message: plain text, HTML, or both versions of one content.
type body struct {
	text, html       string
	hasText, hasHTML bool
}

func (w *walker) warn(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if w.warned[s] || len(w.msg.Warnings) >= 50 {
		return
	}
	w.warned[s] = true
	w.msg.Warnings = append(w.msg.Warnings, s)
}

// Parse reads raw. It never fails: what cannot be read is skipped and reported in
// Warnings.
func (p *Parser) Parse(raw []byte) *Message {
	m := &Message{}
	w := &walker{p: p, msg: m, warned: map[string]bool{}, alt: -1}
	if fixed, n, first := repairHeader(raw); n > 0 {
		w.warn("%d malformed header line(s) skipped, the first %q", n, firstLine(first, 60))
		raw = fixed
	}
	var body io.Reader = bytes.NewReader(raw)
	if long := longestLine(raw); long > p.lim.MaxLineLength {
		w.warn("line of %d bytes cut at %d", long, p.lim.MaxLineLength)
		body = bytes.NewReader(cutLines(raw, p.lim.MaxLineLength))
	}
	lr := &limitReader{r: body, n: int64(p.lim.MaxHeaderBytes)}
	br := bufio.NewReader(lr)
	h, err := textproto.ReadHeader(br)
	if err != nil {
		if lr.n <= 0 {
			w.warn("header block larger than %d bytes", p.lim.MaxHeaderBytes)
		} else {
			w.warn("malformed header: %s", firstLine(err.Error(), 100))
		}
	}
	lr.n = math.MaxInt64
	m.Header = h
	w.headers(h)
	if err != nil {
		// The rest is read as plain text: better something than nothing.
		w.leaf(textproto.Header{}, br, "")
	} else {
		w.entity(h, br, 0)
	}
	w.finish()
	return m
}

// headers fills the message fields from the top-level header.
func (w *walker) headers(h textproto.Header) {
	m := w.msg
	ids := func(key string) []string {
		v := h.Get(key)
		if v == "" {
			return nil
		}
		out := ParseIDs(v)
		if len(out) == 0 {
			w.warn("unreadable %s header", key)
		}
		return out
	}
	if v := h.Get("Message-Id"); v != "" {
		if list := ParseIDs(v); len(list) > 0 {
			m.MessageID = list[0]
		} else {
			w.warn("unreadable Message-ID header")
		}
	}
	m.InReplyTo = ids("In-Reply-To")
	m.References = ids("References")
	m.Subject = w.decodeText(h.Get("Subject"), "Subject")
	if from := w.addresses(h.Get("From"), "From"); len(from) > 0 {
		m.From = from[0]
	} else if sender := w.addresses(h.Get("Sender"), "Sender"); len(sender) > 0 {
		m.From = sender[0]
	}
	m.ReplyTo = w.addresses(h.Get("Reply-To"), "Reply-To")
	m.To = w.addresses(h.Get("To"), "To")
	m.Cc = w.addresses(h.Get("Cc"), "Cc")
	if d := h.Get("Date"); d != "" {
		if t, err := mail.ParseDate(d); err == nil {
			m.Date = t
		} else {
			w.warn("unreadable Date header")
		}
	}
}

// entity walks one MIME entity whose header is h and raw body r.
func (w *walker) entity(h textproto.Header, r io.Reader, depth int) {
	w.parts++
	if w.parts > w.p.lim.MaxParts {
		w.warn("more than %d MIME parts; the rest is ignored", w.p.lim.MaxParts)
		return
	}
	mt, params := w.contentType(h)
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		boundary := params["boundary"]
		if boundary == "" {
			w.warn("multipart without boundary read as text")
			w.leaf(h, r, "text/plain")
			return
		}
		if depth+1 > w.p.lim.MaxDepth {
			w.warn("multipart nested deeper than %d levels ignored", w.p.lim.MaxDepth)
			return
		}
		w.multipart(mt, boundary, r, depth+1)
	default:
		w.leaf(h, r, "")
	}
}

// multipart walks the parts of a multipart entity.
func (w *walker) multipart(mt, boundary string, r io.Reader, depth int) {
	if mt == "multipart/alternative" && w.alt < 0 {
		// One body, in several versions; an alternative nested in it is part of it.
		w.bodies = append(w.bodies, body{})
		w.alt = len(w.bodies) - 1
		defer func() { w.alt = -1 }()
	}
	// What is read before the first part is kept, so that a boundary found nowhere
	// (mislabelled) leaves the body readable as text rather than empty.
	head := &prefix{max: int(min(w.p.lim.MaxPartBytes, math.MaxInt32))}
	mr := textproto.NewMultipartReader(io.TeeReader(r, head), boundary)
	var report reportParts
	for i := 0; ; i++ {
		part, err := mr.NextPart()
		if i == 0 && err != nil && !bytes.Contains(head.buf.Bytes(), []byte("--"+boundary)) {
			w.warn("multipart boundary %q not found: the body is read as text", firstLine(boundary, 70))
			w.leaf(textproto.Header{}, io.MultiReader(bytes.NewReader(head.buf.Bytes()), r), "text/plain")
			return
		}
		head.stop()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.warn("truncated or malformed multipart: %s", firstLine(err.Error(), 100))
			break
		}
		if size := headerSize(part.Header); size > w.p.lim.MaxHeaderBytes {
			w.warn("part header larger than %d bytes ignored", w.p.lim.MaxHeaderBytes)
			continue
		}
		if mt == "multipart/report" && i > 0 {
			pmt, _ := w.contentType(part.Header)
			if report.take(w, pmt, part) {
				continue
			}
		}
		w.entity(part.Header, part, depth)
		if w.parts > w.p.lim.MaxParts {
			break
		}
	}
	if mt == "multipart/report" {
		w.msg.Report = report.build()
	}
}

// leaf handles a non-multipart entity; asType, if set, overrides its media type.
func (w *walker) leaf(h textproto.Header, r io.Reader, asType string) {
	mt, params := w.contentType(h)
	if asType != "" {
		mt = asType
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	filename := w.filename(dparams["filename"], params["name"])
	isText := mt == "text/plain" || mt == "text/html"
	attachment := disp == "attachment" || (filename != "" && !(isText && disp == "inline"))
	data, truncated := w.decodeBody(h, r)
	if isText && !attachment {
		text := w.charset(data, params["charset"])
		if truncated {
			w.warn("text part cut at %d bytes", w.p.lim.MaxPartBytes)
		}
		b := &body{}
		if w.alt >= 0 {
			b = &w.bodies[w.alt]
		}
		switch {
		case mt == "text/plain" && !b.hasText: // an alternative's first text version
			b.text, b.hasText = text, true
		case mt == "text/html": // an alternative's last HTML version is its richest
			b.html, b.hasHTML = text, true
		}
		if w.alt < 0 {
			w.bodies = append(w.bodies, *b)
		}
		return
	}
	if truncated {
		w.warn("attachment %q larger than %d bytes dropped", filename, w.p.lim.MaxPartBytes)
		return
	}
	if filename == "" {
		filename = defaultFilename(mt)
	}
	w.attach(h, mt, filename, data, disp == "inline")
}

func (w *walker) attach(h textproto.Header, mt, filename string, data []byte, inline bool) {
	cid := ""
	if list := ParseIDs(h.Get("Content-Id")); len(list) > 0 {
		cid = strings.Trim(list[0], "<>")
	}
	w.msg.Attachments = append(w.msg.Attachments, Attachment{
		Filename: filename, ContentType: mt, ContentID: cid, Inline: inline || cid != "", Data: data,
	})
}

// contentType returns the lower-cased media type and its parameters; a missing or
// unreadable one is text/plain.
func (w *walker) contentType(h textproto.Header) (string, map[string]string) {
	v := h.Get("Content-Type")
	if v == "" {
		return "text/plain", map[string]string{}
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		if errors.Is(err, mime.ErrInvalidMediaParameter) && mt != "" {
			w.warn("malformed Content-Type parameters")
			return strings.ToLower(mt), params
		}
		w.warn("unreadable Content-Type %q read as text/plain", firstLine(v, 60))
		return "text/plain", map[string]string{}
	}
	return mt, params
}

// finish assembles the bodies once the tree is walked: the text of every body, in
// order (an HTML-only body's as text), and, when any body has HTML, the HTML of every
// body (a text-only body's escaped).
func (w *walker) finish() {
	m := w.msg
	var texts, htmls []string
	anyHTML := slices.ContainsFunc(w.bodies, func(b body) bool { return b.hasHTML })
	for _, b := range w.bodies {
		t := b.text
		if !b.hasText && b.hasHTML {
			t = htmlToText(b.html)
		}
		if strings.TrimSpace(t) != "" {
			texts = append(texts, t)
		}
		switch {
		case !anyHTML:
		case b.hasHTML:
			htmls = append(htmls, b.html)
		case strings.TrimSpace(b.text) != "":
			htmls = append(htmls, "<div>"+strings.ReplaceAll(html.EscapeString(b.text), "\n", "<br>")+"</div>")
		}
	}
	text := strings.Join(texts, "\n\n")
	if anyHTML {
		folded := foldHTMLQuote(strings.Join(htmls, "\n<hr>\n"))
		m.HTML = strings.TrimSpace(w.p.policy.Sanitize(folded))
	}
	text = normalizeNewlines(text)
	m.Text, m.Quoted = splitQuote(text)
	if m.Quoted != "" && !anyHTML {
		m.HTML = quotedHTML(m.Text, m.Quoted)
	}
	if m.Report != nil {
		m.Report.Explanation = text
		if len(text) > 2000 {
			m.Report.Explanation = strings.ToValidUTF8(text[:2000], "")
		}
	}
}

// headerSize is the size of a header block as it was written, roughly.
func headerSize(h textproto.Header) int {
	n := 0
	for f := h.Fields(); f.Next(); {
		n += len(f.Key()) + len(f.Value()) + 4
	}
	return n
}

// limitReader is io.LimitedReader with the remaining count visible.
type limitReader struct {
	r io.Reader
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("mailparse: header too large")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = s[:max]
	}
	return strings.ToValidUTF8(s, "?")
}

// prefix keeps the first bytes written to it, at most max, until stop.
type prefix struct {
	buf     bytes.Buffer
	max     int
	stopped bool
}

func (p *prefix) Write(b []byte) (int, error) {
	if !p.stopped {
		if room := p.max - p.buf.Len(); room > 0 {
			p.buf.Write(b[:min(len(b), room)])
		}
	}
	return len(b), nil
}

// stop keeps nothing more and lets go of what was kept.
func (p *prefix) stop() {
	if !p.stopped {
		p.stopped = true
		p.buf = bytes.Buffer{}
	}
}

// repairHeader removes from raw's header block the lines that are neither a field
// ("Key: value") nor a field's continuation, such as an mbox "From " line or a
// "X-Mailer MyMailer" without its colon, so that one bad line no longer turns every
// field after it into body text (and loses the sender, the threading, the MIME
// structure). A bad line after which no field follows starts the body instead: a
// blank line is put before it. It returns raw unchanged, n 0, when there is none.
func repairHeader(raw []byte) (fixed []byte, n int, first string) {
	type line struct{ start, end int }
	var lines []line
	var bad []int // indexes in lines
	lastField := -1
	for off := 0; off < len(raw); {
		e := len(raw)
		if i := bytes.IndexByte(raw[off:], '\n'); i >= 0 {
			e = off + i + 1
		}
		text := bytes.TrimRight(raw[off:e], "\r\n")
		if len(text) == 0 {
			break // the end of the header block
		}
		switch {
		case text[0] == ' ' || text[0] == '\t':
		case isFieldLine(text):
			lastField = len(lines)
		default:
			bad = append(bad, len(lines))
		}
		lines = append(lines, line{off, e})
		off = e
	}
	if len(bad) == 0 {
		return raw, 0, ""
	}
	out := make([]byte, 0, len(raw)+2)
	next := 0 // the first byte of raw not yet handled
	for _, i := range bad {
		l := lines[i]
		if i > lastField {
			// No field after it: the body starts here, without its blank line.
			out = append(out, raw[next:l.start]...)
			out = append(out, "\r\n"...)
			next = l.start
			break
		}
		if n == 0 {
			first = string(bytes.TrimRight(raw[l.start:l.end], "\r\n"))
		}
		out = append(out, raw[next:l.start]...)
		next = l.end
		n++
	}
	if n == 0 {
		return raw, 0, "" // only a body without its blank line: read as before
	}
	return append(out, raw[next:]...), n, first
}

// isFieldLine reports whether line begins with a field name and its colon.
func isFieldLine(line []byte) bool {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
