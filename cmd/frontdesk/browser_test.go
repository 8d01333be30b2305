package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdeskhq/frontdesk/web/webtest"
)

// startDemoHub runs serve --demo in this process on a free port and returns its URL.
func startDemoHub(t *testing.T) string {
	t.Helper()
	e := &env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(string) string { return "" }, isTerminal: func() bool { return false }}
	base, _, stop, err := startBenchHub(context.Background(), e, []string{"--data", t.TempDir()}, "--demo")
	if err != nil {
		t.Fatalf("start the hub: %v", err)
	}
	t.Cleanup(stop)
	return base
}

// agentLogin signs a tab in as an agent of the demo data and waits for the inbox.
func agentLogin(t *testing.T, tab *webtest.Tab, base, email string) {
	t.Helper()
	tab.Run("open the login page", chromedp.Navigate(base+"/login?lang=fr"))
	tab.Run("sign in",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), "demo-accueil-2026"),
		chromedp.Click(chromedp.CSS("button[type=submit]")))
	// The form submission navigates: wait for the new page's list, not with a poll that
	// a navigation would interrupt.
	tab.Run("reach the inbox", chromedp.WaitVisible(chromedp.CSS("#conversations li button")))
}

// TestBrowserVisitorAndAgent is the whole loop in a real Chromium: a visitor chats from
// the demo site, an agent signed in to the live inbox sees the message arrive, answers,
// and the visitor reads the answer. Markup typed on either side stays text.
func TestBrowserVisitorAndAgent(t *testing.T) {
	base := startDemoHub(t)
	browser := webtest.NewBrowser(t)
	agent := browser.Tab(t)
	agentLogin(t, agent, base, "camille.martin@demo.frontdesk.test")

	visitor := browser.Tab(t)
	visitor.Run("open the customer's site", chromedp.Navigate(base+"/demo/site"))
	visitor.WaitFor("the launcher", `document.querySelector("button[aria-expanded]") !== null`, nil, 10*time.Second)
	visitor.Run("open the chat", chromedp.Click(chromedp.CSS("button[aria-expanded]")))
	frame := visitor.Frame("iframe", `document.getElementById("pname") !== null`, 10*time.Second)
	code := time.Now().UnixNano()
	name := fmt.Sprintf(`Zoé %d <img src=x onerror="window.top.__pwned=1">`, code)
	text := fmt.Sprintf(`Bonjour <script>window.top.__pwned=1</script> code %d`, code)
	visitor.WaitFor("the pre-chat form focused", `document.activeElement && document.activeElement.id === "pname"`, frame, 5*time.Second)
	visitor.Run("type a name and start", chromedp.KeyEvent(name+"\r"))
	visitor.WaitFor("the composer focused", `document.activeElement && document.activeElement.id === "text"`, frame, 5*time.Second)
	visitor.Run("send a message", chromedp.KeyEvent(text+"\r"))
	visitor.WaitFor("the message stored", `document.querySelector("#list li.msg.visitor") && document.querySelector("#list li.msg.visitor")._m.seq > 0`, frame, 10*time.Second)

	// The agent's list updates live, the visitor's name shown as text. (The preview may be
	// the router's automatic reply, outside office hours.)
	who := fmt.Sprintf("Zoé %d", code)
	agent.WaitFor("the new conversation in the list", fmt.Sprintf(
		`Array.from(document.querySelectorAll("#conversations .who")).some(p => p.textContent.startsWith(%q))`, who), nil, 10*time.Second)
	agent.Run("open it", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const p = Array.from(document.querySelectorAll("#conversations .who")).find(p => p.textContent.startsWith(%q));
		p.closest("button").click(); })()`, who)))
	agent.WaitFor("the visitor's message in the thread", fmt.Sprintf(
		`Array.from(document.querySelectorAll("#thread .msg.in .text")).some(p => p.textContent === %q)`, text), nil, 10*time.Second)
	agent.WaitFor("no markup parsed or run in the inbox",
		`window.__pwned === undefined && document.querySelectorAll("#thread script, #thread img, #conversations img").length === 0`, nil, time.Second)

	// Visitor typing shows in the agent's thread.
	visitor.WaitFor("the composer still focused", `document.activeElement && document.activeElement.id === "text"`, frame, 5*time.Second)
	visitor.Run("type without sending", chromedp.KeyEvent("Je"))
	agent.WaitFor("the visitor's typing shown", `document.getElementById("presence-line").textContent.length > 0`, nil, 10*time.Second)

	reply := "Bonjour Zoé, la mairie est ouverte de 9 h à 17 h. <b>Bienvenue</b>"
	agent.Run("answer", chromedp.SendKeys(chromedp.CSS("#reply"), reply), chromedp.Click(chromedp.CSS(".composer button[type=submit]")))
	agent.WaitFor("the reply in the thread", fmt.Sprintf(
		`Array.from(document.querySelectorAll("#thread .msg.out .text")).some(p => p.textContent === %q)`, reply), nil, 10*time.Second)
	visitor.WaitFor("the visitor reads the answer", fmt.Sprintf(
		`Array.from(document.querySelectorAll("#list li.msg.agent")).some(li => li.textContent.includes(%q))`, reply), frame, 10*time.Second)
	visitor.WaitFor("no markup run on the customer's page", `window.__pwned === undefined`, nil, time.Second)
	agent.WaitFor("the reply marked sent", `Array.from(document.querySelectorAll("#thread .msg.out .head")).some(h => h.textContent.includes("Envoyé"))`, nil, 10*time.Second)
}

// TestBrowserAgentAppAccessibility runs axe-core on the agent's pages, in French and
// English, and drives the inbox with the keyboard only.
func TestBrowserAgentAppAccessibility(t *testing.T) {
	base := startDemoHub(t)
	tab := webtest.NewBrowser(t).Tab(t)
	for _, lang := range []string{"fr", "en"} {
		tab.Run("open the login page", chromedp.Navigate(base+"/login?lang="+lang))
		tab.WaitFor("the form", `document.getElementById("email") !== null`, nil, 5*time.Second)
		tab.Axe()
	}
	agentLogin(t, tab, base, "sophie.laurent@demo.frontdesk.test")
	tab.WaitFor("the list drawn", `document.querySelectorAll("#conversations li button").length >= 5`, nil, 10*time.Second)
	// Keyboard: j opens the first conversation, j the next, r puts the focus in the reply box.
	tab.Run("press j", chromedp.KeyEvent("j"))
	tab.WaitFor("a conversation open", `document.querySelector("#thread .items") !== null`, nil, 10*time.Second)
	first := webtest.Eval(tab, "title", chromedp.Evaluate[string](`document.getElementById("thread-title").textContent`))
	// The routing panel explains in French: the priority's factors and the tension.
	tab.WaitFor("the routing explained in French", `(() => {
		const f = document.querySelector(".routing .factors"), w = document.querySelector(".routing .why-tension");
		return f !== null && /^base \d+/.test(f.textContent) && w !== null && /^tension (Calme|Tendu|Agressif) : /.test(w.textContent); })()`, nil, 10*time.Second)
	// The timeline names the router's events in French, never by their codes.
	tab.WaitFor("the timeline in French", `(() => {
		const ev = Array.from(document.querySelectorAll("#thread .event")).map((e) => e.textContent);
		return ev.some((x) => /^Classée : [A-ZÉ]/.test(x)) && ev.some((x) => /^Priorité changée : \d+/.test(x)) &&
			!ev.some((x) => /^[a-z]+_[a-z_]+|^classified/.test(x)); })()`, nil, 10*time.Second)
	tab.Run("press j again", chromedp.KeyEvent("j"))
	tab.WaitFor("the next conversation", fmt.Sprintf(`document.getElementById("thread-title").textContent !== %q`, first), nil, 10*time.Second)
	tab.Run("press Escape then r", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("r"))
	tab.WaitFor("focus in the reply box", `document.activeElement && document.activeElement.id === "reply"`, nil, 5*time.Second)
	tab.Run("leave the box", chromedp.Evaluate[chromedp.Void](`document.activeElement.blur()`), chromedp.KeyEvent("?"))
	tab.WaitFor("the help dialog", `document.getElementById("help").open`, nil, 5*time.Second)
	tab.Axe()
	tab.Run("close the help", chromedp.KeyEvent("\x1b"))
	tab.Axe()
	tab.Run("open the phone messages", chromedp.Navigate(base+"/messages#all"))
	tab.WaitFor("the form", `document.querySelectorAll("#pm-recipient option").length > 0`, nil, 10*time.Second)
	tab.Axe()
	// Search: a word finds the demo's passport request, the match marked through the DOM;
	// a facet becomes a removable filter chip.
	tab.Run("open the search page", chromedp.Navigate(base+"/search?q=passeport"))
	tab.WaitFor("the hits", `document.querySelectorAll("#hits .hit").length > 0 && document.querySelector("#hits mark") !== null`, nil, 10*time.Second)
	tab.WaitFor("the match is the word", `Array.from(document.querySelectorAll("#hits mark")).every(m => m.textContent.toLowerCase().startsWith("passeport"))`, nil, time.Second)
	// The count is said once, in the results' own live region, not again in the status line.
	tab.WaitFor("the count in the summary alone", `/^(1 résultat|[\d\u202f\u00a0]+ résultats) en [\d,]+ ms\.$/.test(document.getElementById("summary").textContent) &&
		document.getElementById("summary").getAttribute("role") === "status" && document.getElementById("status").textContent === ""`, nil, 5*time.Second)
	tab.WaitFor("languages named, not coded", `Array.from(document.querySelectorAll("#facets .facet")).some(b => /^français \(\d+\)$/.test(b.textContent))`, nil, 5*time.Second)
	tab.Run("filter by a facet", chromedp.Click(chromedp.CSS("#facets .facet")))
	tab.WaitFor("a filter chip", `document.querySelectorAll("#chips .chip").length === 1`, nil, 10*time.Second)
	tab.Axe()
	// A word found nowhere finds nothing (it once found everything), says what to try,
	// and offers no empty export.
	tab.Run("search a word found nowhere", chromedp.Navigate(base+"/search?q=xylophone"))
	tab.WaitFor("no result, with advice, and no export", `document.getElementById("summary").textContent.startsWith("Aucun résultat. Vérifiez l'orthographe") &&
		document.querySelectorAll("#hits .hit").length === 0 && document.getElementById("export").parentElement.hidden`, nil, 10*time.Second)
	// A word too common to be looked for is named, beside the count of what the others found.
	tab.Run("search with a common word", chromedp.Navigate(base+"/search?q=le+passeport"))
	tab.WaitFor("the common word named", `/ ms\. Mots trop courants, non cherchés : «\u00a0le\u00a0»\.$/.test(document.getElementById("summary").textContent) &&
		document.querySelectorAll("#hits .hit").length > 0`, nil, 10*time.Second)
	tab.Run("search common words only", chromedp.Navigate(base+"/search?q=le"))
	tab.WaitFor("nothing found, the word named before the advice", `document.getElementById("summary").textContent ===
		"Aucun résultat. Mots trop courants, non cherchés : «\u00a0le\u00a0». Vérifiez l'orthographe, essayez un autre mot ou retirez un filtre."`, nil, 10*time.Second)
	// A web visitor without a name is named as in the inbox, by their visitor id, never "#9".
	tab.Run("search the nameless visitor's message", chromedp.Navigate(base+"/search?q=trousseau"))
	tab.WaitFor("the visitor named by their id", `document.querySelectorAll("#hits .hit").length > 0 &&
		Array.from(document.querySelectorAll("#hits .hit h3")).every(h => h.textContent.startsWith("visitor-b21e07 — "))`, nil, 10*time.Second)
	tab.Run("back to the word", chromedp.Navigate(base+"/search?q=passeport"))
	tab.WaitFor("the hits and the export", `document.querySelectorAll("#hits .hit").length > 0 && !document.getElementById("export").parentElement.hidden`, nil, 10*time.Second)
	// A hit opens its conversation at the message found: in view, marked, focused.
	hitText := webtest.Eval(tab, "the first hit's text", chromedp.Evaluate[string](`document.querySelector("#hits .hit p").textContent`))
	href := webtest.Eval(tab, "the first hit's link", chromedp.Evaluate[string](`document.querySelector("#hits .hit h3 a").href`))
	if !regexp.MustCompile(`/inbox#all/\d+/\d+/passeport$`).MatchString(href) {
		t.Fatalf("hit link %q does not name the message", href)
	}
	tab.Run("open the first hit", chromedp.Navigate(href))
	tab.WaitFor("the message found, focused in its conversation", `(() => {
		const a = document.activeElement;
		return a !== null && a.matches("#thread article.msg.target") && a.querySelector(".target-label").textContent === "Trouvé par la recherche" &&
			/passeport/i.test(a.textContent) && document.querySelectorAll("#thread .target").length === 1 &&
			a.querySelectorAll("p.text mark").length > 0 && Array.from(a.querySelectorAll("p.text mark")).every(m => m.textContent.toLowerCase() === "passeport"); })()`, nil, 10*time.Second)
	if !strings.Contains(strings.ToLower(hitText), "passeport") {
		t.Fatalf("first hit %q does not show the word", hitText)
	}
	tab.Axe()
	// A reply with a file: chosen, listed, sent, and shown with its link in the thread.
	form := filepath.Join(t.TempDir(), "liste-des-pieces.txt")
	if err := os.WriteFile(form, []byte("Ancien passeport\nPhoto d'identité\nJustificatif de domicile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "brouillon.txt")
	if err := os.WriteFile(other, []byte("à ne pas envoyer\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A file heavier than a reply may carry (25 MiB in all) is refused on choosing, and
	// said, rather than sent in full and refused after.
	heavy := filepath.Join(t.TempDir(), "scan-lourd.pdf")
	if err := os.WriteFile(heavy, make([]byte, 26<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	tab.Run("choose a file too heavy", chromedp.SetUploadFiles(chromedp.CSS("#reply-files"), []string{heavy}))
	tab.WaitFor("refused at once, and said", `document.querySelectorAll(".composer .chosen li").length === 0 &&
		document.getElementById("status").textContent.startsWith("scan-lourd.pdf n'est pas ajouté : les fichiers d'une réponse pèsent au plus")`, nil, 5*time.Second)
	tab.Run("attach two files", chromedp.SetUploadFiles(chromedp.CSS("#reply-files"), []string{other, form}))
	tab.WaitFor("both listed, each with its remove button", `document.querySelectorAll(".composer .chosen li").length === 2 &&
		document.querySelector('.composer .chosen button[aria-label="Retirer brouillon.txt"]') !== null`, nil, 5*time.Second)
	tab.Run("remove the draft", chromedp.Click(chromedp.CSS(`.composer .chosen button[aria-label="Retirer brouillon.txt"]`)))
	tab.WaitFor("the file listed, the focus on its remove button", `document.querySelectorAll(".composer .chosen li").length === 1 &&
		document.querySelector(".composer .chosen li").textContent.startsWith("liste-des-pieces.txt") &&
		document.activeElement.getAttribute("aria-label") === "Retirer liste-des-pieces.txt"`, nil, 5*time.Second)
	tab.Run("note the busy form", chromedp.Evaluate[chromedp.Void](`(() => {
		const f = document.querySelector(".composer"), b = f.querySelector("button[type=submit]");
		window.__busy = [];
		new MutationObserver(() => { if (f.getAttribute("aria-busy") === "true") window.__busy.push(b.disabled + " " + b.textContent); })
			.observe(f, { attributes: true, attributeFilter: ["aria-busy"] }); })()`))
	tab.Run("send it", chromedp.SendKeys(chromedp.CSS("#reply"), "Voici la liste des pièces."), chromedp.Click(chromedp.CSS(".composer button[type=submit]")))
	tab.WaitFor("the reply with its file in the thread", `Array.from(document.querySelectorAll("#thread article.msg.out")).some(a =>
		a.textContent.includes("Voici la liste des pièces.") && a.querySelector('a[href^="/api/v1/attachments/"]') !== null &&
		a.querySelector('a[href^="/api/v1/attachments/"]').textContent.includes("liste-des-pieces.txt")) &&
		document.querySelector(".composer .chosen li") === null`, nil, 10*time.Second)
	tab.WaitFor("the form was busy while sending", `window.__busy.length === 1 && window.__busy[0] === "true Envoi…"`, nil, time.Second)
	tab.Axe()
	tab.Run("open the English inbox", chromedp.Navigate(base+"/inbox?lang=en"))
	tab.WaitFor("the list drawn", `document.querySelectorAll("#conversations li button").length >= 5 && document.documentElement.lang === "en"`, nil, 10*time.Second)
	tab.Axe()
}

// TestBrowserPersonalDataRequest: an administrator finds a demo contact from their
// address, exports their data, is stopped by a wrong confirmation, erases them, and
// reads both operations in the audit log; the page passes axe before and after.
func TestBrowserPersonalDataRequest(t *testing.T) {
	base := startDemoHub(t)
	tab := webtest.NewBrowser(t).Tab(t)
	agentLogin(t, tab, base, "admin@demo.frontdesk.test")
	tab.Run("open the administration", chromedp.Navigate(base+"/admin?lang=fr"))
	tab.WaitFor("the audit table", `document.querySelector("#audit tbody tr") !== null`, nil, 10*time.Second)
	tab.Axe()
	status := `document.getElementById("status").textContent`
	tab.Run("find Marie Dupont",
		chromedp.SendKeys(chromedp.CSS("#gdpr-find input"), " Marie.Dupont@example.fr"),
		chromedp.Click(chromedp.CSS("#gdpr-find button")))
	tab.WaitFor("the contact", `!document.getElementById("gdpr-contact").hidden && document.activeElement.id === "gdpr-name"`, nil, 10*time.Second)
	tab.WaitFor("the identity listed", `document.getElementById("gdpr-identities").textContent.includes("marie.dupont@example.fr")`, nil, time.Second)
	tab.Axe()
	tab.Run("export",
		chromedp.SendKeys(chromedp.CSS("#gdpr-export input"), "demande 2026-118"),
		chromedp.Click(chromedp.CSS("#gdpr-export button")))
	tab.WaitFor("the export announced", status+`.startsWith("Export téléchargé : 1 conversation")`, nil, 10*time.Second)
	tab.Run("erase with a wrong confirmation",
		chromedp.SendKeys(chromedp.CSS("#gdpr-erase input[name=reason]"), "demande 2026-119"),
		chromedp.SendKeys(chromedp.CSS("#gdpr-erase input[name=confirm]"), "999999"),
		chromedp.Click(chromedp.CSS("#gdpr-erase button")))
	tab.WaitFor("the refusal", status+`.startsWith("Le numéro saisi ne correspond pas")`, nil, 10*time.Second)
	tab.Run("confirm with the right number", chromedp.Evaluate[chromedp.Void](`(() => {
		const i = document.querySelector("#gdpr-erase input[name=confirm]");
		i.value = document.getElementById("gdpr-name").textContent.match(/\d+/)[0];
	})()`), chromedp.Click(chromedp.CSS("#gdpr-erase button")))
	tab.WaitFor("the erasure announced", status+`.startsWith("Contact effacé : 1 conversation(s), 3 message(s)")`, nil, 10*time.Second)
	tab.WaitFor("both operations in the log", `document.querySelectorAll("#audit tbody tr").length === 2 &&
		document.querySelector("#audit tbody tr td:nth-child(3)").textContent === "Effacement"`, nil, 10*time.Second)
	tab.Axe()
	tab.Run("find her again", chromedp.SendKeys(chromedp.CSS("#gdpr-find input"), "marie.dupont@example.fr"),
		chromedp.Click(chromedp.CSS("#gdpr-find button")))
	tab.WaitFor("not found any more", status+` === "Aucun contact avec cette adresse ou ce numéro."`, nil, 10*time.Second)
}

// TestBrowserLiveUpdateKeepsDraft: an agent typing a reply while the conversation
// changes elsewhere (another request changes its priority) keeps the reply box, its
// draft, the focus and the caret; the next letters go on into the draft instead of
// firing one-key shortcuts (j opens the next conversation).
func TestBrowserLiveUpdateKeepsDraft(t *testing.T) {
	base := startDemoHub(t)
	tab := webtest.NewBrowser(t).Tab(t)
	agentLogin(t, tab, base, "sophie.laurent@demo.frontdesk.test")
	tab.WaitFor("the list drawn", `document.querySelectorAll("#conversations li button").length >= 2`, nil, 10*time.Second)
	tab.Run("open the first conversation", chromedp.Evaluate[chromedp.Void](`document.querySelector("#conversations li button").click()`))
	tab.WaitFor("the reply box", `document.querySelector("#thread .items") !== null && document.getElementById("reply") !== null`, nil, 10*time.Second)
	// The side panel is drawn with the conversation; wait for it, so that the change
	// below is the only redraw left.
	tab.WaitFor("the side panel", `document.getElementById("f-priority") !== null`, nil, 10*time.Second)
	title := webtest.Eval(tab, "title", chromedp.Evaluate[string](`document.getElementById("thread-title").textContent`))
	prio := webtest.Eval(tab, "priority", chromedp.Evaluate[int](`Number(document.getElementById("f-priority").value)`))
	next := 37
	if prio == next {
		next = 38
	}
	const draft = "Bonjour, nous avons bien reçu"
	tab.Run("type a draft", chromedp.SendKeys(chromedp.CSS("#reply"), draft))
	tab.WaitFor("the draft typed, focus in the box", fmt.Sprintf(`document.getElementById("reply").value === %q && document.activeElement.id === "reply"`, draft), nil, 5*time.Second)
	tab.Run("put the caret after Bonjour", chromedp.Evaluate[chromedp.Void](`document.getElementById("reply").setSelectionRange(7, 7)`))
	// Another request, outside the page's controls, changes the conversation: the
	// server sends conversation.updated over the agent socket.
	tab.Run("change the priority from elsewhere", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const id = location.hash.split("/")[1];
		fetch("/api/v1/conversations/" + id, { method: "PATCH", credentials: "same-origin",
			headers: { "Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf },
			body: JSON.stringify({ priority: %d }) }).then(r => { window.__patched = r.status; });
	})()`, next)))
	tab.WaitFor("the change made", `window.__patched === 200`, nil, 10*time.Second)
	tab.WaitFor("the change shown live", fmt.Sprintf(`document.getElementById("f-priority").value === "%d" &&
		Array.from(document.querySelectorAll("#thread .event")).some(e => e.textContent.startsWith("Priorité changée : %d"))`, next, next), nil, 10*time.Second)
	state := webtest.Eval(tab, "the reply box after the update", chromedp.Evaluate[string](`(() => {
		const r = document.getElementById("reply"), a = document.activeElement;
		return JSON.stringify({ value: r && r.value, active: a ? (a.id || a.tagName) : null, caret: r && r.selectionStart });
	})()`))
	want := fmt.Sprintf(`{"value":%q,"active":"reply","caret":7}`, draft)
	if state != want {
		tab.Fail("after a live update, the reply box is %s, want %s", state, want)
	}
	tab.Run("type on", chromedp.KeyEvent(" je"))
	tab.WaitFor("the letters in the draft, the same conversation open", fmt.Sprintf(
		`document.getElementById("reply").value === %q && document.activeElement.id === "reply" && document.getElementById("thread-title").textContent === %q`,
		"Bonjour je, nous avons bien reçu", title), nil, 5*time.Second)
	// A link to another conversation, followed while the inbox is open, opens it (the
	// address was read only when the page loaded).
	other := webtest.Eval(tab, "another conversation", chromedp.Evaluate[string](
		`Array.from(document.querySelectorAll("#conversations li button")).map(b => b.dataset.id).find(id => id !== location.hash.split("/")[1])`))
	tab.Run("follow a link to it", chromedp.Evaluate[chromedp.Void](`location.hash = "#all/`+other+`"`))
	tab.WaitFor("the linked conversation open", `document.querySelector('#conversations button[aria-current="true"]') !== null &&
		document.querySelector('#conversations button[aria-current="true"]').dataset.id === "`+other+`" && document.getElementById("thread-title").textContent !== `+fmt.Sprintf("%q", title), nil, 10*time.Second)
}

// TestBrowserFocusAfterActions: the controls used in the inbox's side panel, the search
// facets and the phone messages keep the focus when their part of the page is redrawn;
// a snooze without its date is stopped in the page; errors read in the page's language.
func TestBrowserFocusAfterActions(t *testing.T) {
	base := startDemoHub(t)
	tab := webtest.NewBrowser(t).Tab(t)
	agentLogin(t, tab, base, "sophie.laurent@demo.frontdesk.test")
	tab.Run("open the first conversation", chromedp.Evaluate[chromedp.Void](`document.querySelector("#conversations li button").click()`))
	tab.WaitFor("the side panel", `document.querySelector('#side [data-focus="assign"]') !== null && document.querySelector("#side .routing dl") !== null`, nil, 10*time.Second)
	tab.WaitFor("no author shown as #undefined", `!document.getElementById("thread").textContent.includes("#undefined")`, nil, time.Second)
	tab.WaitFor("the snooze date hidden", `document.getElementById("f-until").offsetParent === null`, nil, time.Second)
	tab.Run("assign to me", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('#side [data-focus="assign"]'); b.focus(); b.click(); })()`))
	tab.WaitFor("saved, the panel redrawn, the button focused again", `document.getElementById("status").textContent === "Enregistré." &&
		document.getElementById("f-assignee").value === document.body.dataset.userId &&
		document.activeElement.dataset.focus === "assign" && document.activeElement.isConnected`, nil, 10*time.Second)
	tab.Run("choose snoozed without a date", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("f-status"); s.value = "snoozed"; s.dispatchEvent(new Event("change"));
		const b = document.querySelector('#side [data-focus="save"]'); b.focus(); b.click(); })()`))
	tab.WaitFor("the date asked for", `document.getElementById("f-until").offsetParent !== null && document.activeElement.id === "f-until" &&
		document.getElementById("status").textContent === "Choisissez la date de fin de veille."`, nil, 5*time.Second)
	tab.Run("save the priority", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.getElementById("f-status"); s.value = "open"; s.dispatchEvent(new Event("change"));
		document.getElementById("status").textContent = "";
		document.getElementById("f-priority").value = "61";
		const b = document.querySelector('#side [data-focus="save"]'); b.focus(); b.click(); })()`))
	tab.WaitFor("saved, Save focused again", `document.getElementById("status").textContent === "Enregistré." &&
		document.activeElement.dataset.focus === "save" && document.getElementById("f-priority").value === "61"`, nil, 10*time.Second)

	// Errors read in French: from the API's code, and when the server cannot be reached.
	tab.Run("fail two calls", chromedp.Evaluate[chromedp.Void](`(() => {
		window.FD.api("GET", "/api/v1/conversations/999999999").catch(e => { window.__notFound = e.message; });
		window.FD.api("GET", "http://127.0.0.1:9/api").catch(e => { window.__network = e.message; }); })()`))
	tab.WaitFor("the errors translated", `window.__notFound && window.__notFound.startsWith("Introuvable") &&
		window.__network === "Connexion au serveur impossible. Vérifiez le réseau et réessayez."`, nil, 10*time.Second)

	tab.Run("open the search page", chromedp.Navigate(base+"/search?q=passeport"))
	tab.WaitFor("the facets", `document.querySelector("#facets .facet") !== null`, nil, 10*time.Second)
	tab.Run("press a facet", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector("#facets .facet"); window.__facet = b.dataset.focus; b.focus(); b.click(); })()`))
	tab.WaitFor("the facet pressed and focused", `document.querySelectorAll("#chips .chip").length === 1 &&
		document.activeElement.dataset.focus === window.__facet && document.activeElement.getAttribute("aria-pressed") === "true"`, nil, 10*time.Second)
	tab.Run("remove the chip", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector("#chips .chip"); b.focus(); b.click(); })()`))
	tab.WaitFor("the chip gone, its facet focused", `document.querySelectorAll("#chips .chip").length === 0 &&
		document.activeElement.dataset.focus === window.__facet && document.activeElement.getAttribute("aria-pressed") === "false"`, nil, 10*time.Second)
	tab.Run("search with a bad date", chromedp.Evaluate[chromedp.Void](`(() => {
		const to = document.getElementsByName("to")[0]; to.type = "text"; to.value = "x";
		document.getElementById("search-form").requestSubmit(); })()`))
	tab.WaitFor("the error in French, the old hits gone", `document.querySelectorAll("#hits .hit").length === 0 &&
		document.querySelectorAll("#facets .facet").length === 0 && /Vérifiez la saisie/.test(document.getElementById("summary").textContent)`, nil, 10*time.Second)

	tab.Run("take a phone message for oneself", chromedp.Evaluate[chromedp.Void](`fetch("/api/v1/phone-messages", { method: "POST", credentials: "same-origin",
		headers: { "Content-Type": "application/json", "X-CSRF-Token": document.body.dataset.csrf },
		body: JSON.stringify({ recipient_user_id: Number(document.body.dataset.userId), caller_name: "M. Petit", phone: "+33612345678",
			subject: "Rappeler pour le dossier", callback_requested: true, urgency: "normal", idempotency_key: "focus-test-1" }) }).then(r => { window.__pmMade = r.status; })`))
	tab.WaitFor("the phone message taken", `window.__pmMade === 201`, nil, 10*time.Second)
	tab.Run("open the phone messages", chromedp.Navigate(base+"/messages#mine"))
	tab.WaitFor("the recipient to choose", `document.getElementById("pm-recipient").value === "" && !document.getElementById("pm-recipient").checkValidity() &&
		document.querySelectorAll("#pm-recipient option").length > 1`, nil, 10*time.Second)
	tab.WaitFor("the message, read and call back", `document.querySelector('#pm-list [data-focus^="ack-"]') !== null && document.querySelector('#pm-list [data-focus^="done-"]') !== null`, nil, 10*time.Second)
	tab.Run("mark it read", chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector('#pm-list [data-focus^="ack-"]'); b.focus(); b.click(); })()`))
	tab.WaitFor("Lu gone, Rappel fait focused", `document.getElementById("status").textContent === "Enregistré." &&
		document.querySelector('#pm-list [data-focus^="ack-"]') === null && document.activeElement.matches('#pm-list [data-focus^="done-"]')`, nil, 10*time.Second)

	tab.Run("open the English inbox", chromedp.Navigate(base+"/inbox?lang=en#all"))
	tab.WaitFor("English units", `document.querySelectorAll("#conversations .meta").length > 0 &&
		!Array.from(document.querySelectorAll("#conversations .meta")).some(m => / j$| : /.test(m.textContent))`, nil, 10*time.Second)
}

// TestBrowserLayoutFits: the inbox fits its window, French top bar on two lines or not
// (no page scroll, the top bar in view with a conversation open, each column scrolling
// on its own), and on a 390 px phone no page scrolls sideways.
func TestBrowserLayoutFits(t *testing.T) {
	base := startDemoHub(t)
	tab := webtest.NewBrowser(t).Tab(t)
	agentLogin(t, tab, base, "admin@demo.frontdesk.test")
	for _, lang := range []string{"fr", "en"} {
		for _, size := range [][2]int64{{1280, 800}, {1024, 768}} {
			what := fmt.Sprintf("%s %dx%d", lang, size[0], size[1])
			tab.Run(what+": open the inbox", chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(base+"/inbox?lang="+lang+"#all"))
			tab.WaitFor(what+": the list drawn", `document.querySelectorAll("#conversations li button").length >= 2`, nil, 10*time.Second)
			tab.Run(what+": open a conversation", chromedp.Evaluate[chromedp.Void](`document.querySelector("#conversations li button").click()`))
			tab.WaitFor(what+": the thread and side panel", `document.querySelector("#thread .items") !== null && document.getElementById("f-priority") !== null`, nil, 10*time.Second)
			got := webtest.Eval(tab, what+": measure", chromedp.Evaluate[string](`(() => {
				const s = document.scrollingElement, cols = document.querySelector(".columns").getBoundingClientRect();
				const own = Array.from(document.querySelectorAll(".list, .thread .items, .side")).every(c => getComputedStyle(c).overflowY === "auto" &&
					c.getBoundingClientRect().bottom <= innerHeight + 1);
				return JSON.stringify({ pageFits: s.scrollHeight <= innerHeight && s.scrollWidth <= innerWidth && scrollY === 0,
					topbarInView: document.querySelector(".topbar").getBoundingClientRect().top >= 0, columnsToBottom: Math.abs(cols.bottom - innerHeight) <= 1,
					columnsScroll: own });
			})()`))
			if want := `{"pageFits":true,"topbarInView":true,"columnsToBottom":true,"columnsScroll":true}`; got != want {
				sizes := webtest.Eval(tab, what+": sizes", chromedp.Evaluate[string](
					`[document.scrollingElement.scrollWidth, document.scrollingElement.scrollHeight, innerWidth, innerHeight, scrollY].join(" ")`))
				tab.Fail("%s: inbox layout %s (page scroll width, height, window width, height, scrollY: %s), want %s", what, got, sizes, want)
			}
		}
	}
	tab.Run("a phone's window", chromedp.EmulateViewport(390, 844))
	for _, lang := range []string{"fr", "en"} {
		for _, page := range []struct{ path, ready string }{
			{"/inbox?lang=" + lang + "#all", `document.querySelectorAll("#conversations li button").length >= 2`},
			{"/search?lang=" + lang + "&q=passeport", `document.querySelectorAll("#hits .hit").length > 0`},
			{"/messages?lang=" + lang + "#all", `document.querySelectorAll("#pm-recipient option").length > 1`},
			{"/admin?lang=" + lang, `document.querySelector("#users tbody tr") !== null`},
		} {
			tab.Run("open "+page.path, chromedp.Navigate(base+page.path))
			tab.WaitFor(page.path+" drawn", page.ready, nil, 10*time.Second)
			w := webtest.Eval(tab, page.path+": measure", chromedp.Evaluate[string](`document.scrollingElement.scrollWidth + "/" + innerWidth`))
			if fits := webtest.Eval(tab, page.path+": fits", chromedp.Evaluate[bool](`document.scrollingElement.scrollWidth <= innerWidth`)); !fits {
				tab.Fail("at 390x844, %s scrolls sideways: scrollWidth/innerWidth = %s", page.path, w)
			}
		}
	}
	tab.Axe()
}
