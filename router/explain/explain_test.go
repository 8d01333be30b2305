package explain

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"testing"
)

func TestText(t *testing.T) {
	prio := New("priority", "score", 55, "factors", []Reason{
		New("priority.base", "score", 20, "points", 20),
		New("priority.category", "category", "complaint", "points", 20),
		New("priority.waiting", "minutes", 150, "points", 10),
		New("priority.channel", "channel", "fax", "points", -5),
	})
	tests := []struct {
		name   string
		r      Reason
		fr, en string
	}{
		{"labels and signed points", prio, "priorité 55 : base 20, catégorie Réclamation +20, attente 3 h +10, canal fax -5",
			"priority 55: base 20, category Complaint +20, waiting 3 h +10, channel fax -5"},
		{"confidence and words", New("category.model", "category", "billing", "confidence", 0.874, "words", []string{"facture", "montant"}),
			"catégorie Facturation (87\u202f%) : mots facture, montant", "category Billing (87%): words facture, montant"},
		{"signals", New("tension.signals", "tension", "tense", "signals", []string{"repeated_contact", "unknown"}),
			"tension Tendu : relances répétées, unknown", "tension Tense: repeated contact, unknown"},
		{"got and want by field", New("check.not_in", "field", "channel", "got", "", "want", []string{"email", "sms"}),
			"canal : (aucun), hors de E-mail, SMS", "channel is (none), not one of Email, SMS"},
		{"booleans", New("check.vip", "got", true, "want", false), "contact VIP : oui, attendu non", "contact VIP: yes, want no"},
		{"minutes", New("priority.waiting", "minutes", 35, "points", 2), "attente 35 min +2", "waiting 35 min +2"},
		{"unknown code", New("nope", "b", "x", "a", 2), "nope a 2 b x", "nope a 2 b x"},
		{"text stays text", New("cond.pattern", "pattern", "<b>{x}</b>"), "motif <b>{x}</b>", "pattern <b>{x}</b>"},
	}
	for _, tt := range tests {
		if got := Text(tt.r, French); got != tt.fr {
			t.Errorf("%s: Text(%+v, fr) = %q, want %q", tt.name, tt.r, got, tt.fr)
		}
		if got := Text(tt.r, English); got != tt.en {
			t.Errorf("%s: Text(%+v, en) = %q, want %q", tt.name, tt.r, got, tt.en)
		}
		// Stored and read back (numbers become float64s, lists []any), it reads the same.
		b, err := json.Marshal(tt.r)
		if err != nil {
			t.Fatalf("%s: Marshal = %v", tt.name, err)
		}
		var back Reason
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: Unmarshal(%s) = %v", tt.name, b, err)
		}
		if got := Text(back, French); got != tt.fr {
			t.Errorf("%s: Text(decoded %s, fr) = %q, want %q", tt.name, b, got, tt.fr)
		}
		var withText struct{ Text string }
		if err := json.Unmarshal(b, &withText); err != nil || withText.Text != tt.en {
			t.Errorf("%s: JSON %s carries text %q, want the English %q", tt.name, b, withText.Text, tt.en)
		}
	}
}

// TestCatalogs: both languages have the same keys, and a template uses the same
// placeholders in both.
func TestCatalogs(t *testing.T) {
	fr, en := Messages(French), Messages(English)
	if !slices.Equal(slices.Sorted(maps.Keys(fr)), slices.Sorted(maps.Keys(en))) {
		t.Fatalf("catalog keys differ: fr %d, en %d", len(fr), len(en))
	}
	ph := regexp.MustCompile(`\{[a-z_]+\}`)
	for k, v := range fr {
		a, b := ph.FindAllString(v, -1), ph.FindAllString(en[k], -1)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("%s: placeholders fr %v, en %v", k, a, b)
		}
	}
	fr["why.none"] = "changed"
	if Messages(French)["why.none"] == "changed" {
		t.Error("Messages returned the catalog itself, not a copy")
	}
}
