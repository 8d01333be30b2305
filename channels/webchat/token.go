package webchat

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"strconv"
	"strings"
)

// tokenPrefix starts every visitor token, so a token is recognisable in a leak report.
const tokenPrefix = "fdv_"

// tokenBytes of randomness: 256 bits cannot be guessed.
const tokenBytes = 32

// newToken returns a fresh visitor token.
func newToken() string {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		panic("webchat: no randomness: " + err.Error()) // crypto/rand never fails on Linux
	}
	return tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// validToken reports whether tok has the shape newToken gives.
func validToken(tok string) bool {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(tokenBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// visitorID derives the visitor's id from its token: a one-way hash, so the id (stored,
// shown to agents, used as thread key) never reveals the token, and the token is never
// stored.
func visitorID(tok string) string {
	h := sha256.Sum256([]byte("frontdesk webchat visitor\x00" + tok))
	return "v" + strings.ToLower(idEncoding.EncodeToString(h[:20]))
}

// signer makes and checks the signatures of attachment URLs, which let an <img> load a
// visitor's attachment without sending the token.
type signer struct{ key []byte }

func (s signer) sign(site, visitor string, conversation, attachment int64) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(site + "\x00" + visitor + "\x00" + strconv.FormatInt(conversation, 10) + "\x00" + strconv.FormatInt(attachment, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s signer) verify(sig, site, visitor string, conversation, attachment int64) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(site, visitor, conversation, attachment)))
}
