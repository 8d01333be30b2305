package rules

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/explain"
)

func TestTokenize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Rendez-vous à 14h30 !", "rendez vous a 14h30"},
		{"RÉCLAMATION : Facture n°2026-1142", "reclamation facture n 2026 1142"},
		{"l’état civil d'Œuvre", "l etat civil d oeuvre"},
		{"  ", ""},
		{"naïve façade Straße", "naive facade strasse"},
		{"bad \xff utf8", "bad utf8"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	long := strings.Repeat("a", 500)
	if toks := Tokenize(long); toks.Len() != 1 || len(toks.At(0)) != maxTokenBytes {
		t.Errorf("Tokenize(500 letters) = %d tokens of %d bytes, want 1 of %d", toks.Len(), len(toks.At(0)), maxTokenBytes)
	}
}

func TestKeywords(t *testing.T) {
	tests := []struct {
		expr, text string
		want       bool
	}{
		{"facture", "Votre FACTURE est prête", true},
		{"facture", "facturation", false},
		{"factur*", "problème de facturation", true},
		{"rendez-vous", "je voudrais un rendez vous", true},
		{"rendez-vous", "rendez-moi vous", false},
		{`"prendre un rendez-vous"`, "Pour prendre un rendez-vous, svp", true},
		{"passeport, carte d'identité", "renouveler ma carte d’identité", true},
		{"passeport OR visa", "un visa", true},
		{"passeport AND photo", "passeport sans la photo", true},
		{"passeport photo", "passeport seul", false},
		{"rendez-vous NOT annul*", "annuler mon rendez-vous", false},
		{"rendez-vous NOT annul*", "prendre rendez-vous", true},
		{"(urgent OR asap) AND NOT spam", "URGENT please", true},
		{"Réclamation", "reclamation deposee", true},
		{"NOT spam", "", true},
		{"14h30", "à 14h30 demain", true},
	}
	for _, tt := range tests {
		k, err := ParseKeywords(tt.expr)
		if err != nil {
			t.Fatalf("ParseKeywords(%q) = %v", tt.expr, err)
		}
		if got := k.MatchString(tt.text); got != tt.want {
			t.Errorf("ParseKeywords(%q).MatchString(%q) = %v, want %v", tt.expr, tt.text, got, tt.want)
		}
	}
}

