package search

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/char/asciifolding"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/lang/fr"
	"github.com/blevesearch/bleve/v2/analysis/token/edgengram"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/registry"
)

// Analyzer names of the index mapping.
const (
	// AnalyzerFrench: elision (l', d', qu'…), French stop words, accent folding, then
	// the light French stemmer, so réclamations, Réclamation and reclamation meet.
	AnalyzerFrench = "frontdesk_fr"
	// AnalyzerEnglish: possessives, English stop words, accent folding, Porter stemmer.
	AnalyzerEnglish = "frontdesk_en"
	// AnalyzerPlain: lower case and accent folding only, for names and text in other
	// languages.
	AnalyzerPlain = "frontdesk_plain"
	// AnalyzerPrefix: AnalyzerPlain, then every prefix of each token up to prefixMax
	// characters, so that a name or an email typed in part is looked up as one term
	// rather than expanded to every term it begins.
	AnalyzerPrefix = "frontdesk_prefix"
)

// edgeName is the token filter of AnalyzerPrefix; prefixMax is the longest prefix it
// indexes (a longer typed word is looked up by its first prefixMax characters).
const (
	edgeName  = "frontdesk_edge"
	prefixMax = 20
)

// foldName is the token filter that removes accents (é→e, ç→c, œ→oe) from each token.
//
// It is a token filter, not bleve's asciifolding character filter: a character filter
// rewrites the text before tokenising, which moves byte offsets, and the snippets need
// offsets into the original text.
const foldName = "frontdesk_fold"

// foldFilter folds each token's term to ASCII with bleve's folding table.
type foldFilter struct {
	f *asciifolding.AsciiFoldingFilter
}

func (f foldFilter) Filter(in analysis.TokenStream) analysis.TokenStream {
	for _, t := range in {
		if !isASCII(t.Term) {
			t.Term = f.f.Filter(t.Term)
		}
	}
	return in
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// init registers the folding filter in bleve's component registry, which is how bleve
// finds analysis components by name when it opens an index. It is done once, with a
// constant constructor; nothing changes it afterwards.
func init() {
	err := registry.RegisterTokenFilter(foldName, func(map[string]any, *registry.Cache) (analysis.TokenFilter, error) {
		return foldFilter{f: asciifolding.New()}, nil
	})
	if err != nil {
		panic(fmt.Sprintf("search: register %s: %v", foldName, err))
	}
}

// addAnalyzers declares the custom analyzers on m.
func addAnalyzers(m *mapping.IndexMappingImpl) error {
	defs := []struct {
		name    string
		filters []string
	}{
		{AnalyzerFrench, []string{lowercase.Name, fr.ElisionName, fr.StopName, foldName, fr.LightStemmerName}},
		{AnalyzerEnglish, []string{en.PossessiveName, lowercase.Name, en.StopName, foldName, porter.Name}},
		{AnalyzerPlain, []string{lowercase.Name, foldName}},
		{AnalyzerPrefix, []string{lowercase.Name, foldName, edgeName}},
	}
	err := m.AddCustomTokenFilter(edgeName, map[string]any{"type": edgengram.Name, "min": 1.0, "max": float64(prefixMax)})
	if err != nil {
		return fmt.Errorf("search: token filter %s: %w", edgeName, err)
	}
	for _, d := range defs {
		filters := make([]any, len(d.filters))
		for i, f := range d.filters {
			filters[i] = f
		}
		err := m.AddCustomAnalyzer(d.name, map[string]any{
			"type":          custom.Name,
			"tokenizer":     unicode.Name,
			"token_filters": filters,
		})
		if err != nil {
			return fmt.Errorf("search: analyzer %s: %w", d.name, err)
		}
	}
	return nil
}
