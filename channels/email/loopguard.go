package email

import (
	"strings"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/channels/email/mailparse"
)

// automaticReasons says why msg looks machine-generated (RFC 3834 and common
// practice), nil for a person's mail. Such mail is stored, flagged, and never
// answered automatically.
func automaticReasons(msg *mailparse.Message, tokens Tokens, envelopeFrom string) []string {
	h := msg.Header
	var why []string
	if v := strings.ToLower(strings.TrimSpace(h.Get("Auto-Submitted"))); v != "" && !strings.HasPrefix(v, "no") {
		why = append(why, "auto-submitted: "+firstWord(v))
	}
	switch strings.ToLower(strings.TrimSpace(h.Get("Precedence"))) {
	case "bulk", "junk", "list":
		why = append(why, "precedence: "+strings.ToLower(strings.TrimSpace(h.Get("Precedence"))))
	}
	for _, k := range []string{"X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"} {
		if h.Has(k) {
			why = append(why, strings.ToLower(k))
		}
	}
	if h.Has("List-Id") || h.Has("List-Unsubscribe") {
		why = append(why, "mailing list")
	}
	if isRobotAddress(msg.From.Addr) {
		why = append(why, "robot sender")
	}
	if strings.TrimSpace(envelopeFrom) == "<>" {
		why = append(why, "null return path")
	}
	if msg.Report != nil {
		why = append(why, "delivery report")
	}
	if msg.MessageID != "" && tokens.IsOurs(msg.MessageID) {
		why = append(why, "our own message")
	}
	return why
}

// isRobotAddress reports whether addr belongs to a mail system rather than a person.
func isRobotAddress(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	local, _, _ = strings.Cut(local, "+")
	switch local {
	case "mailer-daemon", "postmaster", "noreply", "no-reply", "no_reply", "donotreply",
		"do-not-reply", "do_not_reply", "bounce", "bounces", "nepasrepondre", "ne-pas-repondre", "ne_pas_repondre":
		return true
	}
	return strings.HasPrefix(local, "bounce-") || strings.HasPrefix(local, "noreply-") || strings.HasPrefix(local, "no-reply-")
}

func firstWord(s string) string {
	s, _, _ = strings.Cut(s, ";")
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// loopGuard rate-limits automatic replies per sender address. It lives in memory: a
// restart forgets it, which at worst allows one more acknowledgement. Safe for
// concurrent use.
type loopGuard struct {
	mu        sync.Mutex
	max       int
	window    time.Duration
	perSender time.Duration
	now       func() time.Time
	sent      map[string][]time.Time
}

// maxTracked bounds the senders remembered; the oldest are forgotten beyond it.
const maxTracked = 100_000

func newLoopGuard(max int, window, perSender time.Duration, now func() time.Time) *loopGuard {
	return &loopGuard{max: max, window: window, perSender: perSender, now: now, sent: map[string][]time.Time{}}
}

// allowAck reports whether an automatic reply to sender may go now, and if so counts it.
func (g *loopGuard) allowAck(sender string) bool {
	sender = strings.ToLower(sender)
	if sender == "" || g.max == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	keep := g.sent[sender][:0]
	for _, t := range g.sent[sender] {
		if now.Sub(t) < g.window || now.Sub(t) < g.perSender {
			keep = append(keep, t)
		}
	}
	inWindow := 0
	for _, t := range keep {
		if now.Sub(t) < g.window {
			inWindow++
		}
	}
	if inWindow >= g.max || (len(keep) > 0 && now.Sub(keep[len(keep)-1]) < g.perSender) {
		g.sent[sender] = keep
		return false
	}
	if len(g.sent) >= maxTracked {
		g.prune(now)
	}
	g.sent[sender] = append(keep, now)
	return true
}

// prune forgets senders with nothing recent.
func (g *loopGuard) prune(now time.Time) {
	horizon := max(g.window, g.perSender)
	for k, ts := range g.sent {
		if len(ts) == 0 || now.Sub(ts[len(ts)-1]) >= horizon {
			delete(g.sent, k)
		}
	}
	for k := range g.sent {
		if len(g.sent) < maxTracked {
			break
		}
		delete(g.sent, k)
	}
}
