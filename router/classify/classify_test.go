package classify

import (
	"bytes"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/explain"
	"github.com/frontdeskhq/frontdesk/router/rules"
)

func readFile(t testing.TB, path string) []Sample {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ReadSamples(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("ReadSamples(%s) = %v", path, err)
	}
	return s
}

var (
	modelOnce sync.Once
	model     *Model
	modelErr  error
)

// trained returns the model trained on the shipped dataset, once per test binary.
func trained(t testing.TB) *Classifier {
	t.Helper()
	modelOnce.Do(func() {
		model, modelErr = Train(readFile(t, "../../configs/classifier/train.jsonl"), DefaultCategories, TrainOptions{})
	})
	if modelErr != nil {
		t.Fatalf("Train() = %v", modelErr)
	}
	c, err := New(Config{}, model)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return c
}

// TestHoldoutAccuracy holds the classifier to the goals on the held-out sets, never
// used for training: holdout.jsonl, written with the training set, and holdout2.jsonl,
// written after the model was settled.
func TestHoldoutAccuracy(t *testing.T) {
	for _, f := range []string{"holdout", "holdout2"} {
		t.Run(f, func(t *testing.T) { testHoldout(t, "../../configs/classifier/"+f+".jsonl") })
	}
}

func testHoldout(t *testing.T, path string) {
	c := trained(t)
	r := Evaluate(c, readFile(t, path))
	var b strings.Builder
	r.Write(&b)
	t.Log("\n" + b.String())
	if r.Samples < 50 {
		t.Errorf("held-out set has %d samples, want at least 50", r.Samples)
	}
	if acc := r.Category.Accuracy(); acc < 0.90 {
		t.Errorf("category accuracy on held-out = %.3f, want >= 0.90", acc)
	}
	if acc := r.Language.Accuracy(); acc < 0.98 {
		t.Errorf("language accuracy on held-out = %.3f, want >= 0.98", acc)
	}
	if acc := r.Tension.Accuracy(); acc < 0.85 {
		t.Errorf("tension accuracy on held-out = %.3f, want >= 0.85", acc)
	}
}

func TestDatasetCoversEveryCategory(t *testing.T) {
	for _, f := range []string{"train", "holdout", "holdout2"} {
		counts := map[string]map[string]int{}
		for _, s := range readFile(t, "../../configs/classifier/"+f+".jsonl") {
			if err := s.check(DefaultCategories); err != nil {
				t.Errorf("%s: %q: %v", f, s.Text, err)
			}
			if counts[s.Category] == nil {
				counts[s.Category] = map[string]int{}
			}
			counts[s.Category][s.Language]++
		}
		for _, cat := range DefaultCategories {
			if counts[cat]["fr"] < 3 || counts[cat]["en"] < 3 {
				t.Errorf("%s: category %s has %d French and %d English samples, want at least 3 of each", f, cat, counts[cat]["fr"], counts[cat]["en"])
			}
		}
	}
}

