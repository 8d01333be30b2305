package telephony

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Signature returns the X-Twilio-Signature of a request: the base64 HMAC-SHA1, keyed
// with the auth token, of the full URL followed by every POST parameter name and value
// with no separator, names sorted bytewise and, for a repeated name, its distinct values
// sorted too (as the provider's helper libraries do).
func Signature(authToken, fullURL string, params url.Values) string {
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		vals := slices.Clone(params[k])
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ValidSignature reports whether signature is the X-Twilio-Signature of fullURL and
// params under authToken. Like the provider's helper libraries it accepts the signature
// of the URL as given, of the URL with the scheme's default port added when it has no
// port, and of the URL with its port removed when it has one, since the provider and
// proxies do not agree on writing default ports. The comparison is constant-time.
func ValidSignature(authToken, signature, fullURL string, params url.Values) bool {
	if authToken == "" || signature == "" {
		return false
	}
	got, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return false
	}
	for _, u := range urlVariants(fullURL) {
		want, _ := base64.StdEncoding.DecodeString(Signature(authToken, u, params))
		if hmac.Equal(got, want) {
			return true
		}
	}
	return false
}

// urlVariants returns raw, and raw with its port added or removed.
func urlVariants(raw string) []string {
	out := []string{raw}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return out
	}
	host, port := u.Hostname(), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	v := *u
	if port != "" {
		v.Host = host
	} else {
		def := map[string]int{"https": 443, "http": 80}[u.Scheme]
		if def == 0 {
			return out
		}
		v.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(def))
	}
	// Rebuild only the authority, keeping the rest exactly as signed.
	prefix := u.Scheme + "://"
	rest := strings.TrimPrefix(raw, prefix)
	if !strings.HasPrefix(raw, prefix) {
		return out
	}
	userinfo := ""
	if u.User != nil {
		at := strings.Index(rest, "@")
		userinfo, rest = rest[:at+1], rest[at+1:]
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return append(out, prefix+userinfo+v.Host+rest[end:])
}

// PBXSignature returns the signature of a generic webhook event: "v1=" and the hex
// HMAC-SHA256, keyed with the shared secret, of the timestamp, a dot and the body.
func PBXSignature(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

// ValidPBXSignature reports whether header (one or more comma-separated "v1=<hex>")
// holds the signature of timestamp and body under secret, in constant time per value.
func ValidPBXSignature(secret, header, timestamp string, body []byte) bool {
	if secret == "" || header == "" {
		return false
	}
	want := []byte(PBXSignature(secret, timestamp, body))
	ok := false
	for _, part := range strings.Split(header, ",") {
		if hmac.Equal([]byte(strings.TrimSpace(part)), want) {
			ok = true
		}
	}
	return ok
}
