package inbox

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/channels"
)

// FuzzNormalizePhone checks that any accepted number is E.164-shaped and that
// normalising it again changes nothing.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"06 12 34 56 78", "+33 (0)6.12.34.56.78", "0033612345678", "+1 (415) 555-0100", "3949", "", "++33", "0", "00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := NormalizePhone(s, "33")
		if !ok {
			return
		}
		if !strings.HasPrefix(p, "+") || len(p) < 4 || len(p) > 16 || strings.Trim(p[1:], "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q, not E.164", s, p)
		}
		if again, ok := NormalizePhone(p, "33"); !ok || again != p {
			t.Fatalf("NormalizePhone(%q) = %q, %v; want it unchanged", p, again, ok)
		}
	})
}

// FuzzNormalizeIdentity checks that accepted identities are valid UTF-8 of bounded
// size, stable under a second normalisation.
func FuzzNormalizeIdentity(f *testing.F) {
	f.Add("email", "Marie <Marie.Dupont@Example.fr>")
	f.Add("phone", "06 12 34 56 78")
	f.Add("slack", "U024BE7LH")
	f.Add("email", "\"a\\\"b\" <x@y>")
	f.Fuzz(func(t *testing.T, kind, value string) {
		id, err := NormalizeIdentity(Identity{Kind: channels.IdentityKind(kind), Value: value}, "33")
		if err != nil {
			if !IsInvalid(err) {
				t.Fatalf("NormalizeIdentity(%q, %q) error %v is not an *InvalidError", kind, value, err)
			}
			return
		}
		if id.Value == "" || len(id.Value) > 320 {
			t.Fatalf("NormalizeIdentity(%q, %q) = %q", kind, value, id.Value)
		}
		if kind != string(channels.KindSlack) && kind != string(channels.KindVisitor) && kind != string(channels.KindAPI) && !utf8.ValidString(id.Value) {
			t.Fatalf("NormalizeIdentity(%q, %q) = invalid UTF-8 %q", kind, value, id.Value)
		}
		again, err := NormalizeIdentity(Identity{Kind: id.Kind, Value: id.Value}, "33")
		if err != nil || again.Value != id.Value {
			t.Fatalf("second NormalizeIdentity(%q) = %q, %v; want unchanged", id.Value, again.Value, err)
		}
	})
}
