package mailparse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/mail"
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
	p       *Parser
	msg     *Message
	parts   int
	warned  map[string]bool
	text    []string
	html    string
	hasHTML bool
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
	w := &walker{p: p, msg: m, warned: map[string]bool{}}
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
		w.leaf(textproto.Header{}, br, false, "")
	} else {
		w.entity(h, br, 0, false)
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
func (w *walker) entity(h textproto.Header, r io.Reader, depth int, inAlternative bool) {
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
			w.leaf(h, r, inAlternative, "text/plain")
			return
		}
		if depth+1 > w.p.lim.MaxDepth {
			w.warn("multipart nested deeper than %d levels ignored", w.p.lim.MaxDepth)
			return
		}
		w.multipart(mt, boundary, r, depth+1)
	default:
		w.leaf(h, r, inAlternative, "")
	}
}

// multipart walks the parts of a multipart entity.
func (w *walker) multipart(mt, boundary string, r io.Reader, depth int) {
	mr := textproto.NewMultipartReader(r, boundary)
	var report reportParts
	for i := 0; ; i++ {
		part, err := mr.NextPart()
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
		w.entity(part.Header, part, depth, mt == "multipart/alternative")
		if w.parts > w.p.lim.MaxParts {
			break
		}
	}
	if mt == "multipart/report" {
		w.msg.Report = report.build()
	}
}

// leaf handles a non-multipart entity; asType, if set, overrides its media type.
func (w *walker) leaf(h textproto.Header, r io.Reader, inAlternative bool, asType string) {
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
		if mt == "text/plain" {
			if inAlternative && len(w.text) > 0 {
				return
			}
			w.text = append(w.text, text)
			return
		}
		if w.hasHTML {
			if !inAlternative {
				w.warn("additional HTML part kept as attachment")
				w.attach(h, mt, "part.html", []byte(text), false)
			}
			return
		}
		w.html, w.hasHTML = text, true
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

// finish assembles the bodies once the tree is walked.
func (w *walker) finish() {
	m := w.msg
	text := strings.Join(w.text, "\n\n")
	if w.hasHTML {
		folded := foldHTMLQuote(w.html)
		m.HTML = strings.TrimSpace(w.p.policy.Sanitize(folded))
		if strings.TrimSpace(text) == "" {
			text = htmlToText(w.html)
		}
	}
	text = normalizeNewlines(text)
	m.Text, m.Quoted = splitQuote(text)
	if m.Quoted != "" && !w.hasHTML {
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
