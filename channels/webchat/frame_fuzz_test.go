package webchat

import (
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeFrame: any input is either refused with ErrFrame or gives a frame that
// respects the documented limits.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello"}`,
		`{"type":"hello","token":"fdv_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","since":42,"lang":"fr-FR"}`,
		`{"type":"message","cid":"k3x-1","text":"Bonjour <script>alert(1)</script>"}`,
		`{"type":"typing","on":true}`,
		`{"type":"profile","name":"Marie","email":"marie@example.fr"}`,
		`{"type":"transcript"}`, `{"type":"ping"}`,
		`{"type":"message","cid":"a","text":"\u0000"}`,
		`{"type":"message"}{"type":"ping"}`, `[]`, `null`, ``, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data, 64)
		if err != nil {
			if !errors.Is(err, ErrFrame) {
				t.Fatalf("DecodeFrame(%q) error %v does not wrap ErrFrame", data, err)
			}
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("DecodeFrame(%q) accepted invalid UTF-8", data)
		}
		switch fr.Type {
		case TypeHello:
			if fr.Token != "" && !validToken(fr.Token) || fr.Since < 0 {
				t.Fatalf("hello %+v accepted", fr)
			}
		case TypeMessage:
			if len(fr.Text) > 64 || !clientIDRe.MatchString(fr.ClientID) {
				t.Fatalf("message %+v accepted", fr)
			}
		case TypeTyping, TypeProfile, TypeTranscript, TypePing:
		default:
			t.Fatalf("unknown type %q accepted", fr.Type)
		}
		if _, err := json.Marshal(fr); err != nil {
			t.Fatal(err)
		}
	})
}
