package classify

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/frontdeskhq/frontdesk/router/rules"
)

// Tension levels.
const (
	Calm       = "calm"
	Tense      = "tense"
	Aggressive = "aggressive"
)

// Urgency levels.
const (
	UrgencyNormal   = "normal"
	UrgencyHigh     = "high"
	UrgencyCritical = "critical"
)

// signal is a group of words or phrases that says something about the writer's state;
// its name is the code the explanations carry (see Explanation).
// Weight adds to the tension score; Decisive makes the message aggressive on its own.
type signal struct {
	name     string
	weight   int
	decisive bool
	keywords string
}

// tensionSignals are the lexicons of tension, French and English. They are matched on
// normalised words (accents folded), so they are written without accents.
var tensionSignals = []signal{
	{name: "insult", weight: 5, decisive: true, keywords: `connard*, abruti*, cretin*, imbecile*, idiot*, "bande de", enfoire*,
		salaud*, salopard*, merde, putain, "ta gueule", "fermez la", foutez, fuck*, bastard*, moron*, stupid, "shut up",
		crooks, escrocs, voleurs, thieves, clowns, guignols, "bunch of", incapables, faineants`},
	{name: "violence", weight: 6, decisive: true, keywords: `"vous allez voir", "je vais venir", "tout casser", casser, frapper,
		"vous allez le payer", "you will pay", "i will come", "i m coming in person", "smash", "hurt you", "kill", tuer,
		"ca va mal se passer", "won t be pretty", "regler ca moi meme"`},
	{name: "contempt", weight: 3, keywords: `incompetent*, incompetence, nul, nuls, minable*, lamentable, pathetique, honte,
		honteux, honteuse, scandal*, inadmissible, inacceptable, inaceptable, unacceptable, ridicule, ridiculous, pathetic, useless,
		disgrace*, disgusting, outrageous, shameful, "a joke", "une blague", "foutage de gueule", "vous moquez", "vous foutez",
		"se moque", "mocking", "kidding me", "amateurs", "amateurisme", "n importe quoi", nonsense, absurd, absurde, hopeless,
		appalling, deplorable, unmoglich`},
	{name: "legal_threat", weight: 3, keywords: `"contacter mon avocat", "contacte mon avocat", "mon avocat va", "mon avocat vous", "notre avocat va",
		"my lawyer will", "contact my lawyer", "contacting my lawyer", "our lawyers will", "porter plainte", "portez plainte",
		"file a complaint", "tribunal", "en justice", "see you in court", "take legal action", "engager des poursuites", mediateur,
		"defenseur des droits", ombudsman, "prevenir les journalistes", "contacter la presse", "la presse", "les journaux",
		"the papers", "the press", "the journalists", "reseaux sociaux", "social media", "60 millions", "ufc que choisir",
		"je saisis", "saisirai", "je saisirai", "report you"`},
	{name: "repeated_contact", weight: 2, keywords: `"troisieme fois", "3e fois", "3eme fois", "deuxieme fois", "encore une fois",
		"toujours aucune", "toujours aucun", "toujours rien", "deja appele", "deja ecrit", "deja signale", "plusieurs fois",
		"depuis des semaines", "third time", "3rd time", "second time", "once again", "still nothing", "still no answer",
		"still haven t", "several times", "for weeks", "already called", "already written", "already reported", "chased you",
		"i ve chased", "jamais rappele", "never called back", "never get a call back", "personne ne me rappelle", "deuxieme erreur",
		"second mistake", "third email", "cinq fois", "five times", "three times", "twice already"`},
	{name: "waiting", weight: 1, keywords: `"toujours pas", "still not", "still waiting", "still no", relance, relances, reminder, chasing,
		nobody, "no one", "personne ne", "aucune reponse", "sans reponse", "no reply", "no answer", pourquoi, why, "when are you",
		"quand allez vous", "sans prevenir", "without warning", "without any", "sans aucune", "pour rien", "for nothing",
		"formal complaint", "reclamation formelle"`},
	{name: "exasperation", weight: 2, keywords: `"ras le bol", marre, "en ai assez", "en ont assez", "ca suffit", "enough is enough",
		exaspere*, exasperant*, furieux, furieuse, furious, colere, angry, scandalise*, mecontent*, unhappy, "not happy",
		"pas content", "pas contente", "fed up", "sick of", "tired of", frustrat*, annoyed, upset, irritated, penible,
		"c est pas normal", "pas normal", "not normal", "very disappointed", "tres decu", "tres decue", unbelievable,
		incroyable, "how is it possible", "comment est il possible", "n en peut plus", "can t take", "pourquoi rien",
		"why is nothing", exhausted, "est ce legal", "even legal", "pas autorise", "not allowed", "j exige", "i demand",
		"j attends des excuses", "expect an apology", "i expect this", "j attends que", dedommagement, compensation,
		"mal renseigne", "wrong information", rude, desagreable, "going round in circles", "tourne en rond", "pour rien",
		"wasted", "perdu deux heures", "sommes epuises", "suis epuise", "suis epuisee", abusive, "c est abusif"`},
}

