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
	// auto_reply is not in RFC 3834 but is what many vacation responders set.
	switch p := firstWord(strings.ToLower(h.Get("Precedence"))); p {
	case "bulk", "junk", "list", "auto_reply", "auto-reply":
		why = append(why, "precedence: "+p)
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

// loopGuard rate-limits automatic replies per address: acknowledgements queued by
// Receive and every other auto-submitted message the Sender delivers (the router's
// automatic replies) share one budget of max per window and address; acknowledgements
// are also at most one per perSender.
//
// An acknowledgement is counted when it is queued (so that a burst of messages queues
// one), as a reservation: the Sender's first automatic message to that address takes
// the reservation instead of counting again, so each mail is counted once whichever
// road queued it. A message the Sender already counted is not counted again when its
// delivery is retried.
//
// It lives in memory: a restart forgets it, which at worst allows one more window's
// budget. Safe for concurrent use.
type loopGuard struct {
	mu        sync.Mutex
	max       int
	window    time.Duration
	perSender time.Duration
	now       func() time.Time
	senders   map[string]*replyBudget
	// counted holds the outbound messages already counted, by inbox message id.
	counted map[int64]time.Time
}

// replyBudget is what loopGuard remembers of one address.
type replyBudget struct {
	slots   []replySlot // automatic replies within the window
	lastAck time.Time
}

// replySlot is one automatic reply counted against a budget; reserved while it is an
// acknowledgement queued but not yet seen by the Sender.
type replySlot struct {
	at       time.Time
	reserved bool
}

// maxTracked bounds the addresses (and message ids) remembered; the oldest are
// forgotten beyond it.
const maxTracked = 100_000

func newLoopGuard(max int, window, perSender time.Duration, now func() time.Time) *loopGuard {
	return &loopGuard{max: max, window: window, perSender: perSender, now: now,
		senders: map[string]*replyBudget{}, counted: map[int64]time.Time{}}
}

// budget returns the address's budget with slots out of the window dropped; the
// caller holds mu.
func (g *loopGuard) budget(addr string, now time.Time) *replyBudget {
	b := g.senders[addr]
	if b == nil {
		if len(g.senders) >= maxTracked {
			g.prune(now)
		}
		b = &replyBudget{}
		g.senders[addr] = b
	}
	keep := b.slots[:0]
	for _, s := range b.slots {
		if now.Sub(s.at) < g.window {
			keep = append(keep, s)
		}
	}
	b.slots = keep
	return b
}

// allowAck reports whether an acknowledgement to sender may be queued now, and if so
// counts it (as a reservation the Sender will take).
func (g *loopGuard) allowAck(sender string) bool {
	sender = strings.ToLower(sender)
	if sender == "" || g.max == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	b := g.budget(sender, now)
	if len(b.slots) >= g.max || (!b.lastAck.IsZero() && now.Sub(b.lastAck) < g.perSender) {
		return false
	}
	b.slots = append(b.slots, replySlot{at: now, reserved: true})
	b.lastAck = now
	return true
}

// allowAuto reports whether the automatic message messageID (0 when it has none) may
// be sent to recipient now, and if so counts it: it takes a reservation left by
// allowAck, or uses one more of the window's budget. A message already allowed is
// allowed again (a retried delivery) without being counted twice.
func (g *loopGuard) allowAuto(recipient string, messageID int64) bool {
	recipient = strings.ToLower(recipient)
	if recipient == "" || g.max == 0 {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if at, ok := g.counted[messageID]; ok && messageID != 0 && now.Sub(at) < g.window {
		return true
	}
	b := g.budget(recipient, now)
	taken := false
	for i := range b.slots {
		if b.slots[i].reserved {
			// The slot now dates from the sending, so that no window holds more
			// than max mails.
			b.slots[i] = replySlot{at: now}
			taken = true
			break
		}
	}
	if !taken {
		if len(b.slots) >= g.max {
			return false
		}
		b.slots = append(b.slots, replySlot{at: now})
	}
	if messageID != 0 {
		if len(g.counted) >= maxTracked {
			g.prune(now)
		}
		g.counted[messageID] = now
	}
	return true
}

// prune forgets addresses and message ids with nothing recent, then arbitrary ones
// while there are too many.
func (g *loopGuard) prune(now time.Time) {
	horizon := max(g.window, g.perSender)
	for k, b := range g.senders {
		last := b.lastAck
		for _, s := range b.slots {
			if s.at.After(last) {
				last = s.at
			}
		}
		if now.Sub(last) >= horizon {
			delete(g.senders, k)
		}
	}
	for k := range g.senders {
		if len(g.senders) < maxTracked {
			break
		}
		delete(g.senders, k)
	}
	for id, at := range g.counted {
		if now.Sub(at) >= g.window || len(g.counted) >= maxTracked {
			delete(g.counted, id)
		}
	}
}
