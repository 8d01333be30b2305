// Package rules evaluates ordered routing rules: each rule has conditions on a classified
// message (channel, mailbox, sender domain, category, language, tension, urgency,
// keywords, a regular expression, office hours, contact attributes) and actions (team,
// priority, tags, auto-reply template, escalation to a supervisor, required skills,
// whether to auto-assign).
//
// Algorithm: rules are tried in order and the first whose conditions all hold decides;
// a rule marked continue lets the following rules apply too, their actions merged into
// the decision (the first team, fixed priority, auto-reply and assign choice set win;
// priority changes add up; tags and skills accumulate; escalation sticks). The keyword
// terms of every rule share one index, so a message is scanned once whatever the number
// of rules. Evaluate with a trace (the dry-run) reports every condition of every rule
// with why it held or not.
//
// Explanations (the decision's and every check's) are structured reasons of package
// explain, with their English text alongside for API users.
//
// The package also provides the text normalisation (Tokens) and the keyword expressions
// (Keywords) used by the classifier. It depends on the standard library and the leaf
// package explain only.
package rules

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/frontdeskhq/frontdesk/router/explain"
)

// Condition selects messages; every field set must hold (empty fields are ignored).
// Lists hold when the message's value is one of them.
type Condition struct {
	Channel  []string `yaml:"channel,omitempty" json:"channel,omitempty"`
	Mailbox  []string `yaml:"mailbox,omitempty" json:"mailbox,omitempty"`
	Category []string `yaml:"category,omitempty" json:"category,omitempty"`
	Language []string `yaml:"language,omitempty" json:"language,omitempty"`
	Tension  []string `yaml:"tension,omitempty" json:"tension,omitempty"`
	Urgency  []string `yaml:"urgency,omitempty" json:"urgency,omitempty"`
	// SenderDomain holds when the sender's address is at one of these domains or their
	// subdomains.
	SenderDomain []string `yaml:"sender_domain,omitempty" json:"sender_domain,omitempty"`
	// Keywords is a keyword expression over the subject and text (see ParseKeywords).
	Keywords string `yaml:"keywords,omitempty" json:"keywords,omitempty"`
	// Regex is a regular expression (RE2 syntax, case-insensitive) over the subject and
	// text.
	Regex string `yaml:"regex,omitempty" json:"regex,omitempty"`
	// OfficeHours is "open" or "closed": whether the message came in opening hours.
	OfficeHours string `yaml:"office_hours,omitempty" json:"office_hours,omitempty"`
	// VIP and Accessibility test the contact's flags.
	VIP           *bool `yaml:"vip,omitempty" json:"vip,omitempty"`
	Accessibility *bool `yaml:"accessibility,omitempty" json:"accessibility,omitempty"`
	// ContactLanguage tests the language recorded on the contact.
	ContactLanguage []string `yaml:"contact_language,omitempty" json:"contact_language,omitempty"`
}

// Action is what a matching rule does.
type Action struct {
	// Team is the slug of the team whose queue gets the conversation.
	Team string `yaml:"team,omitempty" json:"team,omitempty"`
	// Priority fixes the priority (0-100) before PriorityAdd.
	Priority *int `yaml:"priority,omitempty" json:"priority,omitempty"`
	// PriorityAdd raises (or lowers) the computed priority.
	PriorityAdd int `yaml:"priority_add,omitempty" json:"priority_add,omitempty"`
	// Tags are added to the conversation.
	Tags []string `yaml:"tags,omitempty" json:"tags,omitempty"`
	// AutoReply names a template sent to the contact.
	AutoReply string `yaml:"auto_reply,omitempty" json:"auto_reply,omitempty"`
	// Escalate asks a supervisor to take over (a handoff to the supervisors).
	Escalate bool `yaml:"escalate,omitempty" json:"escalate,omitempty"`
	// Skills are required of the agent who gets the conversation.
	Skills []string `yaml:"skills,omitempty" json:"skills,omitempty"`
	// Assign false keeps the conversation in the queue for agents to take by hand.
	Assign *bool `yaml:"assign,omitempty" json:"assign,omitempty"`
}

