package inbox

import (
	"strings"
	"testing"
)

func TestFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"cerfa.pdf", "cerfa.pdf"},
		{`C:\Users\accueil\cerfa_12345.pdf`, "cerfa_12345.pdf"},
		{"../../etc/passwd", "passwd"},
		{"dossier/", "dossier"},
		{"  pièces jointes.txt ", "pièces jointes.txt"},
		{"a\r\nBcc: x@y.fr.pdf", "a  Bcc: x@y.fr.pdf"},
		{"", ""},
		{"/", ""},
		{".", ""},
		{`\`, ""},
		{strings.Repeat("é", 200) + ".pdf", strings.Repeat("é", 127)},
	}
	for _, tt := range tests {
		if got := fileName(tt.in); got != tt.want {
			t.Errorf("fileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzFileName: a stored file name never holds a path separator or a control
// character, and is valid UTF-8 of at most 255 bytes.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"a.pdf", `C:\x\y.doc`, "../x", "\x00\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := fileName(s)
		if strings.ContainsAny(n, "/\\") || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }) || len(n) > 255 {
			t.Fatalf("fileName(%q) = %q", s, n)
		}
	})
}
