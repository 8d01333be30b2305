package search

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Property-based tests of the search: a deterministic corpus of messages in French,
// English and German (several teams, statuses, channels, tags, agents' replies and
// private notes), and queries generated from fixed seeds, checked against invariants
// that hold whatever the query: a word found nowhere finds nothing, a clause more never
// finds more, a word and its exclusion split what the user may see, an agent finds no
// more than a supervisor, pages add up to the total whatever the order, and every
// search finds what a model of the query language, evaluated on the documents, finds.
//
// The bug these were written for: a one-word query whose word was in no document found
// every document (bleve's boolean query drops a must clause that matches nothing).
//
// Bugs they found, whose checks fail until they are fixed:
//   - sorted by date (and in exports, and in exclusions, which are sorted by date when
//     the query has no other word), a word of several terms (wi-fi), a phone number
//     that begins several numbers (06 12 34 56) and a name typed in several parts
//     (amandine.dup, from:"amandine dupont") find nothing, and excluded exclude
//     nothing (SameHitsInEveryOrder, Model): without scores, bleve runs conjunctions
//     and disjunctions of terms as bitmaps whose searcher counts 0, and anyQuery drops
//     the searchers that count 0;
//   - a quoted phrase is not found in subjects or contact names, and subject:"…" finds
//     nothing (PhrasesInSubjectsAndNames, Model): those fields keep no term vectors,
//     which phrases need;
//   - a hit's time is its message's time cut to the second (PagesAddUpInEveryOrder):
//     bleve gives stored dates back in RFC 3339 without the fraction.

// propCorpus is the corpus, its users and what the queries are made of.
type propCorpus struct {
	e     *env
	teams []propTeam
	// agents: one team, two teams, no team.
	agentA, agentB, loner inbox.User
	users                 []inbox.User
	docs                  []*propDoc // by message id
	byID                  map[int64]*propDoc
	// memo holds the hits of the searches made by hits, by user and query, until the
	// corpus changes.
	memo     map[string][]int64
	contacts []int64
	// What queries are made of.
	words  []string // content words of the texts and subjects
	pairs  []string // two words side by side in some text (phrases)
	names  []string // parts of contact names and addresses, some typed in part
	phones []string // phone numbers typed in part, as digit groups or one word
	days   []time.Time
	// analyzers by name, with positions (phrases)
	tokens map[string]func(string) []propToken
}

type propTeam struct {
	slug string
	id   int64
}

type propToken struct {
	term string
	pos  int
}

// propDoc is one message as the model sees it: the store's records and the terms of
// its document.
type propDoc struct {
	id      int64
	msg     inbox.Message
	conv    inbox.Conversation
	contact inbox.Contact
	doc     Document
	lang    string // analysis language: fr, en or other
	// Terms of the text and subject fields, in the message's analysis language.
	text, subject []propToken
	name          []propToken // contact names (plain analyzer)
	parts         []string    // name words and address parts (prefix field, before prefixes)
	emails        []string
	phones        []string
	facets        []string // "field=value"
}

var (
	propFrenchWords  = []string{"passeport", "facture", "cantine", "mariage", "poubelle", "stationnement", "piscine", "naissance", "bibliothèque", "rendez-vous"}
	propEnglishWords = []string{"invoice", "passport", "garbage", "parking", "swimming", "wedding", "library", "refund", "ticket", "wi-fi"}
	propStopWords    = []string{"le", "la", "les", "the", "and", "vous", "with", "pour"}
	propTags         = []string{"urgent", "rgpd", "vip"}
	propStatuses     = []inbox.Status{inbox.StatusOpen, inbox.StatusPending, inbox.StatusResolved}
	propChannels     = []string{channels.Email, channels.SMS, channels.Webchat}
	propLanguages    = []string{"fr", "en", "de"}
	propKinds        = []string{"in", "out", "note"}
)

// propPerson is a contact: who writes, on which channel, in which language.
type propPerson struct {
	name, from, channel, lang string
}

var propPeople = []propPerson{
	{"Amandine Dupont", "amandine.dupont@example.org", channels.Email, "fr"},
	{"Bruno Lemoine", "bruno.lemoine@example.org", channels.Email, "fr"},
	{"Chloé Nguyen", "chloe.nguyen@example.org", channels.Email, "fr"},
	{"Damien Okafor", "d.okafor@example.org", channels.Email, "en"},
	{"Élodie Schmitt", "elodie.schmitt@example.org", channels.Email, "de"},
	{"Hugo Moreau", "hugo.moreau@example.org", channels.Webchat, "en"},
	{"Fabrice Rossi", "+33612345601", channels.SMS, "fr"},
	{"", "+33612345602", channels.SMS, "fr"},
	{"Gaëlle Garnier", "+33612345713", channels.SMS, "en"},
	{"Jade Dupuis", "jade.dupuis@example.org", channels.Email, "en"},
}

// newPropCorpus builds the corpus from a fixed seed and indexes it.
func newPropCorpus(t *testing.T) *propCorpus {
	t.Helper()
	ctx := context.Background()
	e := newEnv(t)
	c := &propCorpus{e: e, byID: map[int64]*propDoc{}, memo: map[string][]int64{}}
	for _, s := range []string{"accueil", "etat-civil", "urbanisme"} {
		c.teams = append(c.teams, propTeam{s, e.team(s)})
	}
	c.agentA = e.user("camille@desk.fr", inbox.RoleAgent, c.teams[0].id)
	c.agentB = e.user("yanis@desk.fr", inbox.RoleAgent, c.teams[1].id, c.teams[2].id)
	c.loner = e.user("zoe@desk.fr", inbox.RoleAgent)
	c.users = []inbox.User{e.super, e.admin, c.agentA, c.agentB, c.loner}
	c.tokens = map[string]func(string) []propToken{}
	for _, a := range []string{AnalyzerFrench, AnalyzerEnglish, AnalyzerPlain} {
		an := e.idx.bi.Mapping().AnalyzerNamed(a)
		if an == nil {
			t.Fatalf("no analyzer %s", a)
		}
		c.tokens[a] = func(s string) []propToken {
			var out []propToken
			for _, tk := range an.Analyze([]byte(s)) {
				out = append(out, propToken{string(tk.Term), tk.Position})
			}
			return out
		}
	}
	c.words = slices.Concat(propFrenchWords, propEnglishWords)
	c.checkVocabulary(t)

	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC)
	for i := range 12 {
		c.days = append(c.days, base.AddDate(0, 0, 7*i))
	}
	pairs := map[string]bool{}
	// text writes a message in lang with 1 to 3 content words; two of them are
	// sometimes side by side (phrases).
	text := func(lang string) string {
		vocab := propFrenchWords
		start, fillers := "je", []string{"et le", "pour la", "avec les", "de la"}
		switch lang {
		case "en":
			vocab, start, fillers = propEnglishWords, "i have", []string{"and the", "for my", "with the", "of the"}
		case "de":
			vocab, start, fillers = c.words, "", nil
		}
		pick := func() string {
			if r.IntN(7) == 0 {
				return c.words[r.IntN(len(c.words))] // a word of the other language
			}
			return vocab[r.IntN(len(vocab))]
		}
		parts := []string{start}
		n := 1 + r.IntN(3)
		prev := ""
		for i := range n {
			w := pick()
			if i > 0 {
				if fillers != nil && r.IntN(3) != 0 {
					parts = append(parts, fillers[r.IntN(len(fillers))])
				} else if prev != w {
					pairs[prev+" "+w] = true
				}
			}
			if r.IntN(4) == 0 {
				w = strings.ToUpper(w[:1]) + w[1:] // capitals change nothing
			}
			parts = append(parts, w)
			prev = strings.ToLower(w)
		}
		return strings.TrimSpace(strings.Join(parts, " ")) + "."
	}
	subject := func(lang string) string {
		if r.IntN(3) == 0 {
			return ""
		}
		vocab := propFrenchWords
		if lang == "en" {
			vocab = propEnglishWords
		}
		s := vocab[r.IntN(len(vocab))]
		if r.IntN(2) == 0 {
			s += " " + c.words[r.IntN(len(c.words))]
		}
		return strings.ToUpper(s[:1]) + s[1:]
	}
	// A few times shared by several messages, so that the date orders meet ties.
	at := func() time.Time {
		return c.days[r.IntN(len(c.days))].Add(time.Duration(r.IntN(3)) * time.Hour)
	}
	var convs []int64
	seen := map[int64]bool{}
	for i := range 18 {
		p := propPeople[r.IntN(len(propPeople))]
		thread := fmt.Sprintf("fil-%d", i)
		var conv int64
		for k := range 1 + r.IntN(3) {
			m := msg{channel: p.channel, from: p.from, name: p.name, text: text(p.lang), lang: p.lang, thread: thread, at: at()}
			if p.channel == channels.Email && (k == 0 || r.IntN(3) == 0) {
				m.subject = subject(p.lang)
			}
			res := e.ingest(m)
			conv = res.ConversationID
			if !seen[res.ContactID] {
				seen[res.ContactID] = true
				c.contacts = append(c.contacts, res.ContactID)
			}
		}
		convs = append(convs, conv)
		for range r.IntN(3) {
			e.reply(e.super, conv, text(p.lang), r.IntN(2) == 0)
		}
		var p2 inbox.Patch
		if n := r.IntN(len(c.teams) + 1); n > 0 {
			p2.TeamID = ptr(c.teams[n-1].id)
		}
		switch r.IntN(5) {
		case 1:
			p2.AssigneeID = ptr(c.agentA.ID)
		case 2:
			p2.AssigneeID = ptr(c.agentB.ID)
		case 3:
			p2.AssigneeID = ptr(c.loner.ID)
		}
		p2.Status = ptr(propStatuses[r.IntN(len(propStatuses))])
		var tags []string
		for _, tg := range propTags {
			if r.IntN(3) == 0 {
				tags = append(tags, tg)
			}
		}
		p2.Tags = &tags
		e.patch(conv, p2)
	}
	e.indexAll()

	// The model: every message of every conversation, as the store has it, with the
	// terms of its document.
	for _, id := range convs {
		conv, err := e.store.Conversation(ctx, id)
		if err != nil {
			t.Fatalf("Conversation(%d) = %v", id, err)
		}
		ct, err := e.store.Contact(ctx, conv.ContactID)
		if err != nil {
			t.Fatalf("Contact(%d) = %v", conv.ContactID, err)
		}
		msgs, err := e.store.Messages(ctx, id)
		if err != nil {
			t.Fatalf("Messages(%d) = %v", id, err)
		}
		for _, m := range msgs {
			c.addDoc(m, conv, ct)
		}
	}
	slices.SortFunc(c.docs, func(a, b *propDoc) int { return int(a.id - b.id) })
	c.pairs = slices.Sorted(maps.Keys(pairs))
	nameParts := map[string]bool{}
	for _, d := range c.docs {
		for _, p := range d.parts {
			nameParts[p] = true
		}
	}
	for _, p := range slices.Sorted(maps.Keys(nameParts)) {
		c.names = append(c.names, p)
		if len(p) > 3 {
			c.names = append(c.names, p[:3]) // typed in part
		}
	}
	c.phones = []string{"06 12 34 56", "06 12 34 56 01", "+33 6 12 34 57", "06.12.34.56.02", "+33612345713", "612345"}
	return c
}

