package webchat

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/inbox/calendar"
	"github.com/frontdeskhq/frontdesk/web/webtest"
)

// hostSite is a customer's website on another origin than the hub, embedding the widget
// with the one-line snippet.
func hostSite(t *testing.T) (*httptest.Server, *string) {
	hub := new(string)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="fr"><head><title>Site client</title></head><body>
<main><h1>Site d'un client</h1><p>Une page quelconque.</p></main>
<script src="%s/widget.js" data-site="other" async></script></body></html>`, *hub)
	}))
	t.Cleanup(srv.Close)
	return srv, hub
}

// visitorMessages returns the texts of the visitor's conversation as stored, oldest first.
func visitorMessages(t *testing.T, f *fixture, site, token string) []inbox.Message {
	t.Helper()
	c, err := f.svc.VisitorConversation(context.Background(), site, visitorID(token))
	if err != nil {
		t.Fatalf("VisitorConversation() = %v", err)
	}
	msgs, err := f.svc.VisitorMessages(context.Background(), c.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// domMessages is a script listing the chat's messages as "from:text:state" lines.
const domMessages = `Array.from(document.querySelectorAll("#list li.msg:not(.greet)")).map(li =>
	li._m.from + ":" + li.children[1].textContent + ":" + (li._m.seq || "pending")).join("\n")`

func TestBrowserWidgetOnAnotherOriginKeyboardOnly(t *testing.T) {
	host, hubURL := hostSite(t)
	f := newFixture(t, func(c *Config, _ *Deps) { c.Sites[1].AllowedOrigins = []string{host.URL} })
	*hubURL = f.srv.URL
	tab := webtest.NewBrowser(t).Tab(t)
	tab.Run("open the customer's page", chromedp.Navigate(host.URL+"/"))
	tab.WaitFor("the launcher", `document.querySelector("button[aria-expanded]") !== null`, nil, 10*time.Second)

	// Keyboard only: Tab to the launcher, Enter opens the chat and moves focus into it.
	tab.Run("tab to the launcher", chromedp.KeyEvent("\t"))
	tab.WaitFor("focus on the launcher", `document.activeElement && document.activeElement.getAttribute("aria-expanded") === "false"`, nil, 5*time.Second)
	tab.Run("open with Enter", chromedp.KeyEvent("\r"))
	frame := tab.Frame("iframe", `document.getElementById("status").textContent === "Un agent vous répond"`, 10*time.Second)
	tab.WaitFor("the pre-chat form focused", `document.activeElement && document.activeElement.id === "pname"`, frame, 5*time.Second)

	name := `<img src=x onerror="window.top.__pwned=1;window.__pwned=1">`
	tab.Run("type a name and start", chromedp.KeyEvent(name+"\r"))
	tab.WaitFor("the composer focused", `document.activeElement && document.activeElement.id === "text"`, frame, 5*time.Second)
	payload := `<script>window.__pwned=1</script><b onmouseover="window.__pwned=1">Bonjour</b>`
	tab.Run("type a message and send", chromedp.KeyEvent(payload+"\r"))
	tab.WaitFor("the message acknowledged", `document.querySelector("#list li.msg.visitor") && document.querySelector("#list li.msg.visitor")._m.seq > 0`, frame, 10*time.Second)

	token := webtest.InFrame[string](tab, "read the token", `localStorage.getItem("fd:t:other")`, frame)
	msgs := visitorMessages(t, f, "other", token)
	if len(msgs) != 1 || msgs[0].Text != payload {
		t.Fatalf("stored messages = %+v, want the payload once", msgs)
	}
	v, err := f.svc.Visitor(context.Background(), "other", visitorID(token))
	if err != nil || v.Name != name {
		t.Fatalf("stored visitor = %+v, %v; want the name as typed", v, err)
	}
	f.reply(msgs[0].ConversationID, `<img src=x onerror="window.__pwned=1"> Bonjour, que puis-je faire ?`)
	tab.WaitFor("the agent's reply", `document.querySelector("#list li.msg.agent") !== null`, frame, 10*time.Second)
	tab.WaitFor("the reply announced", `document.getElementById("live").textContent.startsWith("Nouveau message de Camille")`, frame, 5*time.Second)
	got := webtest.InFrame[string](tab, "list messages", domMessages, frame)
	want := fmt.Sprintf("visitor:%s:%d\nagent:<img src=x onerror=\"window.__pwned=1\"> Bonjour, que puis-je faire ?:%d", payload, msgs[0].ID, msgs[0].ID+1)
	if got != want {
		t.Fatalf("chat shows\n%s\nwant\n%s", got, want)
	}
	safe := `window.__pwned === undefined && document.querySelectorAll("#list script, #list b, #list img").length === 0`
	tab.WaitFor("no payload executed or parsed in the chat", safe, frame, time.Second)
	tab.WaitFor("no payload executed in the page", `window.__pwned === undefined`, nil, time.Second)

	// Escape closes the chat and gives focus back to the launcher.
	tab.Run("close with Escape", chromedp.KeyEvent("\x1b"))
	tab.WaitFor("focus back on the launcher", `document.activeElement && document.activeElement.getAttribute("aria-expanded") === "false" && window.__pwned === undefined`, nil, 5*time.Second)

	// A reload keeps the history (token in the iframe's storage, replay from the hub).
	tab.Run("reload", chromedp.Navigate(host.URL+"/"))
	tab.WaitFor("the launcher", `document.querySelector("button[aria-expanded]") !== null && document.querySelector("iframe") !== null`, nil, 10*time.Second)
	tab.Run("open the chat", chromedp.Click(chromedp.CSS("button[aria-expanded]")))
	frame = tab.Frame("iframe", `document.querySelectorAll("#list li.msg.agent, #list li.msg.visitor").length === 2`, 10*time.Second)
	if again := webtest.InFrame[string](tab, "list messages", domMessages, frame); again != want {
		t.Fatalf("after reload the chat shows\n%s\nwant\n%s", again, want)
	}
}

func TestBrowserCutConnectionDeliversEachMessageOnceInOrder(t *testing.T) {
	f := newFixture(t, nil)
	tab := webtest.NewBrowser(t).Tab(t)
	tab.Run("open the chat page", chromedp.Navigate(f.srv.URL+"/chat?site=demo"))
	tab.WaitFor("connected", `document.getElementById("status").textContent === "Un agent vous répond"`, nil, 10*time.Second)
	send := func(text string) {
		tab.Run("send "+text, chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
			document.getElementById("pre").hidden = true;
			const t = document.getElementById("text"); t.value = %q;
			document.getElementById("composer").requestSubmit(); })()`, text)))
	}
	send("un")
	tab.WaitFor("first ack", `document.querySelector("#list li.msg.visitor")._m.seq > 0`, nil, 10*time.Second)
	token := webtest.Eval(tab, "token", chromedp.Evaluate[string](`localStorage.getItem("fd:t:demo")`))
	conv := visitorMessages(t, f, "demo", token)[0].ConversationID

	// The network goes: the socket drops and reconnecting fails for a while. Both sides
	// keep writing.
	f.cut.Store(true)
	if n := f.dropSockets("demo", token); n != 1 {
		t.Fatalf("dropped %d sockets, want 1", n)
	}
	tab.WaitFor("the chat noticed", `document.getElementById("status").textContent === "Connexion…"`, nil, 10*time.Second)
	send("deux")
	f.reply(conv, "réponse A")
	send("trois")
	f.reply(conv, "réponse B")
	send("quatre")
	time.Sleep(300 * time.Millisecond) // let the browser try and fail to reconnect
	f.cut.Store(false)

	tab.WaitFor("everything delivered", `document.querySelectorAll("#list li.msg.visitor, #list li.msg.agent").length === 6 &&
		Array.from(document.querySelectorAll("#list li.msg")).every(li => !li._m || li._m.seq > 0)`, nil, 30*time.Second)
	stored := visitorMessages(t, f, "demo", token)
	var want []string
	for _, m := range stored {
		from := "visitor"
		if m.Kind == inbox.KindOut {
			from = "agent"
		}
		want = append(want, fmt.Sprintf("%s:%s:%d", from, m.Text, m.ID))
	}
	got := webtest.Eval(tab, "list messages", chromedp.Evaluate[string](domMessages))
	if got != strings.Join(want, "\n") {
		t.Fatalf("chat shows\n%s\nstore has\n%s", got, strings.Join(want, "\n"))
	}
	var texts []string
	for _, m := range stored {
		if m.Kind == inbox.KindIn {
			texts = append(texts, m.Text)
		}
	}
	if strings.Join(texts, ",") != "un,deux,trois,quatre" {
		t.Fatalf("stored visitor messages = %v, want each once, in order", texts)
	}
	if p := webtest.Eval(tab, "outbox", chromedp.Evaluate[string](`localStorage.getItem("fd:p:demo") || ""`)); p != "" {
		t.Fatalf("outbox after delivery = %s, want empty", p)
	}
}

