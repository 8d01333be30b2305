package router

import (
	"context"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/priority"
	"github.com/frontdeskhq/frontdesk/router/rules"
	"github.com/frontdeskhq/frontdesk/router/sla"
)

// Probe is a message to route in a dry-run: what a channel would deliver, and the
// contact's flags.
type Probe struct {
	Subject         string `json:"subject"`
	Text            string `json:"text"`
	Channel         string `json:"channel"`
	Mailbox         string `json:"mailbox"`
	Sender          string `json:"sender"`
	VIP             bool   `json:"vip"`
	Accessibility   bool   `json:"accessibility"`
	ContactLanguage string `json:"contact_language"`
	// At is when the message would arrive (office hours); now when zero.
	At time.Time `json:"at"`
}

// DryRun is how a probe would be routed, with every rule's trace. Nothing is written.
type DryRun struct {
	Classification classify.Result   `json:"classification"`
	Decision       rules.Decision    `json:"decision"`
	Rules          []rules.RuleTrace `json:"rules"`
	// Team is the team slug whose queue would get it ("" for the shared queue).
	Team       string         `json:"team"`
	OfficeOpen bool           `json:"office_open"`
	Priority   priority.Score `json:"priority"`
	SLA        DryRunSLA      `json:"sla"`
	AutoReply  string         `json:"auto_reply,omitempty"`
}

// DryRunSLA is the SLA policy a probe would get and its deadlines.
type DryRunSLA struct {
	Policy           sla.Policy `json:"policy"`
	FirstResponseDue *time.Time `json:"first_response_due,omitempty"`
	ResolutionDue    *time.Time `json:"resolution_due,omitempty"`
}

// DryRun routes p without writing anything. Supervisors and admins only.
func (r *Router) DryRun(_ context.Context, u inbox.User, p Probe) (DryRun, error) {
	if u.Disabled {
		return DryRun{}, inbox.ErrUnauthorized
	}
	if !u.Role.SeesAll() {
		return DryRun{}, inbox.ErrForbidden
	}
	if strings.TrimSpace(p.Subject) == "" && strings.TrimSpace(p.Text) == "" {
		return DryRun{}, &inbox.InvalidError{Field: "text", Message: "give a subject or a text"}
	}
	if p.Channel == "" {
		p.Channel = "email"
	}
	if !contains(Channels, p.Channel) {
		return DryRun{}, &inbox.InvalidError{Field: "channel", Message: "must be one of " + strings.Join(Channels, ", ")}
	}
	at := p.At
	if at.IsZero() {
		at = r.now()
	} else if !inbox.TimeInRange(at) {
		// The deadlines computed from it must stay writable as JSON.
		return DryRun{}, &inbox.InvalidError{Field: "at", Message: "outside the accepted years (1970 to 2199)"}
	}
	res := r.clf.Load().Classify(classify.Input{Subject: p.Subject, Text: p.Text, Channel: p.Channel, Mailbox: p.Mailbox,
		Sender: p.Sender, LanguageHint: p.ContactLanguage})
	open := r.sla.Calendar().Open(at)
	dec, traces := r.rules.DryRun(rules.Message{Subject: p.Subject, Text: p.Text, Channel: p.Channel, Mailbox: p.Mailbox,
		Sender: p.Sender, Category: res.Category, Language: res.Language, Tension: res.Tension, Urgency: res.Urgency,
		VIP: p.VIP, Accessibility: p.Accessibility, ContactLanguage: p.ContactLanguage, OfficeOpen: open})
	out := DryRun{Classification: res, Decision: dec, Rules: traces, Team: firstNonEmpty(dec.Team, r.cfg.DefaultTeam), OfficeOpen: open}
	out.Priority = r.cfg.Priority.Score(priority.Input{Category: res.Category, Tension: res.Tension, Urgency: res.Urgency,
		Channel: p.Channel, VIP: p.VIP, Accessibility: p.Accessibility, Now: at, Fixed: dec.Priority, Adjust: dec.PriorityAdd})
	pol := r.sla.Match(res.Category, p.Channel, out.Priority.Value)
	out.SLA = DryRunSLA{Policy: pol, FirstResponseDue: r.sla.Due(at, pol.Targets.FirstResponse), ResolutionDue: r.sla.Due(at, pol.Targets.Resolution)}
	if t, ok := r.cfg.Templates[dec.AutoReply]; ok {
		out.AutoReply = t.Text(res.Language)
	}
	if out.Rules == nil {
		out.Rules = []rules.RuleTrace{}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
