// Package classify tells what an incoming message is about (its category), which
// language it is in (French, English, other), how tense its writer is (calm, tense,
// aggressive) and how urgent it says it is, each with a confidence or the signals behind
// it, and an explanation an agent can read.
//
// Algorithm:
//   - Category: configured rules first (keywords, regular expression, channel, mailbox,
//     sender domain; the first matching rule decides, with confidence 1). Otherwise a
//     linear model over hashed binary features of the message: words (stop words
//     removed), word bigrams, character 4-grams inside words (so facture, facturé and
//     facturation share evidence), subject words and the channel. The model is a
//     multinomial logistic regression (softmax, AdaGrad, L2) or a multinomial naive
//     Bayes, trained from labelled samples in French and English; the explanation lists
//     the words of the message that weighed most for the chosen category.
//   - Language: a naive Bayes model over words and character trigrams; text mostly in
//     a non-Latin script is "other"; very short text falls back to the language hint
//     (the contact's), then to French.
//   - Tension and urgency: weighted lexicons (insults, threats, legal threats, repeated
//     contact, exasperation; urgency words) plus capitals and runs of exclamation marks.
//
// A Classifier is immutable and safe for concurrent use; it allocates little per message
// (its buffers come from a pool).
package classify

import (
	"compress/gzip"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/frontdeskhq/frontdesk/router/explain"
	"github.com/frontdeskhq/frontdesk/router/rules"
)

// DefaultCategories are the categories of a desk that configures none.
var DefaultCategories = []string{"information", "appointment", "order", "billing", "complaint", "spam", "other"}

// Languages the classifier tells apart.
var Languages = []string{"fr", "en", "other"}

// Tensions are the tension levels, calmest first.
var Tensions = []string{Calm, Tense, Aggressive}

// Urgencies are the urgency levels, least urgent first.
var Urgencies = []string{UrgencyNormal, UrgencyHigh, UrgencyCritical}

// Config is the classifier part of the router configuration.
type Config struct {
	// Categories lists the categories; the model must have been trained on all of them
	// that no rule provides.
	Categories []string `yaml:"categories"`
	// Rules decide the category before the model, in order.
	Rules []CategoryRule `yaml:"rules"`
	// Model is the file of a retrained model (frontdesk classify --retrain), relative to
	// the data folder; when it does not exist the model is trained at start from the
	// embedded dataset.
	Model string `yaml:"model"`
}

// DefaultModelFile is where a retrained model is kept in the data folder.
const DefaultModelFile = "classifier.model"

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if len(c.Categories) == 0 {
		c.Categories = slices.Clone(DefaultCategories)
	}
	if c.Model == "" {
		c.Model = DefaultModelFile
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	seen := map[string]bool{}
	for _, cat := range c.Categories {
		if cat == "" || strings.ToLower(cat) != cat || strings.ContainsAny(cat, " \t,") {
			return fmt.Errorf("router.classifier.categories: %q must be a lower-case word", cat)
		}
		if seen[cat] {
			return fmt.Errorf("router.classifier.categories: %q appears twice", cat)
		}
		seen[cat] = true
	}
	_, err := compileCategoryRules(c.Rules, c.Categories)
	return err
}

// CategoryRule sets the category of the messages it matches. Only conditions known before
// classification may be used: channel, mailbox, sender_domain, keywords, regex.
type CategoryRule struct {
	Name     string          `yaml:"name"`
	Category string          `yaml:"category"`
	When     rules.Condition `yaml:"when"`
}

func compileCategoryRules(crs []CategoryRule, categories []string) (*rules.Set, error) {
	rs := make([]rules.Rule, len(crs))
	for i, cr := range crs {
		w := cr.When
		if len(w.Category) > 0 || len(w.Language) > 0 || len(w.Tension) > 0 || len(w.Urgency) > 0 ||
			w.OfficeHours != "" || w.VIP != nil || w.Accessibility != nil || len(w.ContactLanguage) > 0 {
			return nil, fmt.Errorf("router.classifier.rules[%d] (%s): only channel, mailbox, sender_domain, keywords and regex may be tested", i, cr.Name)
		}
		if !slices.Contains(categories, cr.Category) {
			return nil, fmt.Errorf("router.classifier.rules[%d] (%s): category %q is not one of %s", i, cr.Name, cr.Category, strings.Join(categories, ", "))
		}
		// The category travels in the rule's team field; these rules are never routing rules.
		rs[i] = rules.Rule{Name: cr.Name, When: w, Then: rules.Action{Team: cr.Category}}
	}
	set, err := rules.Compile(rs, rules.Options{})
	if err != nil {
		return nil, fmt.Errorf("router.classifier.rules: %w", err)
	}
	return set, nil
}