// checkVocabulary makes sure the model may compare words by their terms: no content
// word is a stop word or shares a term with another in any analyzer, and every stop
// word is one.
func (c *propCorpus) checkVocabulary(t *testing.T) {
	t.Helper()
	owner := map[string]string{}
	for _, w := range c.words {
		if c.e.idx.stopWord(w) {
			t.Fatalf("corpus: %q is a stop word", w)
		}
		for _, a := range []string{AnalyzerFrench, AnalyzerEnglish, AnalyzerPlain} {
			for _, tk := range c.tokens[a](w) {
				k := a + "/" + tk.term
				if o, ok := owner[k]; ok && o != w {
					t.Fatalf("corpus: %q and %q share the term %s", o, w, k)
				}
				owner[k] = w
			}
		}
	}
	for _, w := range propStopWords {
		if !c.e.idx.stopWord(w) {
			t.Fatalf("corpus: %q is not a stop word", w)
		}
	}
}

func (c *propCorpus) addDoc(m inbox.Message, conv inbox.Conversation, ct inbox.Contact) {
	doc := NewDocument(m, conv, ct, "33")
	d := &propDoc{id: m.ID, msg: m, conv: conv, contact: ct, doc: doc, lang: doc[fieldTextLang].(string)}
	a := langAnalyzers[d.lang]
	if s, ok := doc[textFields[d.lang]].(string); ok {
		d.text = c.tokens[a](s)
	}
	if s, ok := doc[subjectFields[d.lang]].(string); ok {
		d.subject = c.tokens[a](s)
	}
	if s, ok := doc[fieldName].(string); ok {
		d.name = c.tokens[AnalyzerPlain](s)
	}
	if s, ok := doc[fieldPrefix].(string); ok {
		for _, tk := range c.tokens[AnalyzerPlain](s) {
			d.parts = append(d.parts, tk.term)
		}
	}
	d.emails, _ = doc[fieldEmail].([]string)
	d.phones, _ = doc[fieldPhone].([]string)
	d.facets, _ = doc[fieldFacet].([]string)
	c.docs = append(c.docs, d)
	c.byID[d.id] = d
}

// The model of the query language, evaluated on one document.

func propTerms(ts []propToken) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.term
	}
	return out
}

// propAllIn reports whether every term of want is among have (and want has one at least).
func propAllIn(want []string, have []propToken) bool {
	if len(want) == 0 {
		return false
	}
	for _, w := range want {
		if !slices.ContainsFunc(have, func(t propToken) bool { return t.term == w }) {
			return false
		}
	}
	return true
}

