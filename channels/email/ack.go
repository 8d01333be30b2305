package email

import (
	"strings"
	"unicode"
)

// Acknowledgement texts, French first (the desk's language) and English for visitors
// who wrote in English.
const (
	ackFR = "Bonjour,\n\nNous avons bien reçu votre message et nous vous répondrons dans les meilleurs délais.\n" +
		"Pour compléter votre demande, répondez simplement à ce courriel.\n\n" +
		"Ceci est une réponse automatique, merci de ne pas la renvoyer."
	ackEN = "Hello,\n\nWe have received your message and will answer as soon as possible.\n" +
		"To add to your request, simply reply to this email.\n\n" +
		"This is an automatic reply."
)

// ackText returns the acknowledgement in lang (fr, en, or auto: guessed from sample).
func ackText(lang, sample string) string {
	if lang == "auto" {
		lang = guessLanguage(sample)
	}
	if lang == "en" {
		return ackEN
	}
	return ackFR
}

var (
	frenchWords  = wordSet("le la les un une des du de et est je vous nous pour pas avec bonjour merci madame monsieur mon ma mes votre vos sur dans qui que ne cordialement demande")
	englishWords = wordSet("the an and is are i you we for not with hello hi thanks thank dear my your on in who that please regards request would could")
)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// guessLanguage counts common French and English words; French wins ties.
func guessLanguage(sample string) string {
	if len(sample) > 4000 {
		sample = sample[:4000]
	}
	fr, en := 0, 0
	for _, w := range strings.FieldsFunc(strings.ToLower(sample), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if frenchWords[w] {
			fr++
		}
		if englishWords[w] {
			en++
		}
	}
	if en > fr {
		return "en"
	}
	return "fr"
}