func TestClassify(t *testing.T) {
	c := trained(t)
	tests := []struct {
		in                          Input
		category, language, tension string
		urgency                     string
	}{
		{Input{Subject: "Facture erronée", Text: "Bonjour, le montant de ma facture de cantine est faux, pouvez-vous la corriger ?", Channel: "email"}, "billing", "fr", Calm, UrgencyNormal},
		{Input{Text: "Hi, I'd like to book an appointment to renew my passport next week.", Channel: "webchat"}, "appointment", "en", Calm, UrgencyNormal},
		{Input{Text: "C'EST LA TROISIÈME FOIS QUE J'APPELLE, VOUS ÊTES DES INCOMPÉTENTS !!!", Channel: "telephony"}, "complaint", "fr", Aggressive, UrgencyNormal},
		{Input{Subject: "URGENT", Text: "Fuite de gaz dans le hall de l'école, il faut envoyer quelqu'un tout de suite", Channel: "sms"}, "", "fr", "", UrgencyCritical},
		{Input{Text: "Click here to claim your free iPhone now: http://win-prize.top", Channel: "email"}, "spam", "en", Calm, UrgencyNormal},
	}
	for _, tt := range tests {
		r := c.Classify(tt.in)
		if (tt.category != "" && r.Category != tt.category) || r.Language != tt.language ||
			(tt.tension != "" && r.Tension != tt.tension) || r.Urgency != tt.urgency {
			t.Errorf("Classify(%q) = %s/%s/%s/%s (%s), want %s/%s/%s/%s", tt.in.Text, r.Category, r.Language, r.Tension, r.Urgency,
				r.Explanation, tt.category, tt.language, tt.tension, tt.urgency)
		}
		if r.CategoryConfidence <= 0 || r.CategoryConfidence > 1 || r.Explanation.Category.IsZero() || r.Explanation.Tension.IsZero() || r.Explanation.Language.IsZero() || r.Explanation.Urgency.IsZero() {
			t.Errorf("Classify(%q) = %+v: want a confidence in (0,1] and explanations", tt.in.Text, r)
		}
	}
}

func TestExplanationNamesWords(t *testing.T) {
	r := trained(t).Classify(Input{Subject: "Remboursement", Text: "Je demande le remboursement de l'acompte versé pour la salle, merci."})
	e := r.Explanation.Category
	words, _ := e.Args["words"].([]string)
	if r.Category != "billing" || e.Code != "category.model" || e.Args["category"] != "billing" ||
		e.Args["confidence"] != r.CategoryConfidence || !slices.ContainsFunc(words, func(w string) bool { return strings.HasPrefix(w, "rembours") }) {
		t.Errorf("Classify() = %s, explanation %+v: want billing explained by the word remboursement", r.Category, e)
	}
	if fr := explain.Text(e, explain.French); !strings.HasPrefix(fr, "catégorie Facturation (") || !strings.Contains(fr, "rembours") {
		t.Errorf("category explanation in French = %q", fr)
	}
}

// TestExplanations checks the structured explanation of each field and its French text.
func TestExplanations(t *testing.T) {
	c := trained(t)
	tests := []struct {
		name  string
		in    Input
		field func(Explanation) explain.Reason
		want  explain.Reason
		fr    string
	}{
		{"language too short, hint", Input{Text: "ok thanks", LanguageHint: "en"}, func(e Explanation) explain.Reason { return e.Language },
			explain.New("language.hint", "language", "en"), "langue Anglais : texte trop court, langue du contact"},
		{"language too short, default", Input{Text: "Merci"}, func(e Explanation) explain.Reason { return e.Language },
			explain.New("language.default", "language", "fr"), "langue Français : texte trop court, français par défaut"},
		{"language script", Input{Text: "Здравствуйте, я хочу записаться на прием"}, func(e Explanation) explain.Reason { return e.Language },
			explain.New("language.script", "language", "other"), "langue Autre : écriture surtout non latine"},
		{"calm", Input{Text: "Bonjour, pourriez-vous me renseigner sur les horaires ? Merci."}, func(e Explanation) explain.Reason { return e.Tension },
			explain.New("tension.none", "tension", Calm), "tension Calme : aucun signe de tension"},
		{"tension signals", Input{Text: "C'EST LA TROISIÈME FOIS QUE J'APPELLE, VOUS ÊTES DES INCOMPÉTENTS !!!"}, func(e Explanation) explain.Reason { return e.Tension },
			explain.New("tension.signals", "tension", Aggressive, "signals", []string{"contempt", "repeated_contact", "capitals", "exclamation"}),
			"tension Agressif : mépris, relances répétées, majuscules, points d'exclamation"},
		{"urgency normal", Input{Text: "Pouvez-vous me rappeler ?"}, func(e Explanation) explain.Reason { return e.Urgency },
			explain.New("urgency.none", "urgency", UrgencyNormal), "urgence Normale"},
		{"urgency critical", Input{Text: "Il y a une inondation dans la salle des fêtes"}, func(e Explanation) explain.Reason { return e.Urgency },
			explain.New("urgency.signals", "urgency", UrgencyCritical, "signals", []string{"critical_words"}), "urgence Critique : mots d'urgence vitale"},
	}
	for _, tt := range tests {
		r := c.Classify(tt.in)
		got := tt.field(r.Explanation)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Classify(%q) explanation = %+v, want %+v", tt.name, tt.in.Text, got, tt.want)
		}
		if fr := explain.Text(got, explain.French); fr != tt.fr {
			t.Errorf("%s: Classify(%q) explanation in French = %q, want %q", tt.name, tt.in.Text, fr, tt.fr)
		}
	}
}