// propPhraseIn reports whether the phrase (its tokens, with the gaps of the stop words
// removed) is in have at consecutive positions.
func propPhraseIn(phrase, have []propToken) bool {
	if len(phrase) == 0 {
		return false
	}
	at := map[int][]string{}
	for _, t := range have {
		at[t.pos] = append(at[t.pos], t.term)
	}
	first := phrase[0].pos
	for _, start := range have {
		if start.term != phrase[0].term {
			continue
		}
		ok := true
		for _, p := range phrase[1:] {
			if !slices.Contains(at[start.pos+p.pos-first], p.term) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// textMatch: the terms of w (in the document's language) are all in its text, or
// all in its subject.
func (c *propCorpus) textMatch(d *propDoc, w string) bool {
	ts := propTerms(c.tokens[langAnalyzers[d.lang]](w))
	return propAllIn(ts, d.text) || propAllIn(ts, d.subject)
}

// identityMatch: v is the contact's address, the start of their phone number, or
// every word of v begins a word of their names or addresses.
func (c *propCorpus) identityMatch(d *propDoc, v string, phone bool) bool {
	if phone {
		if p := phoneDigits(v); len(p) >= 3 && slices.ContainsFunc(d.phones, func(s string) bool { return strings.HasPrefix(s, p) }) {
			return true
		}
	}
	if strings.Contains(v, "@") && slices.Contains(d.emails, strings.ToLower(v)) {
		return true
	}
	words := c.tokens[AnalyzerPlain](splitAlnum(v))
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		p := w.term
		if r := []rune(p); len(r) > prefixMax {
			p = string(r[:prefixMax])
		}
		if !slices.ContainsFunc(d.parts, func(s string) bool { return strings.HasPrefix(s, p) }) {
			return false
		}
	}
	return true
}

// stop reports whether w is a stop word of French or English (dropped from queries).
func (c *propCorpus) stop(w string) bool {
	return len(c.tokens[AnalyzerFrench](w)) == 0 || len(c.tokens[AnalyzerEnglish](w)) == 0
}

func (c *propCorpus) wordMatch(d *propDoc, w string, phone bool) bool {
	return c.textMatch(d, w) || c.identityMatch(d, w, phone)
}

func (c *propCorpus) phraseMatch(d *propDoc, p string) bool {
	ph := c.tokens[langAnalyzers[d.lang]](p)
	return propPhraseIn(ph, d.text) || propPhraseIn(ph, d.subject) || propPhraseIn(c.tokens[AnalyzerPlain](p), d.name)
}

// propClause is one generated clause of a query, with its meaning.
type propClause struct {
	text string // as typed
	neg  bool
	// free: a word, phrase or phone number (not a field:value); stop: a stop word,
	// which selects nothing either way.
	free, stop bool
	// absent: a word (phrase, sender…) found in no document.
	absent bool
	// match says whether a document matches the clause, negation aside.
	match func(d *propDoc, u inbox.User) bool
}

// propQuery is a generated query: clauses and filters.
type propQuery struct {
	clauses []propClause
	f       Filters
}

func (q propQuery) String() string {
	parts := make([]string, len(q.clauses))
	for i, cl := range q.clauses {
		parts[i] = cl.text
	}
	return strings.Join(parts, " ")
}

func (q propQuery) request() Request { return Request{Query: q.String(), Filters: q.f} }

func (q propQuery) with(cl ...propClause) propQuery {
	return propQuery{clauses: slices.Concat(q.clauses, cl), f: q.f}
}

// onlyStopWords: the query looks for words and all of them are stop words, so it
// finds nothing (docs/search.md).
func (q propQuery) onlyStopWords() bool {
	had, kept := false, false
	for _, cl := range q.clauses {
		if cl.free && !cl.neg {
			had = true
			kept = kept || !cl.stop
		}
	}
	return had && !kept
}

func propNegate(cl propClause) propClause {
	cl.neg = !cl.neg
	if cl.neg {
		cl.text = "-" + cl.text
	} else {
		cl.text = strings.TrimPrefix(cl.text, "-")
	}
	return cl
}

// want is the model's answer: the message ids u finds with q, in id order.
func (c *propCorpus) want(u inbox.User, q propQuery) []int64 {
	out := []int64{}
	if q.onlyStopWords() {
		return out
	}
	for _, d := range c.docs {
		if !inbox.CanSee(u, d.conv) || !c.filtersMatch(d, q.f) {
			continue
		}
		ok := true
		for _, cl := range q.clauses {
			if cl.stop {
				continue
			}
			if cl.match(d, u) == cl.neg {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, d.id)
		}
	}
	return out
}

// filtersMatch: the structured filters, ANDed, each a list of alternatives.
func (c *propCorpus) filtersMatch(d *propDoc, f Filters) bool {
	in := func(vs []string, v string) bool {
		return len(vs) == 0 || slices.ContainsFunc(vs, func(s string) bool { return strings.EqualFold(s, v) })
	}
	ids := func(vs []int64, none bool, v int64) bool {
		return (len(vs) == 0 && !none) || slices.Contains(vs, v) || (none && v == 0)
	}
	anyTag := len(f.Tags) == 0
	for _, tg := range d.conv.Tags {
		anyTag = anyTag || in(f.Tags, tg)
	}
	return in(f.Channels, d.conv.Channel) && in(f.Statuses, string(d.conv.Status)) && in(f.Kinds, string(d.msg.Kind)) &&
		in(f.Languages, languageValue(d.conv.Language)) && in(f.Categories, orNone(d.conv.Category)) && anyTag &&
		ids(f.TeamIDs, f.NoTeam, d.conv.TeamID) && ids(f.AssigneeIDs, f.Unassigned, d.conv.AssigneeID) &&
		ids(f.ContactIDs, false, d.conv.ContactID) &&
		(f.From.IsZero() || !d.msg.CreatedAt.Before(f.From)) && (f.To.IsZero() || d.msg.CreatedAt.Before(f.To))
}

// Clause generators.

// word: a free word, looked for in the text and subject and as a contact (wordQuery).
func (c *propCorpus) word(w string) propClause {
	return propClause{text: w, free: true, stop: c.stop(w), match: func(d *propDoc, _ inbox.User) bool { return c.wordMatch(d, w, false) }}
}

// phrase: a quoted phrase, in the text, the subject and the contact's names.
func (c *propCorpus) phrase(p string) propClause {
	return propClause{text: `"` + p + `"`, free: true, match: func(d *propDoc, _ inbox.User) bool { return c.phraseMatch(d, p) }}
}

// phone: a phone number as typed; digit groups are also the same numbers as words.
func (c *propCorpus) phone(v string) propClause {
	cl := propClause{text: v, free: true}
	if strings.Contains(v, " ") {
		cl.match = func(d *propDoc, _ inbox.User) bool {
			all := false
			for _, g := range strings.Fields(v) {
				if c.stop(g) {
					continue
				}
				if !c.wordMatch(d, g, false) {
					all = false
					break
				}
				all = true
			}
			return all || c.identityMatch(d, v, true)
		}
	} else {
		cl.match = func(d *propDoc, _ inbox.User) bool { return c.wordMatch(d, v, true) }
	}
	return cl
}

// subject: subject:w, or subject:"w" (a phrase).
func (c *propCorpus) subject(w string, phrase bool) propClause {
	if phrase {
		return propClause{text: `subject:"` + w + `"`, match: func(d *propDoc, _ inbox.User) bool {
			return propPhraseIn(c.tokens[langAnalyzers[d.lang]](w), d.subject)
		}}
	}
	return propClause{text: "subject:" + w, match: func(d *propDoc, _ inbox.User) bool {
		return propAllIn(propTerms(c.tokens[langAnalyzers[d.lang]](w)), d.subject)
	}}
}

// from: from:v, the contact's name, address or phone number only.
func (c *propCorpus) from(v string) propClause {
	text := "from:" + v
	if strings.Contains(v, " ") {
		text = `from:"` + v + `"`
	}
	return propClause{text: text, match: func(d *propDoc, _ inbox.User) bool {
		return c.identityMatch(d, v, isPhoneWord(strings.ReplaceAll(v, " ", "")))
	}}
}

// propAbsentWord is a word of letters no word of the corpus has (nor begins with).
func propAbsentWord(r *rand.Rand) string {
	const letters = "qxzjkw"
	b := []byte("qz")
	for range 3 + r.IntN(4) {
		b = append(b, letters[r.IntN(len(letters))])
	}
	return string(b)
}

// absentClause is a clause of any shape with a word found nowhere.
func (c *propCorpus) absentClause(r *rand.Rand) propClause {
	w := propAbsentWord(r)
	var cl propClause
	switch r.IntN(6) {
	case 0, 1:
		cl = c.word(w)
	case 2:
		cl = c.phrase(w)
	case 3:
		cl = c.phrase(c.words[r.IntN(len(c.words))] + " " + w)
	case 4:
		cl = c.subject(w, false)
	default:
		cl = c.from(w)
	}
	cl.absent = true
	return cl
}

// propField is a field:value clause.
func propField(text string, match func(d *propDoc, u inbox.User) bool) propClause {
	return propClause{text: text, match: match}
}

// clause generates a clause of any kind, never negated.
func (c *propCorpus) clause(r *rand.Rand) propClause {
	switch n := r.IntN(100); {
	case n < 34:
		w := c.words[r.IntN(len(c.words))]
		switch r.IntN(6) {
		case 0:
			w = strings.ToUpper(w)
		case 1:
			w = propFold(w)
		}
		return c.word(w)
	case n < 40:
		return c.word(c.names[r.IntN(len(c.names))])
	case n < 47:
		return c.absentClause(r)
	case n < 51:
		return c.word(propStopWords[r.IntN(len(propStopWords))])
	case n < 55:
		return c.phrase(c.words[r.IntN(len(c.words))])
	case n < 59:
		return c.phrase(c.pairs[r.IntN(len(c.pairs))])
	case n < 64:
		return c.subject(c.words[r.IntN(len(c.words))], r.IntN(3) == 0)
	case n < 68:
		p := c.names[r.IntN(len(c.names))]
		if r.IntN(3) == 0 {
			p += " " + c.names[r.IntN(len(c.names))]
		}
		return c.from(p)
	case n < 71:
		v := propChannels[r.IntN(len(propChannels))]
		return propField("channel:"+v, func(d *propDoc, _ inbox.User) bool { return d.conv.Channel == v })
	case n < 74:
		v := propStatuses[r.IntN(len(propStatuses))]
		return propField("status:"+string(v), func(d *propDoc, _ inbox.User) bool { return d.conv.Status == v })
	case n < 77:
		if r.IntN(4) == 0 {
			return propField("team:none", func(d *propDoc, _ inbox.User) bool { return d.conv.TeamID == 0 })
		}
		tm := c.teams[r.IntN(len(c.teams))]
		return propField("team:"+tm.slug, func(d *propDoc, _ inbox.User) bool { return d.conv.TeamID == tm.id })
	case n < 80:
		v := propTags[r.IntN(len(propTags))]
		return propField("tag:"+v, func(d *propDoc, _ inbox.User) bool { return slices.Contains(d.conv.Tags, v) })
	case n < 83:
		v := propKinds[r.IntN(len(propKinds))]
		return propField("kind:"+v, func(d *propDoc, _ inbox.User) bool { return string(d.msg.Kind) == v })
	case n < 85:
		v := propLanguages[r.IntN(len(propLanguages))]
		return propField("lang:"+v, func(d *propDoc, _ inbox.User) bool { return languageValue(d.conv.Language) == v })
	case n < 88:
		switch r.IntN(3) {
		case 0:
			return propField("assignee:me", func(d *propDoc, u inbox.User) bool { return d.conv.AssigneeID == u.ID })
		case 1:
			return propField("assignee:none", func(d *propDoc, _ inbox.User) bool { return d.conv.AssigneeID == 0 })
		}
		a := []inbox.User{c.agentA, c.agentB, c.loner}[r.IntN(3)]
		return propField("assignee:"+a.Email, func(d *propDoc, _ inbox.User) bool { return d.conv.AssigneeID == a.ID })
	case n < 90:
		id := c.contacts[r.IntN(len(c.contacts))]
		return propField("contact:"+itoa(id), func(d *propDoc, _ inbox.User) bool { return d.conv.ContactID == id })
	case n < 95:
		day := c.days[r.IntN(len(c.days))].Truncate(24 * time.Hour)
		if r.IntN(2) == 0 {
			return propField("before:"+day.Format(time.DateOnly), func(d *propDoc, _ inbox.User) bool { return d.msg.CreatedAt.Before(day) })
		}
		return propField("after:"+day.Format(time.DateOnly), func(d *propDoc, _ inbox.User) bool { return !d.msg.CreatedAt.Before(day) })
	case n < 97:
		return propField("category:none", func(d *propDoc, _ inbox.User) bool { return d.conv.Category == "" })
	default:
		return c.phone(c.phones[r.IntN(len(c.phones))])
	}
}

// propFold removes the accents of w (a query typed without them).
func propFold(w string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case 'é', 'è', 'ê', 'ë':
			return 'e'
		case 'à', 'â':
			return 'a'
		}
		return r
	}, w)
}

