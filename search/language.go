package search

import (
	"strings"
	"unicode"
)

// Language detection, deliberately small: counting the commonest function words of
// French and English is right on almost every message a front desk receives (a few
// words are enough), costs nothing, and needs no model. A message with no clear signal
// takes its conversation's language, and French when that is unknown too.

var frenchWords = setOf("le", "la", "les", "de", "des", "du", "un", "une", "et", "est", "je", "vous",
	"nous", "pour", "pas", "que", "qui", "dans", "sur", "avec", "mon", "ma", "mes", "votre", "vos",
	"bonjour", "merci", "au", "aux", "ce", "cette", "il", "elle", "ne", "suis", "avez", "j", "l", "d", "c", "qu", "n")

var englishWords = setOf("the", "and", "is", "are", "i", "you", "we", "for", "not", "that", "with",
	"my", "your", "to", "of", "in", "on", "it", "this", "have", "has", "hello", "thanks", "thank",
	"please", "a", "an", "be", "was", "do", "can", "would", "could")

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// detectLanguage returns "fr", "en", or "" when text gives no clear signal.
func detectLanguage(text string) string {
	fr, en, n := 0, 0, 0
	for w := range strings.FieldsFuncSeq(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if n++; n > 200 {
			break
		}
		w = strings.ToLower(w)
		if frenchWords[w] {
			fr++
		}
		if englishWords[w] {
			en++
		}
	}
	switch {
	case fr >= 2 && fr > 2*en:
		return "fr"
	case en >= 2 && en > 2*fr:
		return "en"
	}
	return ""
}

// analysisLanguage picks which analyzer indexes text: the detected language, else the
// conversation's, else French. Languages other than French and English get the plain
// analyzer ("other"): folded words, no stemming.
func analysisLanguage(text, conversationLang string) string {
	if l := detectLanguage(text); l != "" {
		return l
	}
	switch languageValue(conversationLang) {
	case "fr", "und":
		return "fr"
	case "en":
		return "en"
	}
	return "other"
}