func TestLanguage(t *testing.T) {
	c := trained(t)
	tests := []struct {
		text, hint, want string
	}{
		{"Merci", "", "fr"},
		{"ok thanks", "en", "en"},
		{"ok", "es", "other"},
		{"مرحبا، أريد موعدا لتجديد جواز السفر من فضلكم", "", "other"},
		{"Здравствуйте, я хочу записаться на прием", "fr", "other"},
		{"Could you tell me where the nearest car park is, please?", "fr", "en"},
		{"Est-ce que vous pouvez me dire où se trouve le parking le plus proche ?", "en", "fr"},
		{"Hola, ¿dónde está la oficina de turismo? Muchas gracias por su ayuda.", "", "other"},
	}
	for _, tt := range tests {
		if r := c.Classify(Input{Text: tt.text, LanguageHint: tt.hint}); r.Language != tt.want {
			t.Errorf("Classify(%q, hint %q).Language = %q (%s), want %q", tt.text, tt.hint, r.Language, r.Explanation.Language, tt.want)
		}
	}
}

func TestTension(t *testing.T) {
	tests := []struct {
		subject, text, want string
	}{
		{"", "Bonjour, pourriez-vous me renseigner sur les horaires ? Merci.", Calm},
		{"", "Je vous ai déjà écrit deux fois et toujours rien.", Tense},
		{"", "This is the third time I'm calling, still no answer.", Tense},
		{"", "Bande d'incapables, vous allez m'entendre", Aggressive},
		{"", "You morons cut down my tree", Aggressive},
		{"VOUS NE RÉPONDEZ JAMAIS", "C'EST SCANDALEUX, JE VEUX UNE RÉPONSE AUJOURD'HUI", Aggressive},
		{"", "Encore une panne ?? C'est pénible", Tense},
		{"", "Payable en trois fois ? Merci", Calm},
		{"", "Je viens avec mon avocat pour la succession de mon père", Calm},
		{"", "Sans réponse sous huit jours, je saisirai le médiateur.", Tense},
		{"", "RDV CAF SVP", Calm},
	}
	for _, tt := range tests {
		if got, why := tension(tt.subject, tt.text); got != tt.want {
			t.Errorf("tension(%q, %q) = %s %v, want %s", tt.subject, tt.text, got, why, tt.want)
		}
	}
}

func TestUrgency(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Pouvez-vous me rappeler ?", UrgencyNormal},
		{"C'est urgent, mon passeport expire demain", UrgencyHigh},
		{"Please call me back as soon as possible", UrgencyHigh},
		{"Il y a une inondation dans la salle des fêtes", UrgencyCritical},
		{"Gas leak in the school basement!", UrgencyCritical},
	}
	for _, tt := range tests {
		if got, _ := urgency("", tt.text); got != tt.want {
			t.Errorf("urgency(%q) = %s, want %s", tt.text, got, tt.want)
		}
	}
}