// query generates a query of 0 to 4 clauses, some negated (a phone number is never
// negated nor put next to another, which would read as one number), and sometimes
// filters.
func (c *propCorpus) query(r *rand.Rand) propQuery {
	var q propQuery
	phone := false
	for range r.IntN(5) {
		cl := c.clause(r)
		if cl.isPhone() {
			if phone {
				continue
			}
			phone = true
		} else if r.IntN(4) == 0 {
			cl = propNegate(cl)
		}
		q.clauses = append(q.clauses, cl)
	}
	if r.IntN(3) == 0 {
		q.f = c.filters(r)
	}
	return q
}

// filters generates one or two structured filters.
func (c *propCorpus) filters(r *rand.Rand) Filters {
	var f Filters
	for range 1 + r.IntN(2) {
		switch r.IntN(9) {
		case 0:
			f.Channels = append(f.Channels, propChannels[r.IntN(len(propChannels))])
		case 1:
			f.Statuses = append(f.Statuses, string(propStatuses[r.IntN(len(propStatuses))]))
		case 2:
			f.Tags = append(f.Tags, propTags[r.IntN(len(propTags))])
		case 3:
			f.TeamIDs = append(f.TeamIDs, c.teams[r.IntN(len(c.teams))].id)
			f.NoTeam = r.IntN(2) == 0
		case 4:
			f.AssigneeIDs = append(f.AssigneeIDs, []int64{c.agentA.ID, c.agentB.ID, c.loner.ID}[r.IntN(3)])
			f.Unassigned = r.IntN(2) == 0
		case 5:
			f.Kinds = append(f.Kinds, propKinds[r.IntN(len(propKinds))])
		case 6:
			f.Languages = append(f.Languages, propLanguages[r.IntN(len(propLanguages))])
		case 7:
			f.ContactIDs = append(f.ContactIDs, c.contacts[r.IntN(len(c.contacts))])
		default:
			if !f.From.IsZero() || !f.To.IsZero() {
				continue
			}
			i := r.IntN(len(c.days))
			if r.IntN(2) == 0 {
				f.From = c.days[i]
			}
			if j := i + 1 + r.IntN(4); j < len(c.days) && r.IntN(2) == 0 {
				f.To = c.days[j]
			}
		}
	}
	return f
}

// Running searches.

// search runs r as u, failing t on error.
func (c *propCorpus) search(t *testing.T, u inbox.User, r Request) Result {
	t.Helper()
	res, err := c.e.idx.Search(context.Background(), u, r)
	if err != nil {
		t.Fatalf("Search(%q, %+v) as %s = %v", r.Query, r.Filters, u.Email, err)
	}
	return res
}

// all pages through r as u and returns every hit in order, checking what paging
// promises: every page has the first page's total, no hit comes twice, the pages add
// up to the total, a page is full unless it is the last.
func (c *propCorpus) all(t *testing.T, u inbox.User, r Request) []Hit {
	t.Helper()
	var hits []Hit
	seen := map[int64]bool{}
	var total uint64
	for page := 0; ; page++ {
		res := c.search(t, u, r)
		if page == 0 {
			total = res.Total
		} else if res.Total != total {
			t.Fatalf("Search(%q, %+v, sort %s, limit %d) as %s: page %d total %d, first page %d", r.Query, r.Filters, r.Sort, r.Limit, u.Email, page, res.Total, total)
		}
		for _, h := range res.Hits {
			if seen[h.MessageID] {
				t.Fatalf("Search(%q, %+v, sort %s, limit %d) as %s: message %d twice (page %d)", r.Query, r.Filters, r.Sort, r.Limit, u.Email, h.MessageID, page)
			}
			seen[h.MessageID] = true
		}
		hits = append(hits, res.Hits...)
		if res.NextCursor == "" {
			if len(res.Hits) > r.Limit && r.Limit > 0 {
				t.Fatalf("Search(%q): page of %d hits, limit %d", r.Query, len(res.Hits), r.Limit)
			}
			break
		}
		if r.Limit > 0 && len(res.Hits) != r.Limit {
			t.Fatalf("Search(%q, sort %s, limit %d) as %s: page %d has %d hits and a next cursor", r.Query, r.Sort, r.Limit, u.Email, page, len(res.Hits))
		}
		if page > 200 {
			t.Fatalf("Search(%q, sort %s, limit %d): more than 200 pages", r.Query, r.Sort, r.Limit)
		}
		r.Cursor = res.NextCursor
	}
	if uint64(len(hits)) != total {
		t.Fatalf("Search(%q, %+v, sort %s, limit %d) as %s: total %d, %d hits paging through", r.Query, r.Filters, r.Sort, r.Limit, u.Email, total, len(hits))
	}
	return hits
}

// hits returns the message ids u finds with q, in id order (one page of MaxLimit, the
// corpus is smaller).
func (c *propCorpus) hits(t *testing.T, u inbox.User, q propQuery) []int64 {
	t.Helper()
	key := fmt.Sprint(u.ID, " ", q.describe())
	if got, ok := c.memo[key]; ok {
		return got
	}
	r := q.request()
	r.Limit = MaxLimit
	res := c.search(t, u, r)
	if res.NextCursor != "" || int(res.Total) != len(res.Hits) {
		t.Fatalf("Search(%q, %+v) as %s: %d hits of %d on one page of %d", r.Query, r.Filters, u.Email, len(res.Hits), res.Total, MaxLimit)
	}
	got := ids(res)
	slices.Sort(got)
	c.memo[key] = got
	return got
}

// propReporter reports the first errors of a test and then how many more there were: a
// bug found by generated queries is found by many.
type propReporter struct {
	t      *testing.T
	n, max int
}

func propReport(t *testing.T) *propReporter { return &propReporter{t: t, max: 12} }

func (r *propReporter) errorf(format string, args ...any) {
	r.t.Helper()
	if r.n++; r.n <= r.max {
		r.t.Errorf(format, args...)
	}
}

func (r *propReporter) done() {
	if r.n > r.max {
		r.t.Errorf("… and %d more errors like these", r.n-r.max)
	}
}

func propSubset(a, b []int64) bool {
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			return false
		}
	}
	return true
}

func propMinus(a, b []int64) []int64 {
	var out []int64
	for _, x := range a {
		if _, ok := slices.BinarySearch(b, x); !ok {
			out = append(out, x)
		}
	}
	return out
}

