package search

import (
	"slices"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
)

// TestRelevance checks that queries typed the way people type them find the messages
// they mean, through the same path the API takes (ParseQuery, per-field analyzers).
func TestRelevance(t *testing.T) {
	e := newEnv(t)
	reclam := e.ingest(msg{text: "Bonjour, je souhaite déposer une réclamation concernant mon dossier.", lang: "fr", subject: "Réclamation"})
	facture := e.ingest(msg{text: "La facture a été Facturé deux fois, merci de corriger.", lang: "fr"})
	elision := e.ingest(msg{text: "Je n'ai pas reçu l'attestation d'hébergement.", lang: "fr"})
	invoices := e.ingest(msg{text: "Hello, I have two invoices that are wrong.", lang: "en"})
	phrase := e.ingest(msg{text: "Le rendez-vous est annulé pour demain matin.", lang: "fr"})
	scrambled := e.ingest(msg{text: "Demain, le matin, pas de rendez-vous: il est annulé.", lang: "fr"})
	marie := e.ingest(msg{from: "marie.dupont@example.fr", name: "Marie Dupont", text: "Merci pour votre aide.", lang: "fr"})
	sms := e.ingest(msg{channel: channels.SMS, from: "+33612345678", name: "Paul Martin", text: "Je serai en retard.", lang: "fr"})
	e.ingest(msg{text: "Question sans rapport sur les horaires d'ouverture.", lang: "fr"})
	e.indexAll()

	tests := []struct {
		name  string
		query string
		want  []int64
	}{
		{"plural finds singular, accents folded", "réclamations", []int64{reclam.MessageID}},
		{"unaccented query", "reclamation", []int64{reclam.MessageID}},
		{"facture finds Facturé", "facturé", []int64{facture.MessageID}},
		{"Facturé finds facture", "FACTURE", []int64{facture.MessageID}},
		{"elision", "attestation hebergement", []int64{elision.MessageID}},
		{"elided article in query", "l'attestation", []int64{elision.MessageID}},
		{"English plural", "invoice", []int64{invoices.MessageID}},
		{"English singular finds plural query", "invoices wrong", []int64{invoices.MessageID}},
		{"phrase", `"rendez-vous est annulé"`, []int64{phrase.MessageID}},
		{"words without phrase find both", "rendez-vous annulé", []int64{phrase.MessageID, scrambled.MessageID}},
		{"exclusion", "rendez-vous -demain", nil},
		{"exclusion of a phrase", `annulé -"rendez-vous est annulé"`, []int64{scrambled.MessageID}},
		{"full email", "marie.dupont@example.fr", []int64{marie.MessageID}},
		{"partial email", "marie.dup", []int64{marie.MessageID}},
		{"email domain part", "from:example", nil}, // every visitor is @example.fr: checked below
		{"name prefix", "dupo", []int64{marie.MessageID}},
		{"email typed to one letter of a part", "marie.d", []int64{marie.MessageID}},
		{"capitals and accents", "MARIÉ.DUP", []int64{marie.MessageID}},
		{"name words in any order", "dupont mar", []int64{marie.MessageID}},
		{"name with accent folding", "from:\"marie dupont\"", []int64{marie.MessageID}},
		{"phone national with spaces", "06 12 34 56 78", []int64{sms.MessageID}},
		{"phone international with spaces", "+33 6 12 34 56 78", []int64{sms.MessageID}},
		{"phone international compact", "+33612345678", []int64{sms.MessageID}},
		{"phone with dots", "06.12.34.56.78", []int64{sms.MessageID}},
		{"phone partial", "06 12 34", []int64{sms.MessageID}},
		{"phone without prefix", "612345678", []int64{sms.MessageID}},
		{"phone 0033", "0033 6 12 34 56 78", []int64{sms.MessageID}},
		{"stop words only find nothing", "le la les", nil},
		{"stop word ignored beside a word", "la facture", []int64{facture.MessageID}},
		{"channel filter in query", "channel:sms retard", []int64{sms.MessageID}},
		{"negated channel", "retard -channel:sms", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.query == "from:example" {
				res := e.search(e.super, Request{Query: tt.query})
				if res.Total != 8 { // every contact but the SMS one has an @example.fr address
					t.Fatalf("Search(%q) total = %d, want 8", tt.query, res.Total)
				}
				return
			}
			res := e.search(e.super, Request{Query: tt.query})
			got := ids(res)
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("Search(%q) = messages %v, want %v", tt.query, got, want)
			}
			if int(res.Total) != len(want) {
				t.Fatalf("Search(%q).Total = %d, want %d", tt.query, res.Total, len(want))
			}
		})
	}
}

// TestSnippets checks the matched words are marked in plain-text segments, HTML in a
// message stays text, and long texts are cut around the first match.
func TestSnippets(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("Texte de remplissage sans intérêt. ", 30) + "Voici la <b>réclamation</b> & le reste." + strings.Repeat(" Encore du texte.", 30)
	e.ingest(msg{text: long, lang: "fr"})
	e.indexAll()
	res := e.search(e.super, Request{Query: "réclamations"})
	if len(res.Hits) != 1 {
		t.Fatalf("Search(réclamations) = %d hits, want 1", len(res.Hits))
	}
	sn := res.Hits[0].Snippet
	var marked []string
	var all strings.Builder
	for _, s := range sn {
		all.WriteString(s.Text)
		if s.Match {
			marked = append(marked, s.Text)
		}
	}
	if !slices.Equal(marked, []string{"réclamation"}) {
		t.Fatalf("snippet marks %q, want [réclamation]; snippet %+v", marked, sn)
	}
	text := all.String()
	if !strings.HasPrefix(text, "…") || !strings.HasSuffix(text, "…") || len(text) > snippetBytes+20 {
		t.Fatalf("snippet %q: want a cut extract with … at both ends", text)
	}
	if !strings.Contains(text, "<b>réclamation</b> & le") {
		t.Fatalf("snippet %q: want the text as written (escaping is the renderer's job)", text)
	}
}

// TestIgnoredWords: the result names the words looked for nowhere because they are too
// common, as typed and once each, and only those: not phrases, field values, phone
// digits or ordinary words.
func TestIgnoredWords(t *testing.T) {
	e := newEnv(t)
	e.ingest(msg{text: "Votre facture est prête", lang: "fr"})
	e.indexAll()
	tests := []struct {
		query string
		want  []string
	}{
		{"facture", nil},
		{"la facture", []string{"la"}},
		{"Le la LE facture the", []string{"Le", "la", "the"}},
		{"le status:open", []string{"le"}},
		{"-le facture", []string{"le"}},
		{`"la facture"`, nil},
		{"subject:la", nil},
		{"06 12 34", nil},
		{"", nil},
	}
	for _, tt := range tests {
		res := e.search(e.super, Request{Query: tt.query})
		if !slices.Equal(res.Ignored, tt.want) {
			t.Errorf("Search(%q).Ignored = %q, want %q", tt.query, res.Ignored, tt.want)
		}
	}
}