func TestBrowserAccessibility(t *testing.T) {
	f := newFixture(t, nil)
	tab := webtest.NewBrowser(t).Tab(t)
	tab.Run("open the demo site", chromedp.Navigate(f.srv.URL+"/demo/site"))
	tab.WaitFor("the launcher", `document.querySelector("button[aria-expanded]") !== null`, nil, 10*time.Second)
	tab.Axe()
	tab.Run("open the chat page", chromedp.Navigate(f.srv.URL+"/chat?site=demo"))
	tab.WaitFor("connected with the pre-chat form", `document.getElementById("status").textContent === "Un agent vous répond" && !document.getElementById("pre").hidden`, nil, 10*time.Second)
	tab.Axe()
	tab.Run("send", chromedp.Evaluate[chromedp.Void](`(() => { document.getElementById("pre").hidden = true;
		document.getElementById("text").value = "Bonjour"; document.getElementById("composer").requestSubmit(); })()`))
	tab.WaitFor("ack", `document.querySelector("#list li.msg.visitor")._m.seq > 0`, nil, 10*time.Second)
	token := webtest.Eval(tab, "token", chromedp.Evaluate[string](`localStorage.getItem("fd:t:demo")`))
	f.reply(visitorMessages(t, f, "demo", token)[0].ConversationID, "Bonjour, je vous écoute.")
	tab.WaitFor("reply", `document.querySelector("#list li.msg.agent") !== null`, nil, 10*time.Second)
	tab.Axe()
	tab.Run("switch to English", chromedp.Click(chromedp.CSS("#lang")))
	tab.WaitFor("English", `document.documentElement.lang === "en" && document.getElementById("send").textContent === "Send"`, nil, 5*time.Second)
	tab.Axe()
}