func propUnion(a, b []int64) []int64 {
	return slices.Compact(slices.Sorted(slices.Values(slices.Concat(a, b))))
}

// describe writes q as typed, with its filters when it has some.
func (q propQuery) describe() string {
	s := fmt.Sprintf("%q", q.String())
	var f []string
	add := func(name string, v any, set bool) {
		if set {
			f = append(f, fmt.Sprintf("%s=%v", name, v))
		}
	}
	add("channels", q.f.Channels, len(q.f.Channels) > 0)
	add("statuses", q.f.Statuses, len(q.f.Statuses) > 0)
	add("tags", q.f.Tags, len(q.f.Tags) > 0)
	add("teams", q.f.TeamIDs, len(q.f.TeamIDs) > 0)
	add("noteam", q.f.NoTeam, q.f.NoTeam)
	add("assignees", q.f.AssigneeIDs, len(q.f.AssigneeIDs) > 0)
	add("unassigned", q.f.Unassigned, q.f.Unassigned)
	add("kinds", q.f.Kinds, len(q.f.Kinds) > 0)
	add("languages", q.f.Languages, len(q.f.Languages) > 0)
	add("contacts", q.f.ContactIDs, len(q.f.ContactIDs) > 0)
	add("from", q.f.From.Format(time.RFC3339), !q.f.From.IsZero())
	add("to", q.f.To.Format(time.RFC3339), !q.f.To.IsZero())
	if len(f) > 0 {
		s += " {" + strings.Join(f, " ") + "}"
	}
	return s
}

// isPhone reports whether a clause is a phone number (digit groups or one word).
func (cl propClause) isPhone() bool {
	return cl.free && strings.ContainsAny(cl.text[:1], "+0123456789")
}

func (q propQuery) hasPhone() bool { return slices.ContainsFunc(q.clauses, propClause.isPhone) }

// TestProperties checks the invariants of the search on a generated corpus. It finds
// bugs; a failure names the invariant, the user and the query.
func TestProperties(t *testing.T) {
	c := newPropCorpus(t)
	universe := make([]int64, len(c.docs))
	for i, d := range c.docs {
		universe[i] = d.id
	}
	if got := c.hits(t, c.e.super, propQuery{}); !slices.Equal(got, universe) {
		t.Fatalf("everything: %v, want every message %v", got, universe)
	}
	if len(universe) < 40 || len(universe) > 80 {
		t.Fatalf("corpus of %d messages, want 40 to 80", len(universe))
	}

	t.Run("AbsentTermsFindNothing", func(t *testing.T) { c.absentTerms(t) })
	t.Run("ClauseNeverAddsHits", func(t *testing.T) { c.monotone(t) })
	t.Run("ExclusionSplitsWhatUserSees", func(t *testing.T) { c.exclusion(t) })
	t.Run("AgentFindsNoMoreThanSupervisor", func(t *testing.T) { c.permissions(t) })
	t.Run("PagesAddUpInEveryOrder", func(t *testing.T) { c.paging(t) })
	t.Run("SameHitsInEveryOrder", func(t *testing.T) { c.orders(t) })
	t.Run("PhrasesInSubjectsAndNames", func(t *testing.T) { c.phrases(t) })
	t.Run("FacetsCountTheHits", func(t *testing.T) { c.facets(t) })
	t.Run("QueryFiltersAreStructuredFilters", func(t *testing.T) { c.fieldFilters(t) })
	t.Run("Model", func(t *testing.T) { c.model(t) })
	t.Run("PagesStableWhileMessagesArrive", func(t *testing.T) { c.snapshot(t) })
}

// absentTerms: a word found nowhere, alone, as a phrase, a subject or a sender, next to
// real words or excluded with them, with filters, for every kind of user and in every
// order, finds nothing and its facets count nothing; excluded, it excludes nothing.
func (c *propCorpus) absentTerms(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(3, 4))
	var qs []propQuery
	for _, w := range []string{"qzxwvk", "xylophone", "zzzqqq"} {
		qs = append(qs, propQuery{clauses: []propClause{c.word(w)}})
	}
	for range 24 {
		cl := c.absentClause(r)
		q := propQuery{clauses: []propClause{cl}}
		switch r.IntN(5) {
		case 0:
			q = q.with(c.word(c.words[r.IntN(len(c.words))]))
		case 1:
			q = q.with(propNegate(c.word(c.words[r.IntN(len(c.words))])))
		case 2:
			if more := c.clause(r); !more.isPhone() {
				q = propQuery{clauses: []propClause{more, cl}}
			}
		case 3:
			q.f = c.filters(r)
		}
		qs = append(qs, q)
	}
	all := c.hits(t, c.e.super, propQuery{})
	for i, q := range qs {
		for _, u := range []inbox.User{c.e.super, c.agentA, c.loner} {
			rq := q.request()
			rq.Sort, rq.Facets, rq.Limit = []string{"", SortRelevance, SortNewest, SortOldest}[r.IntN(4)], true, 1+r.IntN(5)
			res := c.search(t, u, rq)
			if res.Total != 0 || len(res.Hits) != 0 || res.NextCursor != "" {
				rep.errorf("%s: %s (sort %q) found %d: %v, want nothing", u.Email, q.describe(), rq.Sort, res.Total, ids(res))
			}
			for name, f := range res.Facets {
				if len(f.Terms) != 0 || f.Other != 0 {
					rep.errorf("%s: %s: facet %s counts %+v, want nothing", u.Email, q.describe(), name, f)
				}
			}
		}
		// Excluded, a word found nowhere excludes nothing.
		if i%3 == 0 && len(q.clauses) == 1 {
			nq := propQuery{clauses: []propClause{propNegate(q.clauses[0])}}
			if got := c.hits(t, c.e.super, nq); !slices.Equal(got, all) {
				rep.errorf("%s found %d messages, want all %d", nq.describe(), len(got), len(all))
			}
		}
	}
}

// monotone: a clause or filter more never finds more (unless the query was only stop
// words, which finds nothing: docs/search.md).
func (c *propCorpus) monotone(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(5, 6))
	for range 24 {
		q := c.query(r)
		if q.onlyStopWords() {
			continue
		}
		u := c.users[r.IntN(len(c.users))]
		base := c.hits(t, u, q)
		more := c.clause(r)
		if !more.isPhone() && r.IntN(4) == 0 {
			more = propNegate(more)
		}
		if !(more.isPhone() && q.hasPhone()) { // two phone numbers side by side read as one
			q2 := q.with(more)
			if got := c.hits(t, u, q2); !propSubset(got, base) {
				rep.errorf("%s: %s finds %v that %s does not", u.Email, q2.describe(), propMinus(got, base), q.describe())
			}
		}
		// A filter of a kind q has not.
		f := c.filters(r)
		if (len(q.f.Channels) > 0 && len(f.Channels) > 0) || (len(q.f.Statuses) > 0 && len(f.Statuses) > 0) ||
			(len(q.f.Tags) > 0 && len(f.Tags) > 0) || (len(q.f.TeamIDs) > 0 || q.f.NoTeam) && (len(f.TeamIDs) > 0 || f.NoTeam) ||
			(len(q.f.AssigneeIDs) > 0 || q.f.Unassigned) && (len(f.AssigneeIDs) > 0 || f.Unassigned) ||
			(len(q.f.Kinds) > 0 && len(f.Kinds) > 0) || (len(q.f.Languages) > 0 && len(f.Languages) > 0) ||
			(len(q.f.ContactIDs) > 0 && len(f.ContactIDs) > 0) || (!q.f.From.IsZero() || !q.f.To.IsZero()) && (!f.From.IsZero() || !f.To.IsZero()) {
			continue
		}
		q3 := propQuery{clauses: q.clauses, f: propMergeFilters(q.f, f)}
		if got := c.hits(t, u, q3); !propSubset(got, base) {
			rep.errorf("%s: %s finds %v that %s does not", u.Email, q3.describe(), propMinus(got, base), q.describe())
		}
	}
}

