package webchat

// serverTexts are the strings the server writes to visitors, per language. The
// widget's own strings live in static/chat.js.
type serverTexts struct {
	replySubject      string // %s: site name
	emailFooter       string // %s: site name
	transcriptSubject string // %s: site name
	transcriptIntro   string // %s: site name
	you, agent        string
}

var textsFR = serverTexts{
	replySubject:      "%s : réponse à votre message",
	emailFooter:       "Réponse à votre message laissé sur le chat de %s. Pour continuer, revenez sur le chat du site.",
	transcriptSubject: "%s : transcription de votre conversation",
	transcriptIntro:   "Voici la transcription de votre conversation avec %s.",
	you:               "Vous",
	agent:             "Accueil",
}

var textsEN = serverTexts{
	replySubject:      "%s: reply to your message",
	emailFooter:       "Reply to the message you left on the chat of %s. To continue, come back to the chat on the website.",
	transcriptSubject: "%s: transcript of your conversation",
	transcriptIntro:   "Here is the transcript of your conversation with %s.",
	you:               "You",
	agent:             "Front desk",
}

// texts returns the strings for lang, else for the site's default language.
func texts(lang, def string) serverTexts {
	switch pickLang(lang, def) {
	case "en":
		return textsEN
	}
	return textsFR
}