// Model is a trained model: what Train produces, Save writes and LoadModel reads.
type Model struct {
	Version   int
	Algorithm string
	// Categories the category model knows.
	Categories []string
	Category   *linear
	Language   *linear
	// Temperature calibrates category confidences.
	Temperature float64
	TrainedAt   time.Time
	Samples     int
}

// modelVersion changes when features or the file format change: an older file is
// refused (retrain) rather than misread.
const modelVersion = 1

// Algorithms of the category model.
const (
	Logistic = "logistic"
	Bayes    = "bayes"
)

// TrainOptions tune Train.
type TrainOptions struct {
	// Algorithm is Logistic (the default) or Bayes.
	Algorithm string
	// Now stamps the model (tests pass a fixed time).
	Now time.Time
}

// Train fits a model on samples, every one of which must carry valid labels.
func Train(samples []Sample, categories []string, o TrainOptions) (*Model, error) {
	if o.Algorithm == "" {
		o.Algorithm = Logistic
	}
	if o.Algorithm != Logistic && o.Algorithm != Bayes {
		return nil, fmt.Errorf("classify: train: unknown algorithm %q", o.Algorithm)
	}
	if len(samples) == 0 {
		return nil, errors.New("classify: train: no samples")
	}
	catIdx := index(categories)
	langIdx := index(Languages)
	var cats, langs []example
	sc := &scratch{}
	for i, s := range samples {
		if err := s.check(categories); err != nil {
			return nil, fmt.Errorf("classify: train: sample %d: %w", i+1, err)
		}
		tokenize(sc, s.Subject, s.Text)
		f := categoryFeatures(nil, &sc.subject, &sc.body, s.Channel, s.Text)
		cats = append(cats, example{feats: dedupe(f), class: catIdx[s.Category]})
		f, sc.padded = languageFeatures(nil, &sc.subject, &sc.body, sc.padded)
		langs = append(langs, example{feats: dedupe(f), class: langIdx[s.Language]})
	}
	m := &Model{Version: modelVersion, Algorithm: o.Algorithm, Categories: slices.Clone(categories),
		TrainedAt: o.Now, Samples: len(samples)}
	if o.Algorithm == Bayes {
		m.Category = trainBayes(m.Categories, cats, 0.1)
		m.Temperature = 8
	} else {
		m.Category = trainLogistic(m.Categories, cats, lrParams{epochs: 40, rate: 0.5, l2: 1e-5, seed: 1})
		m.Temperature = 1
	}
	m.Language = trainBayes(slices.Clone(Languages), langs, 0.05)
	return m, nil
}

func index(list []string) map[string]int {
	m := make(map[string]int, len(list))
	for i, v := range list {
		m[v] = i
	}
	return m
}