func TestCategoryRules(t *testing.T) {
	cfg := Config{Rules: []CategoryRule{
		{Name: "partner-orders", Category: "order", When: rulesCondition(t, "sender_domain", "fournisseur.fr")},
		{Name: "phishing", Category: "spam", When: rulesCondition(t, "regex", `https?://\S+\.(top|xyz)\b`)},
	}}
	c, err := New(cfg, trained(t).Model())
	if err != nil {
		t.Fatal(err)
	}
	r := c.Classify(Input{Text: "Bonjour, pouvez-vous me rappeler ?", Sender: "compta@fournisseur.fr"})
	if r.Category != "order" || r.CategoryConfidence != 1 || r.CategoryRule != "partner-orders" ||
		!reflect.DeepEqual(r.Explanation.Category, explain.New("category.rule", "category", "order", "rule", "partner-orders")) {
		t.Errorf("Classify(sender at fournisseur.fr) = %+v, want order by rule partner-orders", r)
	}
	r = c.Classify(Input{Text: "Votre colis: http://suivi.colis.top/x"})
	if r.Category != "spam" || r.CategoryRule != "phishing" {
		t.Errorf("Classify(phishing link) = %+v, want spam by rule phishing", r)
	}
	for _, bad := range []Config{
		{Rules: []CategoryRule{{Name: "x", Category: "unknown"}}},
		{Rules: []CategoryRule{{Name: "x", Category: "spam", When: rulesCondition(t, "category", "billing")}}},
		{Rules: []CategoryRule{{Name: "x", Category: "spam", When: rulesCondition(t, "keywords", "(")}}},
		{Categories: []string{"Billing"}},
		{Categories: []string{"a", "a"}},
	} {
		if err := bad.WithDefaults().Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", bad)
		}
	}
	if _, err := New(Config{Categories: []string{"billing"}}, trained(t).Model()); err == nil {
		t.Error("New(config without the model's categories) = nil error")
	}
}

func TestSaveLoad(t *testing.T) {
	c := trained(t)
	var buf bytes.Buffer
	if err := c.Model().Save(&buf); err != nil {
		t.Fatal(err)
	}
	m, err := LoadModel(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("LoadModel(saved) = %v", err)
	}
	c2, err := New(Config{}, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range readFile(t, "../../configs/classifier/holdout.jsonl")[:20] {
		in := Input{Subject: s.Subject, Text: s.Text, Channel: s.Channel}
		if a, b := c.Classify(in), c2.Classify(in); !reflect.DeepEqual(a, b) {
			t.Fatalf("loaded model classifies %q as %+v, original as %+v", s.Text, b, a)
		}
	}
	if _, err := LoadModel(strings.NewReader("not a model")); !errors.Is(err, ErrModel) {
		t.Errorf("LoadModel(garbage) = %v, want ErrModel", err)
	}
	old := *c.Model()
	old.Version = 0
	buf.Reset()
	old.Save(&buf)
	if _, err := LoadModel(&buf); !errors.Is(err, ErrModel) || !strings.Contains(err.Error(), "retrain") {
		t.Errorf("LoadModel(old version) = %v, want ErrModel asking to retrain", err)
	}
}

func TestTrainErrors(t *testing.T) {
	if _, err := Train(nil, DefaultCategories, TrainOptions{}); err == nil {
		t.Error("Train(no samples) = nil error")
	}
	bad := []Sample{{Text: "x", Category: "billing", Language: "fr", Tension: "furious"}}
	if _, err := Train(bad, DefaultCategories, TrainOptions{}); err == nil || !strings.Contains(err.Error(), "sample 1: tension") {
		t.Errorf("Train(bad tension) = %v, want an error naming sample 1's tension", err)
	}
	if _, err := Train(bad, DefaultCategories, TrainOptions{Algorithm: "svm"}); err == nil {
		t.Error("Train(unknown algorithm) = nil error")
	}
	m, err := Train(readFile(t, "../../configs/classifier/train.jsonl"), DefaultCategories, TrainOptions{Algorithm: Bayes, Now: time.Unix(0, 0)})
	if err != nil || m.Algorithm != Bayes {
		t.Fatalf("Train(bayes) = %v, %v", m, err)
	}
}

func TestReadSamples(t *testing.T) {
	good := "# comment\n\n{\"subject\":\"s\",\"text\":\"t\",\"channel\":\"email\",\"extra\":1}\n"
	s, err := ReadSamples(strings.NewReader(good))
	if err != nil || len(s) != 1 || s[0].Subject != "s" {
		t.Fatalf("ReadSamples(good) = %+v, %v", s, err)
	}
	for _, tt := range []struct{ in, want string }{
		{"{\"text\":\"a\"}\n{not json}\n", "line 2: malformed JSON"},
		{"{\"text\": 3}\n", "line 1: field \"text\" must be a string"},
		{"{\"subject\":\"\",\"text\":\"  \"}\n", "line 1: subject and text are both empty"},
		{"[1,2]\n", "line 1:"},
		{"{\"text\":\"" + strings.Repeat("a", MaxLineBytes) + "\"}\n", "longer than"},
	} {
		if _, err := ReadSamples(strings.NewReader(tt.in)); !errors.Is(err, ErrDataset) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadSamples(%.30q) = %v, want ErrDataset mentioning %q", tt.in, err, tt.want)
		}
	}
}

