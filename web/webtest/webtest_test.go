package webtest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func TestBrowserScreenshotAndAxe(t *testing.T) {
	pages := map[string]string{
		"/good": `<!doctype html><html lang="en"><head><title>Good</title></head><body><main><h1>Hello</h1>
			<button type="button" id="b">Send</button><p id="out"></p></main></body></html>`,
		"/bad": `<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>
			<img src="/x.png"><button type="button"></button><input type="text"></main></body></html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(pages[r.URL.Path]))
	}))
	defer srv.Close()
	tab := NewBrowser(t).Tab(t)
	tab.Run("open the good page", chromedp.Navigate(srv.URL+"/good"))
	if got := Eval(tab, "read the title", chromedp.Title()); got != "Good" {
		t.Fatalf("title = %q", got)
	}
	tab.Run("click", chromedp.Evaluate[chromedp.Void](`document.getElementById("b").onclick = () => out.textContent = "clicked"`),
		chromedp.Click(chromedp.CSS("#b")))
	tab.WaitFor("the click", `document.getElementById("out").textContent === "clicked"`, nil, 5*time.Second)
	for _, v := range tab.Axe() {
		if v.Serious() {
			t.Fatalf("Axe() on a clean page returned %+v", v)
		}
	}
	tab.Run("open the bad page", chromedp.Navigate(srv.URL+"/bad"))
	found := map[string]bool{}
	for _, v := range tab.AxeViolations() {
		if v.Serious() {
			found[v.ID] = true
		}
	}
	for _, id := range []string{"image-alt", "button-name", "label"} {
		if !found[id] {
			t.Errorf("AxeViolations() on a page without alt text and labels misses %s (found %v)", id, found)
		}
	}
	t.Setenv("FRONTDESK_SCREENSHOTS", t.TempDir())
	p, err := tab.Screenshot()
	if err != nil {
		t.Fatalf("Screenshot() = %v", err)
	}
	if st, err := os.Stat(p); err != nil || st.Size() < 1000 {
		t.Fatalf("screenshot %s: %v", p, err)
	}
}