// Rule is one routing rule.
type Rule struct {
	Name string    `yaml:"name" json:"name"`
	When Condition `yaml:"when" json:"when"`
	Then Action    `yaml:"then" json:"then"`
	// Continue lets later rules apply as well when this one matches.
	Continue bool `yaml:"continue,omitempty" json:"continue,omitempty"`
}

// Message is what rules look at: a message with its classification and context.
type Message struct {
	Subject, Text string
	Channel       string
	// Mailbox is the receiving account (email address, Slack workspace, phone number).
	Mailbox string
	// Sender is the sender's address, for SenderDomain.
	Sender                               string
	Category, Language, Tension, Urgency string
	VIP, Accessibility                   bool
	ContactLanguage                      string
	OfficeOpen                           bool
}

// Decision is the merged outcome of the rules that matched.
type Decision struct {
	// Rules names the rules that matched, in order.
	Rules       []string `json:"rules"`
	Team        string   `json:"team,omitempty"`
	Priority    *int     `json:"priority,omitempty"`
	PriorityAdd int      `json:"priority_add,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	AutoReply   string   `json:"auto_reply,omitempty"`
	Escalate    bool     `json:"escalate,omitempty"`
	Skills      []string `json:"skills,omitempty"`
	// NoAssign is set when a rule said assign: false.
	NoAssign bool `json:"no_assign,omitempty"`
	// Why explains the first matching rule in English, for API users.
	Why string `json:"why,omitempty"`
	// Reason explains the first matching rule: route.rule {rule}, or route.rule_if
	// {rule, parts} with the conditions that held (cond.words {words}, cond.value
	// {field, got}, cond.office {office}, cond.pattern {pattern}). Zero when no rule
	// matched.
	Reason explain.Reason `json:"reason,omitzero"`
}

// RuleTrace is how one rule fared in a dry-run.
type RuleTrace struct {
	Rule    string `json:"rule"`
	Matched bool   `json:"matched"`
	// Applied is false for a matching rule after a decisive one.
	Applied bool `json:"applied"`
	// Checks lists each condition with its outcome.
	Checks []Check `json:"checks"`
}

// Check is one condition of a rule in a dry-run.
type Check struct {
	Condition string `json:"condition"`
	Held      bool   `json:"held"`
	// Why is Reason in English.
	Why string `json:"why"`
	// Reason says what was compared: check.in / check.not_in {field, got, want},
	// check.vip and check.accessibility {got, want} (booleans), check.office {field,
	// got, want}, check.sender_domain.in / .out {domain, want}, check.keywords.found
	// {expr, found} / check.keywords.none {expr}, check.regex.matched {pattern,
	// matched} / check.regex.none {pattern}, check.always.
	Reason explain.Reason `json:"reason"`
}

// Options constrain what rules may name.
type Options struct {
	// Categories, Channels, Languages, Tensions, Urgencies list the accepted values of
	// the matching conditions; an empty list accepts anything.
	Categories, Channels, Languages, Tensions, Urgencies []string
	// Templates lists the accepted auto-reply template names; empty accepts anything.
	Templates []string
}

// Set is a compiled, ordered list of rules. It is safe for concurrent use.
type Set struct {
	rules []compiled
	lex   *lexicon
	pool  sync.Pool // *scratch
}

type compiled struct {
	Rule
	keywords *Keywords
	regex    *regexp.Regexp
}

type scratch struct {
	toks Tokens
	hits []bool
}

// ErrRule is wrapped by every rule compilation error.
var ErrRule = errors.New("rules: invalid rule")

// Compile checks and compiles rules. Errors name the rule and the field.
func Compile(rs []Rule, o Options) (*Set, error) {
	s := &Set{lex: newLexicon()}
	seen := map[string]bool{}
	for i, r := range rs {
		where := fmt.Sprintf("rule %d", i+1)
		if r.Name != "" {
			where = fmt.Sprintf("rule %d (%s)", i+1, r.Name)
		}
		fail := func(field, format string, args ...any) error {
			return fmt.Errorf("%w: %s: %s: %s", ErrRule, where, field, fmt.Sprintf(format, args...))
		}
		if strings.TrimSpace(r.Name) == "" {
			return nil, fail("name", "is required")
		}
		if seen[r.Name] {
			return nil, fail("name", "another rule has this name")
		}
		seen[r.Name] = true
		c := compiled{Rule: r}
		w := r.When
		for _, l := range []struct {
			field string
			got   []string
			ok    []string
		}{
			{"when.channel", w.Channel, o.Channels},
			{"when.category", w.Category, o.Categories},
			{"when.language", w.Language, o.Languages},
			{"when.tension", w.Tension, o.Tensions},
			{"when.urgency", w.Urgency, o.Urgencies},
		} {
			for _, v := range l.got {
				if len(l.ok) > 0 && !slices.Contains(l.ok, v) {
					return nil, fail(l.field, "%q is not one of %s", v, strings.Join(l.ok, ", "))
				}
			}
		}
		if w.OfficeHours != "" && w.OfficeHours != "open" && w.OfficeHours != "closed" {
			return nil, fail("when.office_hours", "%q is not open or closed", w.OfficeHours)
		}
		if w.Keywords != "" {
			k, err := parseKeywords(w.Keywords, s.lex)
			if err != nil {
				return nil, fail("when.keywords", "%v", strings.TrimPrefix(err.Error(), ErrKeywords.Error()+": "))
			}
			c.keywords = k
		}
		if w.Regex != "" {
			re, err := regexp.Compile("(?i)" + w.Regex)
			if err != nil {
				return nil, fail("when.regex", "%v", err)
			}
			c.regex = re
		}
		a := r.Then
		if a.Priority != nil && (*a.Priority < 0 || *a.Priority > 100) {
			return nil, fail("then.priority", "%d is not between 0 and 100", *a.Priority)
		}
		if a.PriorityAdd < -100 || a.PriorityAdd > 100 {
			return nil, fail("then.priority_add", "%d is not between -100 and 100", a.PriorityAdd)
		}
		if a.AutoReply != "" && len(o.Templates) > 0 && !slices.Contains(o.Templates, a.AutoReply) {
			return nil, fail("then.auto_reply", "no template %q", a.AutoReply)
		}
		s.rules = append(s.rules, c)
	}
	s.pool.New = func() any { return &scratch{} }
	return s, nil
}

// Rules returns the rules of s, in order.
func (s *Set) Rules() []Rule {
	out := make([]Rule, len(s.rules))
	for i, r := range s.rules {
		out[i] = r.Rule
	}
	return out
}

// Evaluate returns the decision of the rules for m.
func (s *Set) Evaluate(m Message) Decision {
	d, _ := s.evaluate(m, false)
	return d
}

// DryRun returns the decision for m and how every rule fared.
func (s *Set) DryRun(m Message) (Decision, []RuleTrace) {
	return s.evaluate(m, true)
}

func (s *Set) evaluate(m Message, trace bool) (Decision, []RuleTrace) {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	sc.toks.Reset()
	sc.toks.Add(m.Subject)
	sc.toks.Add(m.Text)
	if cap(sc.hits) < len(s.lex.terms) {
		sc.hits = make([]bool, len(s.lex.terms))
	}
	sc.hits = sc.hits[:len(s.lex.terms)]
	clear(sc.hits)
	if len(s.lex.terms) > 0 {
		s.lex.scan(&sc.toks, sc.hits)
	}
	var d Decision
	var traces []RuleTrace
	decided := false
	for i := range s.rules {
		r := &s.rules[i]
		var checks []Check
		var ok bool
		if trace {
			checks, ok = r.explain(m, sc.hits, s.lex)
		} else {
			if decided {
				break
			}
			ok = r.match(m, sc.hits)
		}
		if trace {
			traces = append(traces, RuleTrace{Rule: r.Name, Matched: ok, Applied: ok && !decided, Checks: checks})
		}
		if !ok || decided {
			continue
		}
		if len(d.Rules) == 0 {
			d.Reason = r.why(m, sc.hits, s.lex)
			d.Why = d.Reason.String()
		}
		d.merge(r.Rule)
		decided = !r.Continue
	}
	return d, traces
}

// merge adds the actions of r to d.
func (d *Decision) merge(r Rule) {
	a := r.Then
	d.Rules = append(d.Rules, r.Name)
	if d.Team == "" {
		d.Team = a.Team
	}
	if d.Priority == nil && a.Priority != nil {
		p := *a.Priority
		d.Priority = &p
	}
	d.PriorityAdd += a.PriorityAdd
	for _, t := range a.Tags {
		if !slices.Contains(d.Tags, t) {
			d.Tags = append(d.Tags, t)
		}
	}
	if d.AutoReply == "" {
		d.AutoReply = a.AutoReply
	}
	d.Escalate = d.Escalate || a.Escalate
	for _, sk := range a.Skills {
		if !slices.Contains(d.Skills, sk) {
			d.Skills = append(d.Skills, sk)
		}
	}
	if a.Assign != nil && !*a.Assign {
		d.NoAssign = true
	}
}

// match reports whether every condition of r holds for m, cheapest first.
func (r *compiled) match(m Message, hits []bool) bool {
	w := &r.When
	if !in(w.Channel, m.Channel) || !in(w.Mailbox, m.Mailbox) || !in(w.Category, m.Category) ||
		!in(w.Language, m.Language) || !in(w.Tension, m.Tension) || !in(w.Urgency, m.Urgency) ||
		!in(w.ContactLanguage, m.ContactLanguage) {
		return false
	}
	if w.VIP != nil && *w.VIP != m.VIP || w.Accessibility != nil && *w.Accessibility != m.Accessibility {
		return false
	}
	if w.OfficeHours != "" && (w.OfficeHours == "open") != m.OfficeOpen {
		return false
	}
	if len(w.SenderDomain) > 0 && !domainIn(w.SenderDomain, m.Sender) {
		return false
	}
	if r.keywords != nil && !r.keywords.root.eval(hits) {
		return false
	}
	if r.regex != nil && !r.regex.MatchString(m.Subject) && !r.regex.MatchString(m.Text) {
		return false
	}
	return true
}

// maxShown caps the values a reason lists (words found, values wanted) and
// maxShownBytes the length of a text it quotes, so explanations stay short.
const (
	maxShown      = 10
	maxShownBytes = 60
)

func clipList(l []string) []string {
	out := make([]string, 0, min(len(l), maxShown))
	for _, v := range l[:min(len(l), maxShown)] {
		out = append(out, clip(v, maxShownBytes))
	}
	return out
}

// explain evaluates every condition of r and says why each held or not.
func (r *compiled) explain(m Message, hits []bool, lex *lexicon) ([]Check, bool) {
	w := &r.When
	var checks []Check
	all := true
	add := func(cond string, held bool, why explain.Reason) {
		checks = append(checks, Check{Condition: cond, Held: held, Why: why.String(), Reason: why})
		all = all && held
	}
	list := func(name string, want []string, got string) {
		if len(want) == 0 {
			return
		}
		code := "check.not_in"
		if in(want, got) {
			code = "check.in"
		}
		add(name, code == "check.in", explain.New(code, "field", name, "got", clip(got, maxShownBytes), "want", clipList(want)))
	}
	list("channel", w.Channel, m.Channel)
	list("mailbox", w.Mailbox, m.Mailbox)
	list("category", w.Category, m.Category)
	list("language", w.Language, m.Language)
	list("tension", w.Tension, m.Tension)
	list("urgency", w.Urgency, m.Urgency)
	list("contact_language", w.ContactLanguage, m.ContactLanguage)
	if w.VIP != nil {
		add("vip", *w.VIP == m.VIP, explain.New("check.vip", "got", m.VIP, "want", *w.VIP))
	}
	if w.Accessibility != nil {
		add("accessibility", *w.Accessibility == m.Accessibility, explain.New("check.accessibility", "got", m.Accessibility, "want", *w.Accessibility))
	}
	if w.OfficeHours != "" {
		now := "closed"
		if m.OfficeOpen {
			now = "open"
		}
		add("office_hours", w.OfficeHours == now, explain.New("check.office", "field", "office", "got", now, "want", w.OfficeHours))
	}
	if len(w.SenderDomain) > 0 {
		ok := domainIn(w.SenderDomain, m.Sender)
		code := "check.sender_domain.out"
		if ok {
			code = "check.sender_domain.in"
		}
		add("sender_domain", ok, explain.New(code, "domain", clip(domainOf(m.Sender), maxShownBytes), "want", clipList(w.SenderDomain)))
	}
	if r.keywords != nil {
		ok := r.keywords.root.eval(hits)
		found := r.keywords.root.found(hits, lex, nil)
		why := explain.New("check.keywords.none", "expr", w.Keywords)
		if len(found) > 0 {
			why = explain.New("check.keywords.found", "expr", w.Keywords, "found", clipList(found))
		}
		add("keywords", ok, why)
	}
	if r.regex != nil {
		loc := r.regex.FindString(m.Subject)
		if loc == "" {
			loc = r.regex.FindString(m.Text)
		}
		if loc != "" {
			add("regex", true, explain.New("check.regex.matched", "pattern", w.Regex, "matched", clip(loc, maxShownBytes)))
		} else {
			add("regex", false, explain.New("check.regex.none", "pattern", w.Regex))
		}
	}
	if len(checks) == 0 {
		add("always", true, explain.New("check.always"))
	}
	return checks, all
}

// why is the short explanation of a decisive rule, for the agent.
func (r *compiled) why(m Message, hits []bool, lex *lexicon) explain.Reason {
	var parts []explain.Reason
	w := &r.When
	if r.keywords != nil {
		if f := r.keywords.root.found(hits, lex, nil); len(f) > 0 {
			parts = append(parts, explain.New("cond.words", "words", clipList(f)))
		}
	}
	for _, c := range []struct {
		name string
		set  bool
		val  string
	}{
		{"channel", len(w.Channel) > 0, m.Channel},
		{"category", len(w.Category) > 0, m.Category},
		{"language", len(w.Language) > 0, m.Language},
		{"tension", len(w.Tension) > 0, m.Tension},
		{"urgency", len(w.Urgency) > 0, m.Urgency},
	} {
		if c.set {
			parts = append(parts, explain.New("cond.value", "field", c.name, "got", c.val))
		}
	}
	if w.OfficeHours != "" {
		parts = append(parts, explain.New("cond.office", "office", w.OfficeHours))
	}
	if r.regex != nil {
		parts = append(parts, explain.New("cond.pattern", "pattern", clip(w.Regex, maxShownBytes)))
	}
	if len(parts) == 0 {
		return explain.New("route.rule", "rule", r.Name)
	}
	return explain.New("route.rule_if", "rule", r.Name, "parts", parts)
}

func in(list []string, v string) bool {
	return len(list) == 0 || slices.Contains(list, v)
}

// domainOf returns the lower-cased domain of an address, or "".
func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimRight(addr[at+1:], ">. "))
}

// domainIn reports whether addr's domain is one of domains or under one of them.
func domainIn(domains []string, addr string) bool {
	d := domainOf(addr)
	if d == "" {
		return false
	}
	for _, want := range domains {
		want = strings.ToLower(strings.TrimPrefix(want, "@"))
		if d == want || strings.HasSuffix(d, "."+want) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// KeywordMatches appends to dst the names of the rules whose keyword expression holds
// for the tokens in toks (taken together), ignoring every other condition. It suits
// sets used as lexicons, and texts already tokenised.
func (s *Set) KeywordMatches(dst []string, toks ...*Tokens) []string {
	sc := s.pool.Get().(*scratch)
	defer s.pool.Put(sc)
	if cap(sc.hits) < len(s.lex.terms) {
		sc.hits = make([]bool, len(s.lex.terms))
	}
	sc.hits = sc.hits[:len(s.lex.terms)]
	clear(sc.hits)
	for _, t := range toks {
		s.lex.scan(t, sc.hits)
	}
	for i := range s.rules {
		if k := s.rules[i].keywords; k != nil && k.root.eval(sc.hits) {
			dst = append(dst, s.rules[i].Name)
		}
	}
	return dst
}
