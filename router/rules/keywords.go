package rules

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Keyword expressions select messages by the words they contain. The grammar:
//
//	expr    = or
//	or      = and { ("OR" | ",") and }
//	and     = unary { ["AND"] unary }        adjacent terms must all match
//	unary   = "NOT" unary | primary
//	primary = "(" expr ")" | '"' phrase '"' | word
//
// Words and phrases are normalised like the message (lower case, accents folded), so
// "Réclamation" matches "reclamation" and "RÉCLAMATION". A word containing separators
// (rendez-vous, d'identité) is the phrase of its parts. A trailing * makes the last word
// a prefix: factur* matches facture, facturation and facturé. AND, OR and NOT are
// operators only in upper case.
//
// Example: `rendez-vous, rdv, "prendre un creneau" NOT annul*`.

// Limits of a keyword expression, so that configuration (or a fuzzer) cannot make
// matching expensive.
const (
	MaxKeywordsBytes = 4096
	MaxKeywordTerms  = 256
	maxDepth         = 32
	maxPhraseWords   = 8
)

// ErrKeywords is wrapped by every keyword parse error.
var ErrKeywords = errors.New("rules: keywords")

// term is one word or phrase to find in a message.
type term struct {
	words  [][]byte
	prefix bool // the last word is a prefix
	label  string
}

// lexicon indexes the terms of many expressions so that a message is scanned once for
// all of them.
type lexicon struct {
	terms  []term
	byKey  map[string]int
	first  map[string][]int // exact first word -> terms
	prefix []int            // single-word prefix terms
}

func newLexicon() *lexicon {
	return &lexicon{byKey: map[string]int{}, first: map[string][]int{}}
}

// add registers t (once) and returns its index.
func (l *lexicon) add(t term) int {
	if i, ok := l.byKey[t.label]; ok {
		return i
	}
	i := len(l.terms)
	l.terms = append(l.terms, t)
	l.byKey[t.label] = i
	if len(t.words) == 1 && t.prefix {
		l.prefix = append(l.prefix, i)
	} else {
		k := string(t.words[0])
		l.first[k] = append(l.first[k], i)
	}
	return i
}

// scan sets hits[i] for every term i found in toks; hits has one entry per term.
func (l *lexicon) scan(toks *Tokens, hits []bool) {
	n := toks.Len()
	for i := range n {
		w := toks.At(i)
		for _, ti := range l.first[string(w)] {
			if !hits[ti] && l.terms[ti].at(toks, i) {
				hits[ti] = true
			}
		}
		for _, ti := range l.prefix {
			if !hits[ti] && bytes.HasPrefix(w, l.terms[ti].words[0]) {
				hits[ti] = true
			}
		}
	}
}

// at reports whether t occurs in toks starting at token i.
func (t *term) at(toks *Tokens, i int) bool {
	if i+len(t.words) > toks.Len() {
		return false
	}
	last := len(t.words) - 1
	for j, w := range t.words {
		got := toks.At(i + j)
		if j == last && t.prefix {
			if !bytes.HasPrefix(got, w) {
				return false
			}
		} else if !bytes.Equal(got, w) {
			return false
		}
	}
	return true
}

// node is a node of a parsed expression.
type node struct {
	op   byte // 't' term, '&' and, '|' or, '!' not
	term int
	kids []node
}

func (n *node) eval(hits []bool) bool {
	switch n.op {
	case 't':
		return hits[n.term]
	case '!':
		return !n.kids[0].eval(hits)
	case '&':
		for i := range n.kids {
			if !n.kids[i].eval(hits) {
				return false
			}
		}
		return true
	default:
		for i := range n.kids {
			if n.kids[i].eval(hits) {
				return true
			}
		}
		return false
	}
}

// found appends the labels of the terms under n that matched, outside NOT.
func (n *node) found(hits []bool, l *lexicon, out []string) []string {
	switch n.op {
	case 't':
		if hits[n.term] {
			out = append(out, l.terms[n.term].label)
		}
	case '!':
	default:
		for i := range n.kids {
			out = n.kids[i].found(hits, l, out)
		}
	}
	return out
}

// Keywords is a compiled keyword expression. It is safe for concurrent use.
type Keywords struct {
	src  string
	root node
	lex  *lexicon
}

// ParseKeywords compiles a keyword expression (see the grammar above).
func ParseKeywords(src string) (*Keywords, error) {
	return parseKeywords(src, newLexicon())
}

// String returns the expression as written.
func (k *Keywords) String() string { return k.src }

// Match reports whether the text of toks satisfies the expression.
func (k *Keywords) Match(toks *Tokens) bool {
	hits := make([]bool, len(k.lex.terms))
	k.lex.scan(toks, hits)
	return k.root.eval(hits)
}

// MatchString tokenises s and matches it.
func (k *Keywords) MatchString(s string) bool { return k.Match(Tokenize(s)) }

func parseKeywords(src string, lex *lexicon) (*Keywords, error) {
	if len(src) > MaxKeywordsBytes {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrKeywords, MaxKeywordsBytes)
	}
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("%w: not valid UTF-8", ErrKeywords)
	}
	p := &parser{src: src, lex: lex}
	if err := p.scan(); err != nil {
		return nil, err
	}
	if len(p.toks) == 0 {
		return nil, fmt.Errorf("%w: empty expression", ErrKeywords)
	}
	root, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("%w: unexpected %s at byte %d", ErrKeywords, p.toks[p.pos].describe(), p.toks[p.pos].at)
	}
	return &Keywords{src: src, root: root, lex: lex}, nil
}

