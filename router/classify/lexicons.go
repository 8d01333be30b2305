package classify

// categoryLexicons are words that usually mean a category, French and English. They
// become features of the model (one per category whose words occur), so that what the
// dataset shows about a few of these words carries over to the others.
var categoryLexicons = []signal{
	{name: "appointment", keywords: `rendez-vous, rdv, creneau*, reporter, decaler, reprogrammer, "annuler mon", entretien, reserver,
		appointment*, reschedul*, slot, slots, postpone, "move my", "book a", "set up a time", "arrange a meeting", "schedule a"`},
	{name: "billing", keywords: `factur*, paiement*, payer, paye, prelev*, rembours*, devis, tarif*, montant, cotisation, acompte, caution,
		avoir, virement, cheque, rib, frais, debite, invoice*, bill, bills, billing, payment*, pay, paid, refund*, debit*, charged, fee, fees,
		quote, deposit, "credit note", "bank details", instalment*, price, cost, euros, rate`},
	{name: "order", keywords: `command*, livraison, livre, livrer, "bon de commande", colis, copie, copies, exemplaire*, extrait,
		reapprovision*, acheter, order*, deliver*, parcel, copy, reorder, restock*, "purchase order", buy, shipped`},
	{name: "complaint", keywords: `reclamation, plainte, signal*, mecontent*, "en panne", casse, cassee, dangereu*, inadmissible,
		inacceptable, bruit, fuite, desagreable, abime*, deborde, complain*, broken, damaged, dangerous, "out of order", noise, leak*,
		rude, unacceptable, overflowing, report, reporting, "not working", stuck`},
	{name: "spam", keywords: `"cliquez ici", "click here", unsubscribe, desinscri*, desabonn*, gratuit, gratuits, gagn*, bitcoin, crypto*,
		casino, iptv, followers, backlinks, seo, referencement, garanti*, congratulations, felicitations, "pret", loan*, replica*,
		eligible, eligibilite, "free", "win", winner, "limited", "offre", "offer", "expire", "verify", "verifiez", "confirmez", http, https, www`},
	{name: "other", keywords: `remerci*, "merci beaucoup", "merci infiniment", "thank you so much", "big thank", "thanks anyway",
		"reponse automatique", "automatic reply", "out of office", "absent du bureau", "absente du bureau", candidature, cv,
		"mauvais numero", "wrong number", test, testing, tester, retraite, anniversaire, birthday, bravo, congratulat*, "well done",
		invitation, invite, stage, internship, apprenticeship, alternance, "for your information", "pour information"`},
}

var categoryLexicon = compileSignals(categoryLexicons)