func TestKeywordErrors(t *testing.T) {
	tests := []struct{ expr, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{`"unclosed`, "unclosed quote"},
		{"(a OR b", "missing )"},
		{"a OR", "ends"},
		{"a )", `unexpected ")"`},
		{"NOT", "ends"},
		{"!!!", "no letters"},
		{strings.Repeat("(", 40) + "a" + strings.Repeat(")", 40), "nested"},
		{strings.Repeat("x ", MaxKeywordsBytes), "longer than"},
		{"a b c d e f g h i j k l m n o p q r s t u v w x y z " + strings.Repeat("w ", 300), "more than"},
		{`"a b c d e f g h i"`, "more than 8 words"},
		{"bad\xffutf8", "UTF-8"},
	}
	for _, tt := range tests {
		_, err := ParseKeywords(tt.expr)
		if err == nil || !errors.Is(err, ErrKeywords) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseKeywords(%.40q) = %v, want an ErrKeywords error mentioning %q", tt.expr, err, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

var testRules = []Rule{
	{Name: "spam", When: Condition{Category: []string{"spam"}}, Then: Action{Priority: ptr(0), Tags: []string{"spam"}, Assign: ptr(false)}},
	{Name: "vip", When: Condition{VIP: ptr(true)}, Then: Action{PriorityAdd: 10, Tags: []string{"vip"}}, Continue: true},
	{Name: "threat", When: Condition{Tension: []string{"aggressive"}, Keywords: "avocat, tribunal, lawyer"}, Then: Action{Team: "reclamations", Escalate: true, PriorityAdd: 20}},
	{Name: "etat-civil", When: Condition{Keywords: `passeport, "carte d'identité", "acte de naissance"`}, Then: Action{Team: "etat-civil"}},
	{Name: "partners", When: Condition{SenderDomain: []string{"partenaire.fr"}}, Then: Action{Team: "direction"}},
	{Name: "night-chat", When: Condition{Channel: []string{"webchat"}, OfficeHours: "closed"}, Then: Action{AutoReply: "closed", Team: "accueil"}},
	{Name: "billing", When: Condition{Category: []string{"billing"}, Regex: `\bn[°o]\s?\d{4}-\d+`}, Then: Action{Team: "comptabilite", Skills: []string{"compta"}}},
	{Name: "english", When: Condition{Language: []string{"en"}}, Then: Action{Team: "accueil", Skills: []string{"english"}}},
	{Name: "default", Then: Action{Team: "accueil"}},
}

func TestEvaluate(t *testing.T) {
	set, err := Compile(testRules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		m        Message
		rules    []string
		team     string
		add      int
		escalate bool
		noAssign bool
		tags     []string
	}{
		{"spam stops", Message{Category: "spam", VIP: true}, []string{"spam"}, "", 0, false, true, []string{"spam"}},
		{"vip continues to default", Message{VIP: true, Category: "information"}, []string{"vip", "default"}, "accueil", 10, false, false, []string{"vip"}},
		{"threat needs both", Message{Tension: "aggressive", Text: "Mon AVOCAT vous contactera"}, []string{"threat"}, "reclamations", 20, true, false, nil},
		{"threat words alone", Message{Tension: "calm", Text: "mon avocat"}, []string{"default"}, "accueil", 0, false, false, nil},
		{"phrase in subject", Message{Subject: "Carte d’identité perdue"}, []string{"etat-civil"}, "etat-civil", 0, false, false, nil},
		{"sender subdomain", Message{Sender: "Jean <j@mail.partenaire.fr>"}, []string{"partners"}, "direction", 0, false, false, nil},
		{"sender other domain", Message{Sender: "j@notpartenaire.fr"}, []string{"default"}, "accueil", 0, false, false, nil},
		{"closed chat", Message{Channel: "webchat", OfficeOpen: false}, []string{"night-chat"}, "accueil", 0, false, false, nil},
		{"open chat", Message{Channel: "webchat", OfficeOpen: true}, []string{"default"}, "accueil", 0, false, false, nil},
		{"billing regex", Message{Category: "billing", Text: "facture n° 2026-1142"}, []string{"billing"}, "comptabilite", 0, false, false, nil},
		{"billing without ref", Message{Category: "billing", Text: "ma facture"}, []string{"default"}, "accueil", 0, false, false, nil},
		{"english", Message{Language: "en"}, []string{"english"}, "accueil", 0, false, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := set.Evaluate(tt.m)
			if !slices.Equal(d.Rules, tt.rules) || d.Team != tt.team || d.PriorityAdd != tt.add ||
				d.Escalate != tt.escalate || d.NoAssign != tt.noAssign || !slices.Equal(d.Tags, tt.tags) {
				t.Errorf("Evaluate(%+v) = %+v, want rules %v team %q add %d escalate %v no-assign %v tags %v",
					tt.m, d, tt.rules, tt.team, tt.add, tt.escalate, tt.noAssign, tt.tags)
			}
			dd, traces := set.DryRun(tt.m)
			if !slices.Equal(dd.Rules, d.Rules) || dd.Team != d.Team {
				t.Errorf("DryRun(%+v) decided %+v, Evaluate decided %+v", tt.m, dd, d)
			}
			if len(traces) != len(testRules) {
				t.Fatalf("DryRun traced %d rules, want %d", len(traces), len(testRules))
			}
			var applied []string
			for _, tr := range traces {
				if tr.Applied {
					applied = append(applied, tr.Rule)
				}
				if len(tr.Checks) == 0 {
					t.Errorf("DryRun trace of %s has no checks", tr.Rule)
				}
			}
			if !slices.Equal(applied, tt.rules) {
				t.Errorf("DryRun applied %v, want %v", applied, tt.rules)
			}
		})
	}
}

func TestDryRunExplains(t *testing.T) {
	set, err := Compile(testRules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	d, traces := set.DryRun(Message{Tension: "aggressive", Text: "J'appelle mon avocat !", Channel: "email"})
	if d.Why != "rule threat: words avocat; tension Aggressive" {
		t.Errorf("Why = %q", d.Why)
	}
	if fr := explain.Text(d.Reason, explain.French); fr != "règle threat : mots avocat; tension Agressif" {
		t.Errorf("Reason in French = %q", fr)
	}
	var threat RuleTrace
	for _, tr := range traces {
		if tr.Rule == "threat" {
			threat = tr
		}
	}
	if len(threat.Checks) != 2 || threat.Checks[0].Why != "tension is Aggressive, one of Aggressive" ||
		threat.Checks[1].Why != `keywords "avocat, tribunal, lawyer": found avocat` {
		t.Errorf("threat checks = %+v", threat.Checks)
	}
	spam := traces[0]
	if spam.Matched || spam.Checks[0].Why != "category is (none), not one of Spam" {
		t.Errorf("spam trace = %+v", spam)
	}
}

// TestReasons checks the structured explanations of the decision and of every check,
// and their French text.
func TestReasons(t *testing.T) {
	set, err := Compile(testRules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		m      Message
		rule   string // the trace to look at
		checks []explain.Reason
		fr     []string
		why    explain.Reason // the decision's
	}{
		{"threat", Message{Tension: "aggressive", Text: "mon avocat", Channel: "email"}, "threat",
			[]explain.Reason{
				explain.New("check.in", "field", "tension", "got", "aggressive", "want", []string{"aggressive"}),
				explain.New("check.keywords.found", "expr", "avocat, tribunal, lawyer", "found", []string{"avocat"}),
			},
			[]string{"tension : Agressif, parmi Agressif", "mots-clés « avocat, tribunal, lawyer » : trouvé avocat"},
			explain.New("route.rule_if", "rule", "threat", "parts", []explain.Reason{
				explain.New("cond.words", "words", []string{"avocat"}),
				explain.New("cond.value", "field", "tension", "got", "aggressive"),
			})},
		{"vip no", Message{Category: "information"}, "vip",
			[]explain.Reason{explain.New("check.vip", "got", false, "want", true)},
			[]string{"contact VIP : non, attendu oui"},
			explain.New("route.rule", "rule", "default")},
		{"closed chat", Message{Channel: "webchat"}, "night-chat",
			[]explain.Reason{
				explain.New("check.in", "field", "channel", "got", "webchat", "want", []string{"webchat"}),
				explain.New("check.office", "field", "office", "got", "closed", "want", "closed"),
			},
			[]string{"canal : Chat, parmi Chat", "accueil fermé, attendu fermé"},
			explain.New("route.rule_if", "rule", "night-chat", "parts", []explain.Reason{
				explain.New("cond.value", "field", "channel", "got", "webchat"),
				explain.New("cond.office", "office", "closed"),
			})},
		{"sender elsewhere", Message{Sender: "j@ailleurs.fr"}, "partners",
			[]explain.Reason{explain.New("check.sender_domain.out", "domain", "ailleurs.fr", "want", []string{"partenaire.fr"})},
			[]string{"domaine de l'expéditeur « ailleurs.fr » hors de partenaire.fr"},
			explain.New("route.rule", "rule", "default")},
		{"regex", Message{Category: "billing", Text: "facture n° 2026-1142"}, "billing",
			[]explain.Reason{
				explain.New("check.in", "field", "category", "got", "billing", "want", []string{"billing"}),
				explain.New("check.regex.matched", "pattern", `\bn[°o]\s?\d{4}-\d+`, "matched", "n° 2026-1142"),
			},
			[]string{"catégorie : Facturation, parmi Facturation", "expression « \\bn[°o]\\s?\\d{4}-\\d+ » : trouvé « n° 2026-1142 »"},
			explain.New("route.rule_if", "rule", "billing", "parts", []explain.Reason{
				explain.New("cond.value", "field", "category", "got", "billing"),
				explain.New("cond.pattern", "pattern", `\bn[°o]\s?\d{4}-\d+`),
			})},
		{"always", Message{}, "default",
			[]explain.Reason{explain.New("check.always")},
			[]string{"la règle n'a pas de condition"},
			explain.New("route.rule", "rule", "default")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, traces := set.DryRun(tt.m)
			if !reflect.DeepEqual(d.Reason, tt.why) {
				t.Errorf("DryRun(%+v).Reason = %+v, want %+v", tt.m, d.Reason, tt.why)
			}
			if d.Why != tt.why.String() {
				t.Errorf("DryRun(%+v).Why = %q, want the reason in English %q", tt.m, d.Why, tt.why.String())
			}
			var checks []Check
			for _, tr := range traces {
				if tr.Rule == tt.rule {
					checks = tr.Checks
				}
			}
			if len(checks) != len(tt.checks) {
				t.Fatalf("DryRun(%+v) rule %s checks = %+v, want %d", tt.m, tt.rule, checks, len(tt.checks))
			}
			for i, c := range checks {
				if !reflect.DeepEqual(c.Reason, tt.checks[i]) {
					t.Errorf("check %d (%s) reason = %+v, want %+v", i, c.Condition, c.Reason, tt.checks[i])
				}
				if c.Why != c.Reason.String() {
					t.Errorf("check %d (%s) why = %q, want the reason in English %q", i, c.Condition, c.Why, c.Reason.String())
				}
				if fr := explain.Text(c.Reason, explain.French); fr != tt.fr[i] {
					t.Errorf("check %d (%s) in French = %q, want %q", i, c.Condition, fr, tt.fr[i])
				}
			}
		})
	}
}

func TestCompileErrors(t *testing.T) {
	o := Options{Categories: []string{"billing"}, Channels: []string{"email"}, Templates: []string{"closed"}}
	tests := []struct {
		name string
		r    Rule
		want string
	}{
		{"no name", Rule{}, "rule 1: name: is required"},
		{"bad category", Rule{Name: "x", When: Condition{Category: []string{"bills"}}}, `rule 1 (x): when.category: "bills" is not one of billing`},
		{"bad channel", Rule{Name: "x", When: Condition{Channel: []string{"fax"}}}, "when.channel"},
		{"bad keywords", Rule{Name: "x", When: Condition{Keywords: "(a"}}, "when.keywords: missing )"},
		{"bad regex", Rule{Name: "x", When: Condition{Regex: "a("}}, "when.regex"},
		{"bad office", Rule{Name: "x", When: Condition{OfficeHours: "lunch"}}, "when.office_hours"},
		{"bad priority", Rule{Name: "x", Then: Action{Priority: ptr(101)}}, "then.priority"},
		{"bad add", Rule{Name: "x", Then: Action{PriorityAdd: -200}}, "then.priority_add"},
		{"bad template", Rule{Name: "x", Then: Action{AutoReply: "nope"}}, `then.auto_reply: no template "nope"`},
	}
	for _, tt := range tests {
		_, err := Compile([]Rule{tt.r}, o)
		if err == nil || !errors.Is(err, ErrRule) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Compile() = %v, want ErrRule mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := Compile([]Rule{{Name: "a"}, {Name: "a"}}, o); err == nil || !strings.Contains(err.Error(), "another rule has this name") {
		t.Errorf("Compile(duplicate names) = %v", err)
	}
}

func FuzzKeywords(f *testing.F) {
	for _, s := range []string{"facture", "rendez-vous NOT annul*", `"prendre un rdv", rdv`, "(a OR b) AND NOT (c d)", "NOT NOT x", "a,,b", `"`, "((", "*"} {
		f.Add(s, "Bonjour, je voudrais prendre un RDV pour ma facture")
	}
	f.Fuzz(func(t *testing.T, expr, text string) {
		k, err := ParseKeywords(expr)
		if err != nil {
			if !errors.Is(err, ErrKeywords) {
				t.Fatalf("ParseKeywords(%q) = %v, not an ErrKeywords", expr, err)
			}
			return
		}
		a := k.MatchString(text)
		if b := k.MatchString(text); a != b {
			t.Fatalf("MatchString is not deterministic for %q on %q", expr, text)
		}
		// A rule set built from the same expression decides the same way.
		set, err := Compile([]Rule{{Name: "r", When: Condition{Keywords: expr}, Then: Action{Team: "t"}}}, Options{})
		if err != nil {
			t.Fatalf("Compile(%q) = %v after ParseKeywords accepted it", expr, err)
		}
		if got := len(set.Evaluate(Message{Text: text}).Rules) == 1; got != a {
			t.Fatalf("rule with keywords %q on %q = %v, Keywords.Match = %v", expr, text, got, a)
		}
	})
}
