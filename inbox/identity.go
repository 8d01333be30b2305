package inbox

import (
	"net/mail"
	"strings"
	"unicode"

	"github.com/frontdeskhq/frontdesk/channels"
)

// NormalizeIdentity returns id in the canonical form identities are stored and looked up
// in: email addresses lower-cased, phone numbers in E.164, other kinds trimmed. It
// returns an *InvalidError when the value cannot be an identity of its kind.
func NormalizeIdentity(id Identity, defaultCountry string) (Identity, error) {
	id.Value = strings.TrimSpace(id.Value)
	id.Name = strings.TrimSpace(cleanLine(id.Name, 200)) // no NUL or control in a name shown everywhere
	switch id.Kind {
	case channels.KindEmail:
		a, err := mail.ParseAddress(id.Value)
		if err != nil {
			return id, invalid("from.address", "%q is not an email address", id.Value)
		}
		id.Value = strings.ToLower(a.Address)
		if id.Name == "" {
			id.Name = a.Name
		}
	case channels.KindPhone:
		p, ok := NormalizePhone(id.Value, defaultCountry)
		if !ok {
			return id, invalid("from.address", "%q is not a phone number", id.Value)
		}
		id.Value = p
	case channels.KindSlack, channels.KindVisitor, channels.KindAPI:
		if id.Value == "" {
			return id, invalid("from.address", "empty %s identity", id.Kind)
		}
	default:
		return id, invalid("from.kind", "unknown identity kind %q", id.Kind)
	}
	if len(id.Value) > 320 {
		return id, invalid("from.address", "longer than 320 bytes")
	}
	return id, nil
}

// NormalizePhone turns a phone number as people type it ("06 12 34 56 78",
// "+33 (0)6.12.34.56.78", "0033612345678") into E.164 ("+33612345678"). defaultCountry
// is the calling code (without +) assumed for national numbers starting with a single 0;
// France's 33 when empty. It reports false for anything that cannot be a number.
func NormalizePhone(s, defaultCountry string) (string, bool) {
	if defaultCountry == "" {
		defaultCountry = "33"
	}
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "(0)", "")
	var b strings.Builder
	plus := false
	for i, r := range s {
		switch {
		case r == '+' && i == 0:
			plus = true
		case unicode.IsDigit(r) && r < 128:
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')' || r == '/':
		default:
			return "", false
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "00"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = defaultCountry + d[1:]
	default:
		// Without a prefix a number is either international without its "+" or a
		// short service number; keep it as typed.
	}
	if len(d) < 3 || len(d) > 15 {
		return "", false
	}
	return "+" + d, true
}