// Save writes m (gzip-compressed gob).
func (m *Model) Save(w io.Writer) error {
	zw := gzip.NewWriter(w)
	if err := gob.NewEncoder(zw).Encode(m); err != nil {
		return fmt.Errorf("classify: save model: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("classify: save model: %w", err)
	}
	return nil
}

// ErrModel is wrapped by errors about a model file that cannot be used.
var ErrModel = errors.New("classify: unusable model")

// LoadModel reads a model written by Save.
func LoadModel(r io.Reader) (*Model, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	var m Model
	if err := gob.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if m.Version != modelVersion {
		return nil, fmt.Errorf("%w: version %d, this build reads version %d: retrain it", ErrModel, m.Version, modelVersion)
	}
	if m.Category == nil || m.Language == nil || len(m.Category.Classes) == 0 ||
		len(m.Category.W) != len(m.Category.Index)*len(m.Category.Classes) ||
		len(m.Language.W) != len(m.Language.Index)*len(m.Language.Classes) {
		return nil, fmt.Errorf("%w: inconsistent content", ErrModel)
	}
	return &m, nil
}

// Input is a message to classify.
type Input struct {
	Subject, Text string
	Channel       string
	Mailbox       string
	// Sender is the sender's address, for sender-domain rules.
	Sender string
	// LanguageHint is the contact's known language, used when the text is too short.
	LanguageHint string
}

// Result is the classification of a message.
type Result struct {
	Category           string  `json:"category"`
	CategoryConfidence float64 `json:"category_confidence"`
	// CategoryRule names the rule that decided the category, if one did.
	CategoryRule       string      `json:"category_rule,omitempty"`
	Language           string      `json:"language"`
	LanguageConfidence float64     `json:"language_confidence"`
	Tension            string      `json:"tension"`
	Urgency            string      `json:"urgency"`
	Explanation        Explanation `json:"explanation"`
}

// Explanation says, per field, what decided it. Codes and arguments:
//   - category: category.rule {category, rule}; category.model {category, confidence,
//     words} (the words of the message that weighed most); category.guess {category,
//     confidence} (no word weighed);
//   - language: language.model {language, confidence}; language.script {language};
//     language.hint {language} and language.default {language} (text too short);
//   - tension: tension.signals {tension, signals}; tension.none {tension};
//   - urgency: urgency.signals {urgency, signals}; urgency.none {urgency}.
//
// Signals are insult, violence, contempt, legal_threat, repeated_contact, waiting,
// exasperation, capitals, exclamation (tension), critical_words and high_words
// (urgency).
type Explanation struct {
	Category explain.Reason `json:"category"`
	Language explain.Reason `json:"language"`
	Tension  explain.Reason `json:"tension"`
	Urgency  explain.Reason `json:"urgency"`
}

// String joins the explanation into one line, in English.
func (e Explanation) String() string {
	return strings.Join([]string{e.Category.String(), e.Language.String(), e.Tension.String(), e.Urgency.String()}, "; ")
}

// Classifier classifies messages with a model and configured rules.
type Classifier struct {
	model      *Model
	categories []string
	rules      *rules.Set
	pool       sync.Pool
}

// New returns a classifier using m and the rules of cfg. Every category of cfg must be
// known to the model or set by a rule.
func New(cfg Config, m *Model) (*Classifier, error) {
	cfg = cfg.WithDefaults()
	set, err := compileCategoryRules(cfg.Rules, cfg.Categories)
	if err != nil {
		return nil, err
	}
	for _, cat := range m.Categories {
		if !slices.Contains(cfg.Categories, cat) {
			return nil, fmt.Errorf("classify: the model knows category %q, which is not configured: retrain it", cat)
		}
	}
	c := &Classifier{model: m, categories: cfg.Categories, rules: set}
	c.pool.New = func() any { return &scratch{} }
	return c, nil
}

// Model returns the classifier's model.
func (c *Classifier) Model() *Model { return c.model }

func tokenize(sc *scratch, subject, text string) {
	sc.subject.Reset()
	sc.subject.Add(subject)
	sc.body.Reset()
	sc.body.Add(text)
}

// Classify classifies one message.
func (c *Classifier) Classify(in Input) Result {
	sc := c.pool.Get().(*scratch)
	defer c.pool.Put(sc)
	tokenize(sc, in.Subject, in.Text)
	var r Result

	// Category: rules, then the model.
	d := c.rules.Evaluate(rules.Message{Subject: in.Subject, Text: in.Text, Channel: in.Channel, Mailbox: in.Mailbox, Sender: in.Sender})
	if len(d.Rules) > 0 {
		r.Category, r.CategoryConfidence, r.CategoryRule = d.Team, 1, d.Rules[0]
		r.Explanation.Category = explain.New("category.rule", "category", r.Category, "rule", r.CategoryRule)
	} else {
		sc.feats = categoryFeatures(sc.feats[:0], &sc.subject, &sc.body, in.Channel, in.Text)
		sc.feats = dedupe(sc.feats)
		m := c.model.Category
		sc.scores = m.scores(sc.feats, grow(sc.scores, len(m.Classes)))
		top, conf := best(sc.scores, c.model.Temperature)
		r.Category, r.CategoryConfidence = m.Classes[top], round2(conf)
		if words := c.topWords(sc, top); len(words) > 0 {
			r.Explanation.Category = explain.New("category.model", "category", r.Category, "confidence", r.CategoryConfidence, "words", words)
		} else {
			r.Explanation.Category = explain.New("category.guess", "category", r.Category, "confidence", r.CategoryConfidence)
		}
	}

	r.Language, r.LanguageConfidence, r.Explanation.Language = c.language(sc, in.LanguageHint)

	var why []string
	r.Tension, why = tension(in.Subject, in.Text)
	if len(why) == 0 {
		r.Explanation.Tension = explain.New("tension.none", "tension", r.Tension)
	} else {
		r.Explanation.Tension = explain.New("tension.signals", "tension", r.Tension, "signals", why)
	}
	r.Urgency, why = urgency(in.Subject, in.Text)
	if len(why) == 0 {
		r.Explanation.Urgency = explain.New("urgency.none", "urgency", r.Urgency)
	} else {
		r.Explanation.Urgency = explain.New("urgency.signals", "urgency", r.Urgency, "signals", why)
	}
	return r
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// topWords lists the words of the message that weighed most for class top, at most
// three, heaviest first.
func (c *Classifier) topWords(sc *scratch, top int) []string {
	type wordWeight struct {
		word string
		w    float64
	}
	var best [3]wordWeight
	consider := func(w []byte, h uint64) {
		v, ok := c.model.Category.weight(h, top)
		if !ok || v <= best[2].w {
			return
		}
		for _, b := range best {
			if b.word == string(w) {
				return
			}
		}
		best[2] = wordWeight{string(w), v}
		sort.Slice(best[:], func(i, j int) bool { return best[i].w > best[j].w })
	}
	for _, toks := range []*rules.Tokens{&sc.subject, &sc.body} {
		for i := range toks.Len() {
			w := toks.At(i)
			if isStopword(w) || len(w) < 2 {
				continue
			}
			consider(w, hashAdd(hashStart(nsWord), w))
			if toks == &sc.subject {
				consider(w, hashAdd(hashStart(nsSubject), w))
			}
		}
	}
	var words []string
	for _, b := range best {
		if b.word != "" {
			words = append(words, b.word)
		}
	}
	return words
}

// minLanguageTokens is how many words a text needs before the model's guess beats the
// contact's known language.
const minLanguageTokens = 3

// language identifies the language of the tokens in sc.
func (c *Classifier) language(sc *scratch, hint string) (string, float64, explain.Reason) {
	n := sc.subject.Len() + sc.body.Len()
	if latin, other := scripts(sc); other > latin {
		return "other", 1, explain.New("language.script", "language", "other")
	}
	if n < minLanguageTokens {
		switch hint {
		case "fr", "en":
			return hint, 0.5, explain.New("language.hint", "language", hint)
		case "":
			return "fr", 0.5, explain.New("language.default", "language", "fr")
		default:
			return "other", 0.5, explain.New("language.hint", "language", "other")
		}
	}
	sc.lang, sc.padded = languageFeatures(sc.lang[:0], &sc.subject, &sc.body, sc.padded)
	sc.lang = dedupe(sc.lang)
	m := c.model.Language
	s := m.scores(sc.lang, grow(sc.scores, len(m.Classes)))
	top, conf := best(s, float64(max(1, len(sc.lang)/4)))
	lang := m.Classes[top]
	return lang, round2(conf), explain.New("language.model", "language", lang, "confidence", round2(conf))
}

// scripts counts letters of the Latin script and of others in the tokens.
func scripts(sc *scratch) (latin, other int) {
	for _, toks := range []*rules.Tokens{&sc.subject, &sc.body} {
		for i := range toks.Len() {
			for _, r := range string(toks.At(i)) {
				switch {
				case r < 0x250:
					if unicode.IsLetter(r) {
						latin++
					}
				case unicode.IsLetter(r):
					other++
				}
			}
		}
	}
	return latin, other
}