// urgencySignals mark urgency, critical first.
var urgencySignals = []signal{
	{name: UrgencyCritical, keywords: `danger, "en danger", accident, blesse, blessee, "fuite de gaz", incendie, inondation,
		emergency, injured, fire, flood, "gas leak", "life threatening", malaise, secours, "ambulance"`},
	{name: UrgencyHigh, keywords: `urgent*, urgence, asap, "au plus vite", "des que possible", "le plus rapidement",
		immediatement, "tout de suite", "aujourd hui", "ce soir", "avant demain", "demain matin", deadline, "date limite",
		expire, "today", "tonight", "as soon as possible", "right away", immediately, "by tomorrow", "before tomorrow",
		"time sensitive", "dernier delai", "last day"`},
}

// lexicon is a compiled set of signals: one rule per signal, all matched in one scan.
type lexicon struct {
	set     *rules.Set
	signals map[string]signal
}

func compileSignals(sigs []signal) *lexicon {
	l := &lexicon{signals: map[string]signal{}}
	var rs []rules.Rule
	for _, s := range sigs {
		rs = append(rs, rules.Rule{Name: s.name, When: rules.Condition{Keywords: s.keywords}, Continue: true})
		l.signals[s.name] = s
	}
	set, err := rules.Compile(rs, rules.Options{})
	if err != nil {
		panic(fmt.Sprintf("classify: built-in lexicon: %v", err)) // a bug in the lists above, caught by tests
	}
	l.set = set
	return l
}

// match returns the names of the signals found in subject and text.
func (l *lexicon) match(subject, text string) []string {
	return l.set.Evaluate(rules.Message{Subject: subject, Text: text}).Rules
}

var (
	tensionLexicon = compileSignals(tensionSignals)
	urgencyLexicon = compileSignals(urgencySignals)
)

// Thresholds of the tension score.
const (
	tenseScore      = 2
	aggressiveScore = 6
)

// tension rates how tense the writer is, with the signals that weighed.
func tension(subject, text string) (string, []string) {
	score := 0
	decisive := false
	var why []string
	for _, name := range tensionLexicon.match(subject, text) {
		s := tensionLexicon.signals[name]
		score += s.weight
		decisive = decisive || s.decisive
		why = append(why, name)
	}
	if n := shouting(subject) + shouting(text); n > 0 {
		score += 2 + min(n-1, 1)
		why = append(why, "capitals")
	}
	if n := exclamationRuns(subject) + exclamationRuns(text); n > 0 {
		score += min(n, 2)
		why = append(why, "exclamation")
	}
	switch {
	case decisive || score >= aggressiveScore:
		return Aggressive, why
	case score >= tenseScore:
		return Tense, why
	}
	return Calm, why
}

// urgency rates how urgent the message says it is.
func urgency(subject, text string) (string, []string) {
	found := urgencyLexicon.match(subject, text)
	for _, level := range []string{UrgencyCritical, UrgencyHigh} {
		for _, f := range found {
			if f == level {
				return level, []string{level + "_words"}
			}
		}
	}
	return UrgencyNormal, nil
}

// shouting counts runs of capitals: 3 or more upper-case words of 4+ letters in a row or
// in total, or a text whose letters are mostly capitals. Short acronyms (RDV, CAF, SVP)
// do not count.
func shouting(s string) int {
	upperWords, letters, upper := 0, 0, 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		n := utf8.RuneCountInString(w)
		allUpper := true
		for _, r := range w {
			letters++
			if unicode.IsUpper(r) {
				upper++
			} else {
				allUpper = false
			}
		}
		if allUpper && n >= 4 {
			upperWords++
		}
	}
	switch {
	case letters >= 20 && upper*10 >= letters*6:
		return 2
	case upperWords >= 3:
		return 1
	}
	return 0
}

// exclamationRuns counts runs of two or more ! or ?.
func exclamationRuns(s string) int {
	runs, n := 0, 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && (s[i] == '!' || s[i] == '?') {
			n++
			continue
		}
		if n >= 2 {
			runs++
		}
		n = 0
	}
	return runs
}