// propMergeFilters returns the filters of a and b together (of different kinds).
func propMergeFilters(a, b Filters) Filters {
	a.Channels = append(slices.Clone(a.Channels), b.Channels...)
	a.Statuses = append(slices.Clone(a.Statuses), b.Statuses...)
	a.Tags = append(slices.Clone(a.Tags), b.Tags...)
	a.TeamIDs = append(slices.Clone(a.TeamIDs), b.TeamIDs...)
	a.NoTeam = a.NoTeam || b.NoTeam
	a.AssigneeIDs = append(slices.Clone(a.AssigneeIDs), b.AssigneeIDs...)
	a.Unassigned = a.Unassigned || b.Unassigned
	a.Kinds = append(slices.Clone(a.Kinds), b.Kinds...)
	a.Languages = append(slices.Clone(a.Languages), b.Languages...)
	a.ContactIDs = append(slices.Clone(a.ContactIDs), b.ContactIDs...)
	if !b.From.IsZero() {
		a.From = b.From
	}
	if !b.To.IsZero() {
		a.To = b.To
	}
	return a
}

// exclusion: for a clause that is not a stop word, q with it and q with its exclusion
// find disjoint sets that make up what q finds (q alone: everything the user may see);
// so do before: and after: the same day.
func (c *propCorpus) exclusion(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(7, 8))
	check := func(u inbox.User, q propQuery, cl propClause) {
		t.Helper()
		base := c.hits(t, u, q)
		with, without := q.with(cl), q.with(propNegate(cl))
		yes, no := c.hits(t, u, with), c.hits(t, u, without)
		if both := propMinus(yes, propMinus(yes, no)); len(both) > 0 {
			rep.errorf("%s: %s and %s both find %v", u.Email, with.describe(), without.describe(), both)
		}
		if all := propUnion(yes, no); !slices.Equal(all, base) {
			rep.errorf("%s: %s (%d) and %s (%d) together find %d messages, %s finds %d (missing %v, extra %v)", u.Email,
				with.describe(), len(yes), without.describe(), len(no), len(all), q.describe(), len(base), propMinus(base, all), propMinus(all, base))
		}
	}
	// Content words and name parts, alone.
	for i, w := range c.words {
		if i%2 == 0 {
			check(c.users[r.IntN(len(c.users))], propQuery{}, c.word(w))
		}
	}
	for range 4 {
		check(c.users[r.IntN(len(c.users))], propQuery{}, c.word(c.names[r.IntN(len(c.names))]))
	}
	// Random clauses in random queries.
	for range 14 {
		q := c.query(r)
		cl := c.clause(r)
		if q.onlyStopWords() || q.hasPhone() || cl.stop || cl.isPhone() {
			continue
		}
		check(c.users[r.IntN(len(c.users))], q, cl)
	}
	// Dates: before a day and after it (inclusive) split every query.
	for range 4 {
		q := c.query(r)
		if q.onlyStopWords() {
			continue
		}
		u := c.users[r.IntN(len(c.users))]
		day := c.days[r.IntN(len(c.days))].Truncate(24 * time.Hour).Format(time.DateOnly)
		base := c.hits(t, u, q)
		before := c.hits(t, u, q.with(propClause{text: "before:" + day}))
		after := c.hits(t, u, q.with(propClause{text: "after:" + day}))
		if len(propMinus(before, after)) != len(before) || !slices.Equal(propUnion(before, after), base) {
			rep.errorf("%s: %s: before:%s finds %v, after:%s %v; together not %v", u.Email, q.describe(), day, before, day, after, base)
		}
	}
}

// permissions: an agent finds what a supervisor finds with the same query in the
// conversations they may open (inbox.CanSee: their teams', those of no team, those
// assigned to them), and nothing else; an admin finds what a supervisor finds.
func (c *propCorpus) permissions(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(9, 10))
	for range 16 {
		q := c.query(r)
		if slices.ContainsFunc(q.clauses, func(cl propClause) bool { return strings.Contains(cl.text, "assignee:me") }) {
			continue // means another user for each
		}
		sup := c.hits(t, c.e.super, q)
		if adm := c.hits(t, c.e.admin, q); !slices.Equal(adm, sup) {
			rep.errorf("%s: admin finds %v, supervisor %v", q.describe(), adm, sup)
		}
		for _, a := range []inbox.User{c.agentA, c.agentB, c.loner} {
			got := c.hits(t, a, q)
			if !propSubset(got, sup) {
				rep.errorf("%s: %s finds %v that a supervisor does not", a.Email, q.describe(), propMinus(got, sup))
			}
			for _, id := range got {
				if d := c.byID[id]; !inbox.CanSee(a, d.conv) {
					rep.errorf("%s: %s finds message %d of conversation %d (team %d, assignee %d)", a.Email, q.describe(), id, d.conv.ID, d.conv.TeamID, d.conv.AssigneeID)
				}
			}
			var visible []int64
			for _, id := range sup {
				if inbox.CanSee(a, c.byID[id].conv) {
					visible = append(visible, id)
				}
			}
			if !slices.Equal(got, visible) {
				rep.errorf("%s: %s finds %v, want the supervisor's hits they may see %v", a.Email, q.describe(), got, visible)
			}
		}
	}
}

// paging: whatever the order and page size, paging through finds the total, each hit
// once, in order, the same hits in every order, each hit described as the store has
// it; an export finds the same.
func (c *propCorpus) paging(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(11, 12))
	// Hits whose time is not their message's time.
	var inexact []Hit
	defer func() {
		if len(inexact) > 0 {
			h := inexact[0]
			rep.errorf("%d hits carry a time other than their message's: message %d was created at %s, its hit says %s",
				len(inexact), h.MessageID, c.byID[h.MessageID].msg.CreatedAt.UTC().Format(time.RFC3339Nano), h.CreatedAt.Format(time.RFC3339Nano))
		}
	}()
	for i := range 12 {
		q := c.query(r)
		limits := []int{2, 3, 5, 7}
		if i == 0 {
			q, limits = propQuery{}, []int{9, 20} // everything, in every order
		}
		u := c.users[r.IntN(len(c.users))]
		var sets [][]int64
		for _, sort := range []string{SortRelevance, SortNewest, SortOldest} {
			rq := q.request()
			rq.Sort, rq.Limit = sort, limits[r.IntN(len(limits))]
			hits := c.all(t, u, rq)
			for k, h := range hits {
				if !c.checkHit(rep, rq, h) {
					inexact = append(inexact, h)
				}
				if k == 0 {
					continue
				}
				p := hits[k-1]
				var ordered bool
				switch sort {
				case SortRelevance:
					ordered = p.Score > h.Score || (p.Score == h.Score && p.MessageID > h.MessageID)
				case SortNewest:
					ordered = p.CreatedAt.After(h.CreatedAt) || (p.CreatedAt.Equal(h.CreatedAt) && p.MessageID > h.MessageID)
				case SortOldest:
					ordered = p.CreatedAt.Before(h.CreatedAt) || (p.CreatedAt.Equal(h.CreatedAt) && p.MessageID < h.MessageID)
				}
				if !ordered {
					rep.errorf("%s: %s sort %s limit %d: hit %d (message %d, %v, score %g) after message %d (%v, score %g)", u.Email, q.describe(), sort, rq.Limit,
						k, h.MessageID, h.CreatedAt, h.Score, p.MessageID, p.CreatedAt, p.Score)
				}
			}
			got := make([]int64, len(hits))
			for k, h := range hits {
				got[k] = h.MessageID
			}
			slices.Sort(got)
			sets = append(sets, got)
		}
		if !slices.Equal(sets[0], sets[1]) || !slices.Equal(sets[0], sets[2]) {
			rep.errorf("%s: %s: relevance finds %v, newest %v, oldest %v", u.Email, q.describe(), sets[0], sets[1], sets[2])
		}
		// A cursor serves the search it came from only.
		if rq := q.request(); i%4 == 1 {
			rq.Limit = 1
			if first := c.search(t, u, rq); first.NextCursor != "" {
				other := rq
				other.Query, other.Cursor = rq.Query+" passeport", first.NextCursor
				if _, err := c.e.idx.Search(context.Background(), u, other); !isInvalid(err) {
					rep.errorf("%s: the cursor of %s, given to %q: %v, want an invalid cursor", u.Email, q.describe(), other.Query, err)
				}
			}
		}
		if u.Role.SeesAll() {
			if exported := c.export(t, u, q.request()); !slices.Equal(exported, sets[0]) {
				rep.errorf("Export(%s) = %v, search finds %v", q.describe(), exported, sets[0])
			}
		}
	}
}