// ktoken is a lexical token of an expression.
type ktoken struct {
	kind byte // 'w' word, 'p' phrase, '(' ')' ',' 'A' and, 'O' or, 'N' not
	text string
	at   int
}

func (t ktoken) describe() string {
	switch t.kind {
	case 'w', 'p':
		return fmt.Sprintf("%q", t.text)
	case 'A':
		return "AND"
	case 'O':
		return "OR"
	case 'N':
		return "NOT"
	}
	return fmt.Sprintf("%q", string(t.kind))
}

type parser struct {
	src   string
	toks  []ktoken
	pos   int
	lex   *lexicon
	terms int
}

// scan cuts src into tokens.
func (p *parser) scan() error {
	s := p.src
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == ',':
			p.toks = append(p.toks, ktoken{kind: c, at: i})
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return fmt.Errorf("%w: unclosed quote at byte %d", ErrKeywords, i)
			}
			p.toks = append(p.toks, ktoken{kind: 'p', text: s[i+1 : i+1+end], at: i})
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n\r(),\"", rune(s[j])) {
				j++
			}
			w := s[i:j]
			switch w {
			case "AND":
				p.toks = append(p.toks, ktoken{kind: 'A', at: i})
			case "OR":
				p.toks = append(p.toks, ktoken{kind: 'O', at: i})
			case "NOT":
				p.toks = append(p.toks, ktoken{kind: 'N', at: i})
			default:
				p.toks = append(p.toks, ktoken{kind: 'w', text: w, at: i})
			}
			i = j
		}
	}
	return nil
}

func (p *parser) peek() byte {
	if p.pos < len(p.toks) {
		return p.toks[p.pos].kind
	}
	return 0
}

func (p *parser) or(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, fmt.Errorf("%w: nested deeper than %d", ErrKeywords, maxDepth)
	}
	first, err := p.and(depth)
	if err != nil {
		return first, err
	}
	kids := []node{first}
	for k := p.peek(); k == 'O' || k == ','; k = p.peek() {
		p.pos++
		n, err := p.and(depth)
		if err != nil {
			return n, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return node{op: '|', kids: kids}, nil
}

func (p *parser) and(depth int) (node, error) {
	first, err := p.unary(depth)
	if err != nil {
		return first, err
	}
	kids := []node{first}
	for {
		k := p.peek()
		if k == 'A' {
			p.pos++
		} else if k != 'w' && k != 'p' && k != '(' && k != 'N' {
			break
		}
		n, err := p.unary(depth)
		if err != nil {
			return n, err
		}
		kids = append(kids, n)
	}
	if len(kids) == 1 {
		return first, nil
	}
	return node{op: '&', kids: kids}, nil
}

func (p *parser) unary(depth int) (node, error) {
	if depth > maxDepth {
		return node{}, fmt.Errorf("%w: nested deeper than %d", ErrKeywords, maxDepth)
	}
	if p.pos >= len(p.toks) {
		return node{}, fmt.Errorf("%w: expression ends where a word was expected", ErrKeywords)
	}
	t := p.toks[p.pos]
	switch t.kind {
	case 'N':
		p.pos++
		n, err := p.unary(depth + 1)
		if err != nil {
			return n, err
		}
		return node{op: '!', kids: []node{n}}, nil
	case '(':
		p.pos++
		n, err := p.or(depth + 1)
		if err != nil {
			return n, err
		}
		if p.peek() != ')' {
			return n, fmt.Errorf("%w: missing ) for ( at byte %d", ErrKeywords, t.at)
		}
		p.pos++
		return n, nil
	case 'w', 'p':
		p.pos++
		return p.term(t)
	}
	return node{}, fmt.Errorf("%w: unexpected %s at byte %d", ErrKeywords, t.describe(), t.at)
}

// term compiles a word or phrase into a lexicon term.
func (p *parser) term(t ktoken) (node, error) {
	text := t.text
	prefix := strings.HasSuffix(text, "*")
	if prefix {
		text = strings.TrimRight(text, "*")
	}
	toks := Tokenize(text)
	if toks.Len() == 0 {
		return node{}, fmt.Errorf("%w: %s at byte %d has no letters or digits", ErrKeywords, t.describe(), t.at)
	}
	if toks.Len() > maxPhraseWords {
		return node{}, fmt.Errorf("%w: phrase at byte %d has more than %d words", ErrKeywords, t.at, maxPhraseWords)
	}
	if p.terms++; p.terms > MaxKeywordTerms {
		return node{}, fmt.Errorf("%w: more than %d terms", ErrKeywords, MaxKeywordTerms)
	}
	tm := term{prefix: prefix}
	var label strings.Builder
	for i := range toks.Len() {
		w := toks.At(i)
		tm.words = append(tm.words, bytes.Clone(w))
		if i > 0 {
			label.WriteByte(' ')
		}
		label.Write(w)
	}
	if prefix {
		label.WriteByte('*')
	}
	tm.label = label.String()
	return node{op: 't', term: p.lex.add(tm)}, nil
}