func TestReportWrite(t *testing.T) {
	c := trained(t)
	r := Evaluate(c, []Sample{
		{Text: "Je voudrais un rendez-vous pour mon passeport mardi", Category: "appointment", Language: "fr", Tension: "calm"},
		{Text: "Win a free car, click here http://x.top", Category: "spam", Language: "en"},
	})
	var b strings.Builder
	if err := r.Write(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"2 samples", "category  accuracy: 100.00% (2/2)", "tension   accuracy: 100.00% (1/1)", "category confusion (rows: expected, columns: classified)", "appointment"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func FuzzClassify(f *testing.F) {
	c := trained(f)
	f.Add("Facture", "Bonjour, ma facture est fausse !!!", "email")
	f.Add("", "HELLO??? ANYONE???", "webchat")
	f.Add("\xff\xfe", "\x00\x01 Œuvre naïve", "sms")
	f.Add("", "", "")
	f.Fuzz(func(t *testing.T, subject, text, channel string) {
		r := c.Classify(Input{Subject: subject, Text: text, Channel: channel})
		if !contains(DefaultCategories, r.Category) || !contains(Languages, r.Language) ||
			!contains(Tensions, r.Tension) || !contains(Urgencies, r.Urgency) {
			t.Fatalf("Classify(%q, %q) = %+v: a label outside the known sets", subject, text, r)
		}
		if r.CategoryConfidence < 0 || r.CategoryConfidence > 1 {
			t.Fatalf("Classify(%q, %q) confidence %v out of [0,1]", subject, text, r.CategoryConfidence)
		}
	})
}

// BenchmarkClassify measures classification throughput over the held-out messages.
// Reproduce: go test -run XXX -bench Classify -cpu 1 ./router/classify/
func BenchmarkClassify(b *testing.B) {
	c := trained(b)
	samples := readFile(b, "../../configs/classifier/holdout.jsonl")
	ins := make([]Input, len(samples))
	for i, s := range samples {
		ins[i] = Input{Subject: s.Subject, Text: s.Text, Channel: s.Channel}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.Classify(ins[i%len(ins)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// rulesCondition builds a one-field condition for tests.
func rulesCondition(t *testing.T, field, value string) (c rules.Condition) {
	t.Helper()
	switch field {
	case "sender_domain":
		c.SenderDomain = []string{value}
	case "regex":
		c.Regex = value
	case "category":
		c.Category = []string{value}
	case "keywords":
		c.Keywords = value
	default:
		t.Fatalf("rulesCondition: unknown field %s", field)
	}
	return c
}
