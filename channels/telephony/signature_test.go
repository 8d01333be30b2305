package telephony

import (
	"net/url"
	"strings"
	"testing"
)

// The provider's published validator test vectors (its helper libraries' test suites):
// auth token 12345, this URL and these parameters.
const (
	vectorToken = "12345"
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	// vectorSig signs vectorURL as written.
	vectorSig = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
	// vectorSig443 signs the URL with :443; vectorSigHTTP80 its http form with :80;
	// vectorSigHTTP1234 its http form with :1234.
	vectorSig443      = "kvajT1Ptam85bY51eRf/AJRuM3w="
	vectorSigHTTP80   = "0ZXoZLH/DfblKGATFgpif+LLRf4="
	vectorSigHTTP1234 = "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
	// vectorSigRepeated signs Sid, SidAccount and a repeated Digits.
	vectorSigRepeated = "IK+Dwps556ElfBT0I3Rgjkr1wJU="
)

func vectorParams() url.Values {
	return url.Values{
		"CallSid": {"CA1234567890ABCDE"},
		"Caller":  {"+14158675309"},
		"Digits":  {"1234"},
		"From":    {"+14158675309"},
		"To":      {"+18005551212"},
	}
}

func TestSignatureVectors(t *testing.T) {
	if got := Signature(vectorToken, vectorURL, vectorParams()); got != vectorSig {
		t.Fatalf("Signature(vector) = %q, want %q", got, vectorSig)
	}
	repeated := url.Values{"Sid": {"CA123"}, "SidAccount": {"AC123"}, "Digits": {"5678", "1234"}}
	if got := Signature(vectorToken, vectorURL, repeated); got != vectorSigRepeated {
		t.Fatalf("Signature(repeated params) = %q, want %q", got, vectorSigRepeated)
	}
	tests := []struct {
		name, url, sig string
	}{
		{"as signed", vectorURL, vectorSig},
		{"https with a port, signed without", strings.Replace(vectorURL, ".com", ".com:1234", 1), vectorSig},
		{"https without port, signed with :443", vectorURL, vectorSig443},
		{"https with :443, signed without", strings.Replace(vectorURL, ".com", ".com:443", 1), vectorSig},
		{"http without port, signed with :80", strings.Replace(vectorURL, "https", "http", 1), vectorSigHTTP80},
		{"http with its port, signed with it", strings.Replace(strings.Replace(vectorURL, ".com", ".com:1234", 1), "https", "http", 1), vectorSigHTTP1234},
	}
	for _, tt := range tests {
		if !ValidSignature(vectorToken, tt.sig, tt.url, vectorParams()) {
			t.Errorf("%s: ValidSignature(%q, %q) = false, want true", tt.name, tt.url, tt.sig)
		}
	}
}

func TestSignatureRefusals(t *testing.T) {
	tampered := vectorParams()
	tampered.Set("Digits", "9999")
	extra := vectorParams()
	extra.Set("Body", "injected")
	dropped := vectorParams()
	dropped.Del("Caller")
	tests := []struct {
		name, token, sig, url string
		params                url.Values
	}{
		{"tampered value", vectorToken, vectorSig, vectorURL, tampered},
		{"added param", vectorToken, vectorSig, vectorURL, extra},
		{"dropped param", vectorToken, vectorSig, vectorURL, dropped},
		{"another path", vectorToken, vectorSig, "https://mycompany.com/other.php?foo=1&bar=2", vectorParams()},
		{"another query", vectorToken, vectorSig, "https://mycompany.com/myapp.php?foo=1&bar=3", vectorParams()},
		{"another host", vectorToken, vectorSig, "https://evil.example/myapp.php?foo=1&bar=2", vectorParams()},
		{"http for https", vectorToken, vectorSig, strings.Replace(vectorURL, "https", "http", 1), vectorParams()},
		{"another token", "54321", vectorSig, vectorURL, vectorParams()},
		{"empty token", "", vectorSig, vectorURL, vectorParams()},
		{"missing signature", vectorToken, "", vectorURL, vectorParams()},
		{"wrong signature", vectorToken, "WRONG SIGNATURE", vectorURL, vectorParams()},
		{"truncated signature", vectorToken, vectorSig[:20], vectorURL, vectorParams()},
		{"hex signature", vectorToken, "45239d0ede13b5514e74ad4f0ddf77fd556baff0", vectorURL, vectorParams()},
	}
	for _, tt := range tests {
		if ValidSignature(tt.token, tt.sig, tt.url, tt.params) {
			t.Errorf("%s: ValidSignature() = true, want false", tt.name)
		}
	}
}

