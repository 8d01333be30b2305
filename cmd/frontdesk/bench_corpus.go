package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Synthetic interaction history for `frontdesk bench search`: a town hall front desk's
// messages, four in five in French, with the topics, names, addresses and phone numbers
// a real desk sees. Deterministic for a seed.

var (
	firstNames = []string{"Marie", "Jean", "Camille", "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Théo", "Manon",
		"Louis", "Zoé", "Nathan", "Jade", "Enzo", "Éloïse", "Gabriel", "Anaïs", "Raphaël", "Céline", "John", "Emily",
		"Mohamed", "Fatima", "Sofia", "Ahmed", "Olivier", "Hélène", "François", "Agnès"}
	lastNames = []string{"Dupont", "Martin", "Bernard", "Petit", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
		"Lefèvre", "Michel", "Garcia", "Roux", "Fournier", "Girard", "Bonnet", "Dupuis", "Lambert", "Fontaine",
		"Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier", "Blanc", "Guérin", "Boyer", "Chevalier", "Smith"}
	domains = []string{"example.fr", "mail.example.com", "orange.example", "free.example", "gmail.example"}

	frTopics = [][]string{
		{"Bonjour, je souhaite renouveler mon passeport qui expire le mois prochain.", "Quels documents faut-il apporter pour le passeport de mon fils ?", "Le rendez-vous pour la carte d'identité a été annulé, pouvez-vous m'en proposer un autre ?"},
		{"Je voudrais un acte de naissance pour mon dossier de mariage.", "Nous souhaitons réserver la salle pour le mariage en juin.", "L'acte de décès de mon père comporte une erreur sur le nom."},
		{"J'ai reçu la facture de la cantine deux fois, merci de corriger.", "La facture de l'eau a été facturée en double ce trimestre.", "Je n'arrive pas à payer la facture en ligne, le site affiche une erreur."},
		{"Je dépose une réclamation concernant le bruit du chantier rue Victor Hugo.", "Réclamation : la voirie devant chez moi n'a pas été réparée depuis des mois.", "Les poubelles ne sont pas ramassées, c'est la troisième réclamation."},
		{"Où en est l'instruction de mon permis de construire ?", "Faut-il une déclaration préalable pour une clôture ?", "Le plan local d'urbanisme autorise-t-il une extension de la maison ?"},
		{"Je souhaite inscrire ma fille à l'école maternelle à la rentrée.", "Les horaires de la garderie ont changé sans que nous soyons prévenus.", "Comment obtenir une aide pour la cantine scolaire ?"},
		{"Je ne suis pas satisfait de l'accueil reçu hier au guichet.", "Merci pour votre aide rapide, tout est réglé.", "Pouvez-vous me rappeler au sujet de mon dossier ?"},
	}
	enTopics = [][]string{
		{"Hello, I need to renew my passport, which expires next month.", "What documents do I need for my son's passport appointment?", "My appointment was cancelled, can I book another one?"},
		{"I received two invoices for the school canteen, please fix it.", "The water invoice was charged twice this quarter.", "I cannot pay the invoice online, the website shows an error."},
		{"I would like a birth certificate for my wedding file.", "We want to book the town hall for our wedding in June.", "There is a mistake on my father's death certificate."},
		{"I am filing a complaint about the noise from the building site.", "The road outside my house has not been repaired for months.", "Thank you for your quick help, everything is sorted."},
	}
	frReplies = []string{"Bonjour, merci pour votre message. Nous revenons vers vous rapidement.",
		"Votre demande a bien été transmise au service concerné.", "Pouvez-vous nous envoyer une copie de votre justificatif de domicile ?",
		"Le rendez-vous est confirmé pour mardi à 10 h.", "Nous avons corrigé la facture, vous recevrez un avoir.",
		"Votre réclamation a été enregistrée sous le numéro indiqué."}
	enReplies = []string{"Hello, thank you for your message. We will get back to you shortly.",
		"Your request has been forwarded to the right department.", "Could you send us a copy of your proof of address?",
		"Your appointment is confirmed for Tuesday at 10 am.", "We have corrected the invoice; you will receive a credit note."}
	frNotes = []string{"Contact déjà venu la semaine dernière, dossier incomplet.", "Voir avec le service urbanisme avant de répondre.",
		"Contact tendu au téléphone, rester factuel.", "Doublon possible avec une autre réclamation."}
	fillers    = []string{"Merci d'avance.", "Cordialement.", "Bonne journée.", "Je reste disponible.", "C'est urgent.", ""}
	tagsPool   = []string{"urgent", "rappel", "dossier-incomplet", "vip", "doublon", "relance"}
	categories = []string{"etat-civil", "facturation", "reclamation", "urbanisme", "scolaire", "information"}
	benchTeams = []string{"accueil", "etat-civil", "urbanisme", "social", "compta"}
)

// person is a synthetic contact.
type person struct {
	name, email, phone string
	english            bool
}

func newPerson(r *rand.Rand, k int) person {
	f, l := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
	local := strings.ToLower(fold(f) + "." + fold(l))
	return person{
		name:    f + " " + l,
		email:   fmt.Sprintf("%s%d@%s", local, k, domains[r.IntN(len(domains))]),
		phone:   fmt.Sprintf("+336%08d", r.IntN(100000000)),
		english: r.IntN(5) == 0,
	}
}

// inboundText is a contact's message on topic t.
func inboundText(r *rand.Rand, p person, t int) string {
	var base string
	if p.english {
		ts := enTopics[t%len(enTopics)]
		base = ts[r.IntN(len(ts))]
	} else {
		ts := frTopics[t%len(frTopics)]
		base = ts[r.IntN(len(ts))]
	}
	extra := fillers[r.IntN(len(fillers))]
	if r.IntN(3) == 0 {
		extra += fmt.Sprintf(" Dossier %d.", 100000+r.IntN(900000))
	}
	return strings.TrimSpace(base + " " + extra)
}

func replyText(r *rand.Rand, english bool) string {
	if english {
		return enReplies[r.IntN(len(enReplies))]
	}
	return frReplies[r.IntN(len(frReplies))]
}

// fold drops the accents of the few letters in the name lists, for email addresses.
func fold(s string) string {
	return strings.NewReplacer("é", "e", "è", "e", "ë", "e", "ï", "i", "ç", "c", "É", "E").Replace(s)
}
