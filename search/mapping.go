package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/mapping"
)

// Field names of a message document. Keyword fields hold exact values for filters and
// facets; text fields are analysed with the analyzer of the message's language.
const (
	fieldMessageID    = "mid"          // numeric: message id, for the snapshot bound
	fieldIDKey        = "mkey"         // keyword: message id as fixed-width hex, relevance tie-breaker
	fieldDateKey      = "dkey"         // keyword: time then id as fixed-width hex, the date orders
	fieldConversation = "conversation" // keyword: conversation id
	fieldKind         = "kind"         // keyword: in, out, note, system
	fieldChannel      = "channel"
	fieldTeam         = "team"     // keyword: team id, or "none"
	fieldAssignee     = "assignee" // keyword: user id, or "none"
	fieldAuthor       = "author"   // keyword: user id of an agent's message
	fieldStatus       = "status"
	fieldCategory     = "category"
	fieldLanguage     = "language" // keyword: the conversation's language, or "und"
	fieldTags         = "tags"
	fieldContact      = "contact" // keyword: contact id
	fieldPriority     = "priority"
	fieldCreated      = "created"
	fieldTextLang     = "text_lang" // keyword: fr, en or other: which text field holds the text
	fieldName         = "name"      // contact name, plain analyzer
	fieldEmail        = "email"     // keyword: full lower-case addresses
	fieldPrefix       = "prefix"    // contact name words and email parts, every prefix of each
	fieldPhone        = "phone"     // keyword: digit forms of phone numbers
	fieldSubject      = "subject"   // stored only, for display
	fieldFacet        = "facet"     // keyword: "field=value" for every facet field, counted at once
)

// Text fields by analysis language.
var (
	textFields    = map[string]string{"fr": "text_fr", "en": "text_en", "other": "text_plain"}
	subjectFields = map[string]string{"fr": "subject_fr", "en": "subject_en", "other": "subject_plain"}
	langAnalyzers = map[string]string{"fr": AnalyzerFrench, "en": AnalyzerEnglish, "other": AnalyzerPlain}
	// textLangs lists the analysis languages in a fixed order.
	textLangs = []string{"fr", "en", "other"}
)

// noValue stands for "no team" and "no assignee" in keyword fields, so that the shared
// queue can be filtered and counted like any team.
const noValue = "none"

// docType is the type name of message documents.
const docType = "message"

// NewMapping returns the index mapping of message documents.
func NewMapping() (*mapping.IndexMappingImpl, error) {
	m := bleve.NewIndexMapping()
	if err := addAnalyzers(m); err != nil {
		return nil, err
	}
	m.DefaultAnalyzer = AnalyzerPlain
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false

	doc := bleve.NewDocumentStaticMapping()
	kw := func(name string, store, docValues bool) {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = docValues
		doc.AddFieldMappingsAt(name, f)
	}
	for _, name := range []string{fieldConversation, fieldKind, fieldChannel, fieldTeam, fieldAssignee,
		fieldStatus, fieldCategory, fieldLanguage, fieldContact, fieldTextLang} {
		kw(name, true, false)
	}
	// The sort keys are the only fields with doc values (what bleve sorts by). They
	// are keywords, one term per document: numeric and date fields keep a term per
	// precision step in their doc values.
	kw(fieldIDKey, true, true)
	kw(fieldDateKey, true, true)
	for _, name := range []string{fieldAuthor, fieldTags, fieldEmail, fieldPhone} {
		kw(name, false, false)
	}
	// Facets are counted from one multi-valued field rather than eight: one postings
	// list per value to intersect with the hits (facets.go).
	kw(fieldFacet, false, false)
	num := func(name string, store bool) {
		f := bleve.NewNumericFieldMapping()
		f.Store = store
		f.IncludeInAll = false
		f.DocValues = false
		doc.AddFieldMappingsAt(name, f)
	}
	num(fieldMessageID, true)
	num(fieldPriority, true)
	dt := bleve.NewDateTimeFieldMapping()
	dt.Store = false // hits read the time from the date key, to the microsecond
	dt.IncludeInAll = false
	dt.DocValues = false
	doc.AddFieldMappingsAt(fieldCreated, dt)

	text := func(name, analyzer string, store, vectors bool) {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store = store
		f.IncludeInAll = false
		f.IncludeTermVectors = vectors
		f.DocValues = false
		doc.AddFieldMappingsAt(name, f)
	}
	for _, l := range textLangs {
		// Text is stored, with term vectors, for the snippets and phrases. Subjects
		// and names have term vectors for phrases ("carte grise", "Marie Dupont").
		text(textFields[l], langAnalyzers[l], true, true)
		text(subjectFields[l], langAnalyzers[l], false, true)
	}
	text(fieldName, AnalyzerPlain, true, true)
	text(fieldPrefix, AnalyzerPrefix, false, false)
	sub := bleve.NewTextFieldMapping()
	sub.Index = false
	sub.Store = true
	sub.IncludeInAll = false
	sub.DocValues = false
	doc.AddFieldMappingsAt(fieldSubject, sub)

	m.AddDocumentMapping(docType, doc)
	m.DefaultMapping = doc
	m.TypeField = "_type"
	return m, nil
}