// TestBrowserAfterHoursEmail: after office hours the pre-chat form asks for an email;
// sending without one marks and focuses the field, whose hint says why (once, not
// again in the alert), and the form leaves the conversation room on a phone-sized
// window.
func TestBrowserAfterHoursEmail(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) {
		c.Sites[0].OfficeHours = calendar.Hours{Week: map[string][]string{"monday": {"09:00-10:00"}}} // the clock says Friday
	})
	tab := webtest.NewBrowser(t).Tab(t)
	tab.Run("a phone-sized window", chromedp.EmulateViewport(390, 600))
	tab.Run("open the chat page", chromedp.Navigate(f.srv.URL+"/chat?site=demo"))
	tab.WaitFor("the form asks for an email", `!document.getElementById("pre").hidden && document.getElementById("pemail").required &&
		document.getElementById("pemail-h").textContent === "Indiquez votre e-mail pour recevoir la réponse."`, nil, 10*time.Second)
	tab.WaitFor("the conversation keeps room", `document.getElementById("log").getBoundingClientRect().height >= 100`, nil, 5*time.Second)
	tab.Run("start without an email", chromedp.Click(chromedp.CSS("#pstart")))
	tab.WaitFor("the field marked and focused, the reason said once", `document.activeElement.id === "pemail" &&
		document.getElementById("pemail").getAttribute("aria-invalid") === "true" && document.getElementById("notice").hidden`, nil, 5*time.Second)
	tab.Axe()
	tab.Run("type an email", chromedp.SendKeys(chromedp.CSS("#pemail"), "marie@example.fr"))
	tab.WaitFor("no longer marked", `!document.getElementById("pemail").hasAttribute("aria-invalid")`, nil, 5*time.Second)
}