func TestURLVariants(t *testing.T) {
	tests := map[string][]string{
		"https://a.fr/x?y=1":          {"https://a.fr/x?y=1", "https://a.fr:443/x?y=1"},
		"http://a.fr:8080/x":          {"http://a.fr:8080/x", "http://a.fr/x"},
		"https://u:p@a.fr:443/x":      {"https://u:p@a.fr:443/x", "https://u:p@a.fr/x"},
		"https://[2001:db8::1]/x":     {"https://[2001:db8::1]/x", "https://[2001:db8::1]:443/x"},
		"https://[2001:db8::1]:8443/": {"https://[2001:db8::1]:8443/", "https://[2001:db8::1]/"},
		"https://a.fr":                {"https://a.fr", "https://a.fr:443"},
		"ftp://a.fr/x":                {"ftp://a.fr/x"},
		"not a url":                   {"not a url"},
	}
	for in, want := range tests {
		got := urlVariants(in)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("urlVariants(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPBXSignature(t *testing.T) {
	const secret = "a-long-shared-secret"
	body := []byte(`{"id":"1"}`)
	sig := PBXSignature(secret, "1700000000", body)
	if !strings.HasPrefix(sig, "v1=") || len(sig) != 3+64 {
		t.Fatalf("PBXSignature() = %q, want v1= and 64 hex digits", sig)
	}
	if !ValidPBXSignature(secret, sig, "1700000000", body) || !ValidPBXSignature(secret, "v1=00, "+sig, "1700000000", body) {
		t.Fatal("ValidPBXSignature(own signature) = false")
	}
	for name, ok := range map[string]bool{
		"other body":      ValidPBXSignature(secret, sig, "1700000000", []byte(`{"id":"2"}`)),
		"other timestamp": ValidPBXSignature(secret, sig, "1700000001", body),
		"other secret":    ValidPBXSignature("another-long-secret", sig, "1700000000", body),
		"no secret":       ValidPBXSignature("", sig, "1700000000", body),
		"no header":       ValidPBXSignature(secret, "", "1700000000", body),
		"bare hex":        ValidPBXSignature(secret, strings.TrimPrefix(sig, "v1="), "1700000000", body),
	} {
		if ok {
			t.Errorf("%s: ValidPBXSignature() = true, want false", name)
		}
	}
}

// FuzzValidSignature checks the verifier never panics, accepts what Signature produces
// and refuses a flipped parameter.
func FuzzValidSignature(f *testing.F) {
	f.Add("12345", vectorURL, "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234", vectorSig)
	f.Add("t", "http://[::1]:80/x", "a=1&a=2&b=", "")
	f.Add("t", "https://h/%zz", "%", "!!!")
	f.Fuzz(func(t *testing.T, token, rawURL, body, sig string) {
		params, err := url.ParseQuery(body)
		if err != nil {
			params = url.Values{}
		}
		_ = ValidSignature(token, sig, rawURL, params)
		if token == "" {
			return
		}
		good := Signature(token, rawURL, params)
		if !ValidSignature(token, good, rawURL, params) {
			t.Fatalf("ValidSignature(Signature(%q, %q)) = false", rawURL, body)
		}
		params.Add("FuzzExtra", "x")
		if ValidSignature(token, good, rawURL, params) {
			t.Fatalf("ValidSignature accepted an added parameter for %q", rawURL)
		}
	})
}
