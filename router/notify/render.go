package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// ViaSender is a Notifier that sends through a channel adapter's Sender (the email
// adapter, the Slack adapter for direct messages). The person is addressed by their
// email address (Kind channels.KindEmail): the Slack adapter finds the user by it.
//
// Outbound.MessageID is 0 (a notification is no inbox message); ThreadKey is
// "phone-message:<id>:<kind>", a stable key a Sender may use to recognise a repeat.
type ViaSender struct {
	// Channel is the Outbound's channel: channels.Email or channels.Slack.
	Channel string
	Sender  channels.Sender
}

var _ Notifier = ViaSender{}

// Notify implements Notifier.
func (v ViaSender) Notify(ctx context.Context, n Notice) error {
	subject, text := Render(n)
	_, err := v.Sender.Send(ctx, channels.Outbound{
		Channel:   v.Channel,
		ThreadKey: fmt.Sprintf("phone-message:%d:%s", n.Message.ID, n.Kind),
		To:        channels.Identity{Kind: channels.KindEmail, Value: n.To.Email, Name: n.To.Name},
		Subject:   subject,
		Text:      text,
	})
	return err
}

// Render writes a notice's subject and plain text, in English for people whose first
// language is English and in French otherwise.
func Render(n Notice) (subject, text string) {
	en := len(n.To.Languages) > 0 && n.To.Languages[0] == "en"
	p := n.Message
	loc := n.Location
	if loc == nil {
		loc = time.UTC
	}
	l := labels[false]
	if en {
		l = labels[true]
	}
	who := firstNonEmpty(p.CallerName, p.Phone, p.Email, l.unknown)
	switch {
	case n.Kind == inbox.NoticeOverdue:
		subject = fmt.Sprintf(l.overdue, who, p.Subject)
	case p.Urgency == inbox.UrgencyUrgent:
		subject = fmt.Sprintf(l.urgent, who, p.Subject)
	default:
		subject = fmt.Sprintf(l.created, who, p.Subject)
	}
	var b strings.Builder
	line := func(label, v string) {
		if v != "" {
			b.WriteString(label + " : " + v + "\n")
		}
	}
	line(l.caller, p.CallerName)
	line(l.org, p.Organisation)
	line(l.phone, p.Phone)
	line(l.email, p.Email)
	line(l.subject, p.Subject)
	line(l.urgency, map[inbox.Urgency]string{inbox.UrgencyLow: l.low, inbox.UrgencyNormal: l.normal, inbox.UrgencyUrgent: l.urgentWord}[p.Urgency])
	if p.CallbackRequested {
		cb := l.asap
		if p.CallbackBefore != nil {
			cb = l.before + " " + p.CallbackBefore.In(loc).Format("02/01/2006 15:04")
		}
		line(l.callback, cb)
	}
	line(l.taken, p.CreatedAt.In(loc).Format("02/01/2006 15:04"))
	if p.Text != "" {
		b.WriteString("\n" + p.Text + "\n")
	}
	if n.Link != "" {
		b.WriteString("\n" + n.Link + "\n")
	}
	return subject, b.String()
}

type words struct {
	created, urgent, overdue, unknown                  string
	caller, org, phone, email, subject, urgency, taken string
	callback, asap, before, low, normal, urgentWord    string
}

var labels = map[bool]words{
	false: {
		created: "Message téléphonique de %s : %s", urgent: "URGENT – message téléphonique de %s : %s",
		overdue: "Rappel en retard : %s (%s)", unknown: "appelant inconnu",
		caller: "Appelant", org: "Organisme", phone: "Téléphone", email: "E-mail", subject: "Objet",
		urgency: "Urgence", taken: "Pris le", callback: "Rappel demandé", asap: "dès que possible", before: "avant le",
		low: "faible", normal: "normale", urgentWord: "urgente",
	},
	true: {
		created: "Phone message from %s: %s", urgent: "URGENT – phone message from %s: %s",
		overdue: "Overdue callback: %s (%s)", unknown: "unknown caller",
		caller: "Caller", org: "Organisation", phone: "Phone", email: "Email", subject: "Subject",
		urgency: "Urgency", taken: "Taken", callback: "Callback requested", asap: "as soon as possible", before: "before",
		low: "low", normal: "normal", urgentWord: "urgent",
	},
}

// link fills the {id} of the configured link.
func link(tmpl string, id int64) string {
	if tmpl == "" {
		return ""
	}
	return strings.ReplaceAll(tmpl, "{id}", strconv.FormatInt(id, 10))
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
