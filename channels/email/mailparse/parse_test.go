package mailparse

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
)

func TestParseIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@B.Example>", []string{"<a@b.example>"}},
		{"  <a@x>\r\n\t<b@y> <c@z>", []string{"<a@x>", "<b@y>", "<c@z>"}},
		{"a@x b@y", []string{"<a@x>", "<b@y>"}},
		{"<a @x>", []string{"<a@x>"}},
		{"not an id", nil},
		{"<unclosed@x", []string{"<unclosed@x>"}},
		{"<>", nil},
		{"<" + strings.Repeat("x", 1000) + "@y>", nil},
	}
	for _, tt := range tests {
		if got := ParseIDs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ParseIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitQuote(t *testing.T) {
	tests := []struct {
		name, in, fresh, quoted string
	}{
		{"none", "Bonjour\nMerci", "Bonjour\nMerci", ""},
		{"french attribution", "Oui.\n\nLe lun. 2 nov. 2026 à 10:00, A <a@x> a écrit :\n> question", "Oui.", "Le lun. 2 nov. 2026 à 10:00, A <a@x> a écrit :\n> question"},
		{"english two lines", "Yes.\nOn Mon, Nov 2, 2026 at 10:00 AM Accueil <a@x>\nwrote:\n> q", "Yes.", "On Mon, Nov 2, 2026 at 10:00 AM Accueil <a@x>\nwrote:\n> q"},
		{"original message", "Ok\n-----Original Message-----\nFrom: x", "Ok", "-----Original Message-----\nFrom: x"},
		{"outlook french", "D'accord\nDe : Accueil\nEnvoyé : lundi\nÀ : moi", "D'accord", "De : Accueil\nEnvoyé : lundi\nÀ : moi"},
		{"trailing quote block", "Top\n> a\n>\n> b", "Top", "> a\n>\n> b"},
		{"inline answers kept whole", "> q1\nanswer 1\n> q2\nanswer 2", "> q1\nanswer 1\n> q2\nanswer 2", ""},
		{"only a quote is kept whole", "> all quoted", "> all quoted", ""},
	}
	for _, tt := range tests {
		fresh, quoted := splitQuote(tt.in)
		if fresh != tt.fresh || quoted != tt.quoted {
			t.Errorf("%s: splitQuote() = %q, %q; want %q, %q", tt.name, fresh, quoted, tt.fresh, tt.quoted)
		}
	}
}

// TestSanitize: whatever the HTML tries, nothing active or remote survives.
func TestSanitize(t *testing.T) {
	p := New(Limits{})
	attacks := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`<a href="javascript:alert(1)">x</a>`,
		`<a href="JaVaScRiPt:alert(1)">x</a>`,
		`<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`,
		`<svg onload=alert(1)>`,
		`<iframe src="https://evil.example"></iframe>`,
		`<style>body{background:url(https://evil.example/t)}</style>`,
		`<div style="background-image:url(https://evil.example/t)">x</div>`,
		`<img src="https://tracker.example/p.gif">`,
		`<object data="x.swf"></object><embed src="x.swf">`,
		`<form action="https://evil.example"><input name=p></form>`,
		`<meta http-equiv="refresh" content="0;url=https://evil.example">`,
		`<base href="https://evil.example/">`,
		`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
		`<a href="https://ok.example" onclick="x()">ok</a>`,
	}
	bad := []string{"<script", "onerror", "onload", "onclick", "javascript:", "data:", "<iframe", "<style", "url(", "tracker.example", "<object", "<embed", "<form", "<input", "<meta", "<base", "<svg", "xlink"}
	for _, a := range attacks {
		raw := "From: a@x\r\nMessage-ID: <s@x>\r\nContent-Type: text/html\r\n\r\n" + a + "\r\n"
		got := strings.ToLower(p.Parse([]byte(raw)).HTML)
		for _, b := range bad {
			if strings.Contains(got, b) {
				t.Errorf("Parse(%q).HTML = %q: contains %q", a, got, b)
			}
		}
	}
	ok := p.Parse([]byte("From: a@x\r\nContent-Type: text/html\r\n\r\n<a href=\"https://ok.example\">ok</a> <img src=\"cid:x@y\">")).HTML
	if !strings.Contains(ok, `href="https://ok.example"`) || !strings.Contains(ok, `src="cid:x@y"`) {
		t.Errorf("safe HTML lost: %q", ok)
	}
}

func TestLimits(t *testing.T) {
	p := New(Limits{MaxPartBytes: 10, MaxHeaderBytes: 200})
	m := p.Parse([]byte("From: a@x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n0123456789ABCDEF\r\n--b\r\nContent-Disposition: attachment; filename=big.bin\r\n\r\n0123456789ABCDEF\r\n--b--\r\n"))
	if m.Text != "0123456789" || len(m.Attachments) != 0 {
		t.Fatalf("MaxPartBytes=10: text %q, %d attachments; want text cut, attachment dropped", m.Text, len(m.Attachments))
	}
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "dropped") }) {
		t.Errorf("warnings %q: want the dropped attachment named", m.Warnings)
	}
	m = p.Parse([]byte("From: a@x\r\nX-Big: " + strings.Repeat("y", 500) + "\r\n\r\nbody"))
	if !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "header block larger") }) {
		t.Errorf("warnings %q: want the header limit named", m.Warnings)
	}
}

// FuzzParse: any input parses without panic, within limits, into valid UTF-8 and safe
// HTML. Seeds: the .eml corpus (testdata/fuzz/FuzzParse holds more).
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/eml/*.eml")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err == nil && len(raw) < 20000 {
			f.Add(raw)
		}
	}
	p := New(Limits{MaxParts: 20, MaxDepth: 5, MaxPartBytes: 1 << 16, MaxLineLength: 4096, MaxHeaderBytes: 8192})
	f.Fuzz(func(t *testing.T, raw []byte) {
		m := p.Parse(raw)
		for name, s := range map[string]string{"Text": m.Text, "Quoted": m.Quoted, "HTML": m.HTML, "Subject": m.Subject, "From": m.From.Addr} {
			if !utf8.ValidString(s) {
				t.Fatalf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if strings.ContainsAny(m.Subject, "\r\n") || strings.ContainsAny(m.MessageID, "\r\n ") || strings.ContainsAny(m.From.Addr, "\r\n\x00<>") {
			t.Fatalf("header field with a line break: %q %q", m.Subject, m.MessageID)
		}
		if bad := unsafeHTML(m.HTML); bad != "" {
			t.Fatalf("HTML has %s: %q", bad, m.HTML)
		}
		if len(m.Attachments) > 20 || len(m.Warnings) > 50 {
			t.Fatalf("%d attachments, %d warnings: over the limits", len(m.Attachments), len(m.Warnings))
		}
		for _, a := range m.Attachments {
			if int64(len(a.Data)) > 1<<16 || strings.ContainsAny(a.Filename, "/\\\r\n") {
				t.Fatalf("attachment %q of %d bytes breaks the limits", a.Filename, len(a.Data))
			}
		}
	})
}

// TestAttachmentAtTheCap: base64 parts of 76-character lines (each with its CRLF) are
// kept up to the part cap and dropped, with a warning, above it; parts just under it
// were once dropped, the reading bound ignoring the line breaks.
func TestAttachmentAtTheCap(t *testing.T) {
	const max = 100000
	p := New(Limits{MaxPartBytes: max})
	for _, tt := range []struct {
		size int
		kept bool
	}{{97000, true}, {99000, true}, {max, true}, {max + 1, false}, {max + 5000, false}} {
		data := []byte(strings.Repeat("%PDF", tt.size/4+1)[:tt.size])
		enc := base64.StdEncoding.EncodeToString(data)
		var lines []string
		for len(enc) > 76 {
			lines, enc = append(lines, enc[:76]), enc[76:]
		}
		lines = append(lines, enc)
		raw := "From: a@example.fr\r\nSubject: s\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nVoici.\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"doc.pdf\"\r\n" +
			"Content-Transfer-Encoding: base64\r\n\r\n" + strings.Join(lines, "\r\n") + "\r\n--b--\r\n"
		m := p.Parse([]byte(raw))
		kept := len(m.Attachments) == 1 && len(m.Attachments[0].Data) == tt.size
		if kept != tt.kept {
			t.Errorf("attachment of %d bytes (cap %d): kept %v, want %v; warnings %q", tt.size, max, kept, tt.kept, m.Warnings)
		}
		if !tt.kept && !slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "dropped") }) {
			t.Errorf("attachment of %d bytes dropped without a warning: %q", tt.size, m.Warnings)
		}
	}
}

// unsafeHTML names what in s a browser would run: a script, style or frame element,
// an event handler attribute, a javascript: URL; "" when there is none. Text that only
// reads like code ("onerror=" in a sentence) is not.
func unsafeHTML(s string) string {
	z := xhtml.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return ""
		case xhtml.StartTagToken, xhtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "object", "embed", "frame", "svg", "math":
				return "a <" + tok.Data + "> element"
			}
			for _, a := range tok.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(strings.ToLower(a.Key), "on") || strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "vbscript:") {
					return "attribute " + a.Key + "=" + a.Val
				}
			}
		}
	}
}

// TestBase64Garbage: characters outside the base64 alphabet are skipped with a
// warning (the part may be damaged); line breaks and spaces are not garbage.
func TestBase64Garbage(t *testing.T) {
	p := New(Limits{})
	for _, tt := range []struct {
		body string
		warn bool
	}{
		{"Qm9uam91\r\nciAh\r\n", false},
		{"Qm9u am91 ciAh", false},
		{"Qm9u!!am91*ciAh", true},
	} {
		raw := "From: a@example.fr\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + tt.body
		m := p.Parse([]byte(raw))
		warned := slices.ContainsFunc(m.Warnings, func(w string) bool { return strings.Contains(w, "outside base64") })
		if m.Text != "Bonjour !" || warned != tt.warn {
			t.Errorf("base64 %q: text %q, warnings %q; want \"Bonjour !\" and a warning %v", tt.body, m.Text, m.Warnings, tt.warn)
		}
	}
}