// export returns the message ids of an export, in id order.
func (c *propCorpus) export(t *testing.T, u inbox.User, r Request) []int64 {
	t.Helper()
	var out []int64
	_, _, err := c.e.idx.Export(context.Background(), u, r, func(h Hit) error {
		out = append(out, h.MessageID)
		return nil
	})
	if err != nil {
		t.Fatalf("Export(%q) = %v", r.Query, err)
	}
	slices.Sort(out)
	return out
}

// orders: the hits of a search do not depend on its order, nor does what an exclusion
// leaves out. (Relevance scores; the date orders and exports do not, and bleve then
// runs conjunctions and disjunctions of terms as bitmaps: words of several terms,
// phone numbers that begin several numbers, names typed in several parts.)
func (c *propCorpus) orders(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	all := c.hits(t, c.e.super, propQuery{})
	for _, s := range []string{"wi-fi", "rendez-vous", "612345", "06 12 34 56", "+33 6 12 34 5", "amandine.dup", `from:"amandine dupont"`, "dupont amandine", "garnier 06 12 34 57"} {
		q, err := ParseQuery(s)
		if err != nil {
			t.Fatal(err)
		}
		pq := c.parsed(q)
		want := c.want(c.e.super, pq)
		for _, sort := range []string{SortRelevance, SortNewest, SortOldest} {
			res := c.search(t, c.e.super, Request{Query: s, Sort: sort, Limit: MaxLimit})
			got := ids(res)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				rep.errorf("%q sorted %s finds %v, want %v", s, sort, got, want)
			}
		}
		if got := c.export(t, c.e.super, Request{Query: s}); !slices.Equal(got, want) {
			rep.errorf("export of %q: %v, want %v", s, got, want)
		}
		if strings.Contains(s, " ") && !strings.Contains(s, `"`) {
			// Several clauses: "-dupont amandine" excludes dupont and looks for
			// amandine, and "-06 12 34 56" is not the exclusion of a phone number.
			continue
		}
		// An exclusion alone is sorted newest first.
		if got := c.hits(t, c.e.super, propQuery{clauses: []propClause{{text: "-" + s}}}); !slices.Equal(got, propMinus(all, want)) {
			rep.errorf("-%s finds %d messages, %v among them; want the %d others than %v", s, len(got), propMinus(got, propMinus(all, want)), len(all)-len(want), want)
		}
	}
}

// parsed gives the meaning of a parsed query made of words, phone numbers and from:.
func (c *propCorpus) parsed(q Query) propQuery {
	var out propQuery
	for _, cl := range q.Clauses {
		switch {
		case cl.Phone:
			out.clauses = append(out.clauses, c.phone(cl.Value))
		case cl.Field == "from":
			out.clauses = append(out.clauses, c.from(cl.Value))
		default:
			out.clauses = append(out.clauses, c.word(cl.Value))
		}
	}
	return out
}

// phrases: a quoted phrase is looked for in the text, the subject and the contact's
// names (phraseQuery): a one-word phrase finds what the word finds there, subject:"w"
// what subject:w finds, and a name in quotes the messages of that contact.
func (c *propCorpus) phrases(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	for i, w := range c.words {
		if len(c.tokens[AnalyzerEnglish](w)) != 1 || i%3 != 0 {
			continue
		}
		for _, pair := range [][2]string{{`"` + w + `"`, w}, {`subject:"` + w + `"`, "subject:" + w}} {
			phrase := c.hits(t, c.e.super, propQuery{clauses: []propClause{{text: pair[0]}}})
			plain := c.hits(t, c.e.super, propQuery{clauses: []propClause{{text: pair[1]}}})
			if !slices.Equal(phrase, plain) {
				rep.errorf("%s finds %v, %s %v (missing %v)", pair[0], phrase, pair[1], plain, propMinus(plain, phrase))
			}
		}
	}
	n := 0
	for _, p := range propPeople {
		if p.name == "" || n == 3 {
			continue
		}
		from := c.hits(t, c.e.super, propQuery{clauses: []propClause{{text: `from:"` + p.name + `"`}}})
		if len(from) == 0 {
			continue // not in the corpus
		}
		n++
		if phrase := c.hits(t, c.e.super, propQuery{clauses: []propClause{{text: `"` + p.name + `"`}}}); !slices.Equal(phrase, from) {
			rep.errorf(`"%s" finds %v, from:"%s" %v`, p.name, phrase, p.name, from)
		}
	}
}

// snapshot: pages started before messages arrive go on as they began: every page has
// the first page's total, no hit comes twice or goes missing, and the date orders keep
// their order (docs/search.md, Paging). It adds messages: it runs last.
func (c *propCorpus) snapshot(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	type run struct {
		r     Request
		ref   []int64 // the hits in order, before messages arrived
		first Result
	}
	var runs []*run
	add := func(q, sort string, limit int) {
		r := Request{Query: q, Sort: sort, Limit: limit}
		var ref []int64
		for _, h := range c.all(t, c.e.super, r) {
			ref = append(ref, h.MessageID)
		}
		runs = append(runs, &run{r: r, ref: ref, first: c.search(t, c.e.super, r)})
	}
	add("", SortNewest, 10)
	for _, q := range []string{"passeport", "invoice passport", "cantine -piscine"} {
		for _, sort := range []string{SortRelevance, SortNewest, SortOldest} {
			add(q, sort, 3)
		}
	}
	// Messages arrive, with the same words, in new conversations and old ones; the index
	// is brought up to date (every document written again).
	r := rand.New(rand.NewPCG(15, 16))
	for i := range 8 {
		lang := []string{"fr", "en"}[i%2]
		text := "je passeport et la cantine pour le bibliothèque"
		if lang == "en" {
			text = "i have the invoice and my passport"
		}
		if i%3 == 0 {
			d := c.docs[r.IntN(len(c.docs))]
			c.e.reply(c.e.super, d.conv.ID, text, i%2 == 0)
			continue
		}
		c.e.ingest(msg{from: fmt.Sprintf("nouveau%d@example.net", i), text: text, subject: "Passeport", lang: lang})
	}
	c.e.indexAll()
	clear(c.memo)
	for _, ru := range runs {
		got := ids(ru.first)
		r := ru.r
		r.Cursor = ru.first.NextCursor
		for page := 1; r.Cursor != ""; page++ {
			res := c.search(t, c.e.super, r)
			if res.Total != ru.first.Total {
				rep.errorf("%q sorted %s: page %d after messages arrived has total %d, the first page %d", r.Query, r.Sort, page, res.Total, ru.first.Total)
			}
			got = append(got, ids(res)...)
			r.Cursor = res.NextCursor
		}
		sorted, ref := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ru.ref))
		if twice := len(sorted) - len(slices.Compact(slices.Clone(sorted))); twice > 0 || !slices.Equal(slices.Compact(sorted), ref) {
			rep.errorf("%q sorted %s, paged while messages arrived: %v (%d twice, missing %v, extra %v); before: %v", r.Query, r.Sort, got, twice, propMinus(ref, sorted), propMinus(sorted, ref), ru.ref)
		} else if r.Sort != SortRelevance && !slices.Equal(got, ru.ref) {
			rep.errorf("%q sorted %s, paged while messages arrived: %v, before: %v", r.Query, r.Sort, got, ru.ref)
		}
	}
}

// checkHit compares a hit with the store's records; it reports whether the hit's time
// is the message's time exactly (it is checked here to the second).
func (c *propCorpus) checkHit(rep *propReporter, r Request, h Hit) bool {
	rep.t.Helper()
	d := c.byID[h.MessageID]
	if d == nil {
		rep.errorf("%q: hit of unknown message %d", r.Query, h.MessageID)
		return true
	}
	lang := languageValue(d.conv.Language)
	if lang == "und" {
		lang = ""
	}
	want := Hit{MessageID: d.id, ConversationID: d.conv.ID, Kind: string(d.msg.Kind), Channel: d.conv.Channel, Status: string(d.conv.Status),
		TeamID: d.conv.TeamID, AssigneeID: d.conv.AssigneeID, Category: d.conv.Category, Language: lang, Priority: d.conv.Priority,
		ContactID: d.conv.ContactID, CreatedAt: d.msg.CreatedAt.UTC()}
	got := h
	got.ContactName, got.Subject, got.Score, got.Snippet, got.Text = "", "", 0, nil, ""
	exact := got.CreatedAt.Equal(want.CreatedAt)
	if !got.CreatedAt.Truncate(time.Second).Equal(want.CreatedAt.Truncate(time.Second)) {
		rep.errorf("%q: hit %d created %v, want %v", r.Query, h.MessageID, got.CreatedAt, want.CreatedAt)
	}
	got.CreatedAt = want.CreatedAt
	if fmt.Sprint(got) != fmt.Sprint(want) {
		rep.errorf("%q: hit %+v, want %+v", r.Query, got, want)
	}
	return exact
}

