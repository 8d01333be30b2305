package email

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// Tokens makes and checks the conversation tokens we carry in our Message-IDs and
// reply addresses. A token names a conversation and is authenticated with an HMAC, so
// that nobody can thread a message into a conversation by guessing a number.
//
// Formats (conversation 12, message 345):
//
//	Message-ID  <fd.c12.m345.<mac16>@domain>
//	Reply-To    local+fd-c12-<mac10>@domain
//
// Tokens is immutable and safe for concurrent use.
type Tokens struct {
	key    []byte
	domain string
}

// NewTokens returns Tokens keyed by secret, generating ids in domain.
func NewTokens(secret []byte, domain string) Tokens {
	return Tokens{key: append([]byte(nil), secret...), domain: strings.ToLower(domain)}
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func (t Tokens) mac(s string, n int) string {
	h := hmac.New(sha256.New, t.key)
	h.Write([]byte(s))
	return b32.EncodeToString(h.Sum(nil))[:n]
}

// MessageID returns our Message-ID of outbound message msgID of conversation convID,
// with angle brackets. It is the same on every call, so that a retried delivery
// carries the same id and receivers can drop the duplicate.
func (t Tokens) MessageID(convID, msgID int64) string {
	body := "c" + strconv.FormatInt(convID, 10) + ".m" + strconv.FormatInt(msgID, 10)
	return "<fd." + body + "." + t.mac("id:"+body, 16) + "@" + t.domain + ">"
}

// NoticeID returns the Message-ID of a notice that belongs to no conversation (a phone
// message notification), from its unique key: the same key gives the same id, so a
// retried notice can be recognised as a duplicate.
func (t Tokens) NoticeID(key string) string {
	return "<fd.n." + t.mac("notice:"+key, 24) + "@" + t.domain + ">"
}

// ConversationOfID returns the conversation named by one of our Message-IDs
// (normalised form, with brackets), checking its MAC and domain.
func (t Tokens) ConversationOfID(id string) (int64, bool) {
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, domain, ok := strings.Cut(id, "@")
	if !ok || domain != t.domain || !strings.HasPrefix(local, "fd.c") {
		return 0, false
	}
	parts := strings.Split(local, ".")
	if len(parts) != 4 || !strings.HasPrefix(parts[2], "m") {
		return 0, false
	}
	body := parts[1] + "." + parts[2]
	if !hmac.Equal([]byte(parts[3]), []byte(t.mac("id:"+body, 16))) {
		return 0, false
	}
	conv, err := strconv.ParseInt(parts[1][1:], 10, 64)
	if err != nil || conv <= 0 {
		return 0, false
	}
	return conv, true
}

// IsOurs reports whether id is a Message-ID we generated (for a conversation or a
// notice).
func (t Tokens) IsOurs(id string) bool {
	if _, ok := t.ConversationOfID(id); ok {
		return true
	}
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, domain, ok := strings.Cut(id, "@")
	return ok && domain == t.domain && strings.HasPrefix(local, "fd.n.") && len(local) == len("fd.n.")+24
}

// Tag returns the plus-address tag of conversation convID.
func (t Tokens) Tag(convID int64) string {
	body := "c" + strconv.FormatInt(convID, 10)
	return "fd-" + body + "-" + t.mac("tag:"+body, 10)
}

// PlusAddress returns addr with the tag of convID after a "+" in its local part.
func (t Tokens) PlusAddress(addr string, convID int64) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	return local + "+" + t.Tag(convID) + "@" + domain
}

// ConversationOfAddress returns the conversation named by the tag of a plus address.
func (t Tokens) ConversationOfAddress(addr string) (int64, bool) {
	local, _, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return 0, false
	}
	i := strings.LastIndex(local, "+fd-c")
	if i < 0 {
		return 0, false
	}
	tag := local[i+1:]
	parts := strings.Split(tag, "-")
	if len(parts) != 3 {
		return 0, false
	}
	if !hmac.Equal([]byte(parts[2]), []byte(t.mac("tag:"+parts[1], 10))) {
		return 0, false
	}
	conv, err := strconv.ParseInt(parts[1][1:], 10, 64)
	if err != nil || conv <= 0 {
		return 0, false
	}
	return conv, true
}