// facets: each count of a facet value is the number of hits with that value, and the
// total of the same search filtered on it; the counts of a facet of one value a
// message add up to the total.
func (c *propCorpus) facets(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(13, 14))
	for i := range 14 {
		q := c.query(r)
		u := c.users[r.IntN(len(c.users))]
		rq := q.request()
		rq.Facets, rq.Sort, rq.Limit = true, []string{"", SortRelevance, SortNewest, SortOldest}[r.IntN(4)], 1+r.IntN(3)
		res := c.search(t, u, rq)
		counts := map[string]int{}
		for _, id := range c.want(u, q) {
			for _, f := range c.byID[id].facets {
				counts[f]++
			}
		}
		for name, f := range res.Facets {
			sum := f.Other
			for _, tm := range f.Terms {
				sum += tm.Count
				if n := counts[name+"="+tm.Value]; n != tm.Count {
					rep.errorf("%s: %s: facet %s=%s counts %d, the hits have %d", u.Email, q.describe(), name, tm.Value, tm.Count, n)
				}
			}
			if name != fieldTags && uint64(sum) != res.Total {
				rep.errorf("%s: %s: facet %s adds up to %d, total %d", u.Email, q.describe(), name, sum, res.Total)
			}
		}
		// Narrowing down by a facet value finds as many hits as it counted.
		name := []string{fieldChannel, fieldStatus, fieldTags}[i%3]
		for _, tm := range res.Facets[name].Terms {
			fq := propQuery{clauses: q.clauses, f: q.f}
			switch {
			case name == fieldChannel && len(q.f.Channels) == 0:
				fq.f.Channels = []string{tm.Value}
			case name == fieldStatus && len(q.f.Statuses) == 0:
				fq.f.Statuses = []string{tm.Value}
			case name == fieldTags && len(q.f.Tags) == 0:
				fq.f.Tags = []string{tm.Value}
			default:
				continue
			}
			rq := fq.request()
			rq.Limit = 1
			if got := c.search(t, u, rq).Total; int(got) != tm.Count {
				rep.errorf("%s: %s: facet %s=%s counts %d, narrowed down to it the search finds %d", u.Email, q.describe(), name, tm.Value, tm.Count, got)
			}
		}
	}
}

// fieldFilters: a field:value in the query finds what the same structured filter does,
// and its exclusion the rest.
func (c *propCorpus) fieldFilters(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	type pair struct {
		q string
		f Filters
	}
	var pairs []pair
	for _, v := range propChannels {
		pairs = append(pairs, pair{"channel:" + v, Filters{Channels: []string{v}}})
	}
	for _, v := range propStatuses {
		pairs = append(pairs, pair{"status:" + string(v), Filters{Statuses: []string{string(v)}}})
	}
	for _, v := range propTags {
		pairs = append(pairs, pair{"tag:" + strings.ToUpper(v), Filters{Tags: []string{v}}})
	}
	for _, v := range propKinds {
		pairs = append(pairs, pair{"kind:" + v, Filters{Kinds: []string{v}}})
	}
	for _, v := range propLanguages {
		pairs = append(pairs, pair{"lang:" + v, Filters{Languages: []string{v}}})
	}
	for _, tm := range c.teams {
		pairs = append(pairs, pair{"team:" + tm.slug, Filters{TeamIDs: []int64{tm.id}}})
	}
	pairs = append(pairs, pair{"team:" + itoa(c.teams[1].id), Filters{TeamIDs: []int64{c.teams[1].id}}},
		pair{"team:none", Filters{NoTeam: true}}, pair{"assignee:none", Filters{Unassigned: true}})
	for _, a := range []inbox.User{c.agentA, c.agentB, c.loner} {
		pairs = append(pairs, pair{"assignee:" + a.Email, Filters{AssigneeIDs: []int64{a.ID}}})
	}
	for _, id := range c.contacts[:2] {
		pairs = append(pairs, pair{"contact:" + strconv.FormatInt(id, 10), Filters{ContactIDs: []int64{id}}})
	}
	all := map[int64][]int64{}
	for i, p := range pairs {
		u := c.users[i%len(c.users)]
		if all[u.ID] == nil {
			all[u.ID] = c.hits(t, u, propQuery{})
		}
		inQuery := c.hits(t, u, propQuery{clauses: []propClause{{text: p.q}}})
		filtered := c.hits(t, u, propQuery{f: p.f})
		if !slices.Equal(inQuery, filtered) {
			rep.errorf("%s: %q finds %v, the filter %s %v", u.Email, p.q, inQuery, propQuery{f: p.f}.describe(), filtered)
		}
		if i%2 == 1 {
			continue
		}
		if out := c.hits(t, u, propQuery{clauses: []propClause{{text: "-" + p.q}}}); !slices.Equal(out, propMinus(all[u.ID], filtered)) {
			rep.errorf("%s: -%s finds %v, want %v", u.Email, p.q, out, propMinus(all[u.ID], filtered))
		}
	}
	// The values of a filter are alternatives: two channels find what each finds.
	for _, u := range []inbox.User{c.e.super, c.agentB} {
		two := c.hits(t, u, propQuery{f: Filters{Channels: []string{propChannels[0], propChannels[1]}}})
		one := propUnion(c.hits(t, u, propQuery{f: Filters{Channels: propChannels[:1]}}), c.hits(t, u, propQuery{f: Filters{Channels: propChannels[1:2]}}))
		if !slices.Equal(two, one) {
			rep.errorf("%s: two channels find %v, each %v", u.Email, two, one)
		}
	}
}

// model: every generated query finds what the model of the query language finds on
// the documents (the store's records, analysed as the index analyses them); a word of
// a hit's text that the query looks for is marked in its snippet.
func (c *propCorpus) model(t *testing.T) {
	rep := propReport(t)
	defer rep.done()
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 130 {
		q := c.query(r)
		u := c.e.super
		if i%2 == 1 {
			u = c.users[1+r.IntN(len(c.users)-1)]
		}
		want := c.want(u, q)
		rq := q.request()
		rq.Limit = MaxLimit
		rq.Sort = []string{"", SortRelevance, SortNewest, SortOldest}[r.IntN(4)]
		res := c.search(t, u, rq)
		got := ids(res)
		slices.Sort(got)
		if !slices.Equal(got, want) || int(res.Total) != len(want) {
			rep.errorf("%s: %s (sort %q) finds %d: %v, want %v (missing %v, extra %v)", u.Email, q.describe(), rq.Sort, res.Total, got, want, propMinus(want, got), propMinus(got, want))
			continue
		}
		for _, h := range res.Hits {
			c.checkSnippet(rep, q, h)
		}
		// The query as ParseQuery reads it, written back, finds the same.
		if i%4 == 0 {
			pq, err := ParseQuery(rq.Query)
			if err != nil {
				t.Fatalf("ParseQuery(%q) = %v", rq.Query, err)
			}
			rq.Query = pq.String()
			if again := ids(c.search(t, u, rq)); !slices.Equal(slices.Sorted(slices.Values(again)), got) {
				rep.errorf("%s: %q finds %v, %s %v", u.Email, rq.Query, again, q.describe(), got)
			}
		}
	}
}

// checkSnippet: when the hit's text has a word the query looks for, the snippet marks
// something.
func (c *propCorpus) checkSnippet(rep *propReporter, q propQuery, h Hit) {
	rep.t.Helper()
	d := c.byID[h.MessageID]
	look := false
	for _, cl := range q.clauses {
		if cl.neg || !cl.free || cl.stop || strings.HasPrefix(cl.text, `"`) || cl.isPhone() {
			continue
		}
		if propAllIn(propTerms(c.tokens[langAnalyzers[d.lang]](cl.text)), d.text) {
			look = true
		}
	}
	if !look {
		return
	}
	for _, s := range h.Snippet {
		if s.Match && strings.TrimFunc(s.Text, func(r rune) bool { return !unicode.IsLetter(r) }) != "" {
			return
		}
	}
	rep.errorf("%s: message %d (%q) has a word looked for, its snippet marks nothing: %+v", q.describe(), h.MessageID, d.msg.Text, h.Snippet)
}
