// Package webtest runs browser tests in a real headless Chromium through chromedp: it
// starts the browser with a fresh profile, opens tabs, saves a screenshot of the page
// when a step fails, and runs axe-core accessibility checks.
//
// Chromium is /usr/bin/chromium (FRONTDESK_CHROMIUM overrides). axe-core is read from
// FRONTDESK_AXE (the path of axe.min.js), by default
// ~/.cache/frontdesk/axe/node_modules/axe-core/axe.min.js, where .ci/test.sh installs
// it. When either is missing the test fails with the command that installs it: browser
// tests are never skipped.
//
// Screenshots of failures go to FRONTDESK_SCREENSHOTS (default: a frontdesk-screenshots
// folder in the system temp folder), named after the test; the path is logged.
//
// Tests of other packages (the agent app, end-to-end visitor and agent) use the same
// Browser: one Tab per actor, each with its own context.
package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// DefaultTimeout bounds one Run of actions.
const DefaultTimeout = 20 * time.Second

// Browser is one headless Chromium process for a test.
type Browser struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// ChromiumPath returns the browser executable tests use.
func ChromiumPath() string {
	if p := os.Getenv("FRONTDESK_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// NewBrowser starts a headless Chromium with a fresh profile, stopped at the end of the
// test.
func NewBrowser(t testing.TB) *Browser {
	t.Helper()
	path := ChromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("webtest: no Chromium at %s (%v): install it with `apt-get install chromium` (or run .ci/test.sh, which does), or set FRONTDESK_CHROMIUM", path, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.Flag("accept-lang", "fr-FR,fr"),
		chromedp.Env("LANG=fr_FR.UTF-8", "LANGUAGE=fr"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		acancel()
		t.Fatalf("webtest: start Chromium: %v", err)
	}
	b := &Browser{ctx: ctx, cancel: func() { cancel(); acancel() }}
	t.Cleanup(b.cancel)
	return b
}

// Tab opens a new tab (its own target, sharing the profile: same storage, as two tabs
// of one person). The tab closes at the end of the test.
func (b *Browser) Tab(t testing.TB) *Tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		t.Fatalf("webtest: open tab: %v", err)
	}
	t.Cleanup(cancel)
	return &Tab{Ctx: ctx, t: t}
}

// Tab is one browser tab bound to a test.
type Tab struct {
	// Ctx is the chromedp context of the tab, for actions Run does not cover.
	Ctx context.Context
	t   testing.TB
}

// Run runs actions within DefaultTimeout; on failure it saves a screenshot and fails
// the test with what was being done.
func (tb *Tab) Run(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := tb.Try(DefaultTimeout, actions...); err != nil {
		tb.Fail("%s: %v", what, err)
	}
}

// Try runs actions within timeout and returns their error.
func (tb *Tab) Try(timeout time.Duration, actions ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(tb.Ctx, timeout)
	defer cancel()
	return chromedp.Do(ctx, actions...)
}

// Eval runs action (an Evaluate, a Poll, a Text...) on the tab and returns its value;
// on failure it saves a screenshot and fails the test.
func Eval[T any](tb *Tab, what string, action chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.Ctx, DefaultTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.Fail("%s: %v", what, err)
	}
	return v
}

// Fail saves a screenshot of the tab and fails the test.
func (tb *Tab) Fail(format string, args ...any) {
	tb.t.Helper()
	if p, err := tb.Screenshot(); err == nil {
		tb.t.Logf("screenshot of the failure: %s", p)
	} else {
		tb.t.Logf("no screenshot: %v", err)
	}
	tb.t.Fatalf(format, args...)
}

// Screenshot saves the tab's viewport as a PNG named after the test and returns its path.
func (tb *Tab) Screenshot() (string, error) {
	dir := os.Getenv("FRONTDESK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "frontdesk-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(tb.Ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return "", err
	}
	name := regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(tb.t.Name(), "_")
	p := filepath.Join(dir, name+"-"+time.Now().Format("150405.000")+".png")
	return p, os.WriteFile(p, png, 0o644)
}

// AxePath returns where axe.min.js is read from.
func AxePath() string {
	if p := os.Getenv("FRONTDESK_AXE"); p != "" {
		return p
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "frontdesk", "axe", "node_modules", "axe-core", "axe.min.js")
}

// Violation is one axe-core rule broken on the page.
type Violation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// Axe checks the tab's page with axe-core and fails the test on any serious or
// critical violation (others are logged).
func (tb *Tab) Axe() []Violation {
	tb.t.Helper()
	vs := tb.AxeViolations()
	var bad []string
	for _, v := range vs {
		line := fmt.Sprintf("%s (%s): %s", v.ID, v.Impact, v.Help)
		for _, n := range v.Nodes {
			line += fmt.Sprintf("\n    %v %s", n.Target, n.HTML)
		}
		if v.Serious() {
			bad = append(bad, line)
		} else {
			tb.t.Logf("axe (not failing): %s", line)
		}
	}
	if len(bad) > 0 {
		tb.Fail("axe-core found %d serious or critical violations:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	return vs
}

// Serious reports whether the violation's impact is serious or critical.
func (v Violation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

// AxeViolations injects axe-core into the tab's page and returns what it finds against
// WCAG 2.1 A and AA and best practices.
func (tb *Tab) AxeViolations() []Violation {
	tb.t.Helper()
	src, err := os.ReadFile(AxePath())
	if err != nil {
		tb.t.Fatalf("webtest: axe-core not found at %s (%v): install it with `npm install --prefix ~/.cache/frontdesk/axe axe-core` (or run .ci/test.sh, which does), or set FRONTDESK_AXE", AxePath(), err)
	}
	run := `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, iframes: false})
		.then(r => JSON.stringify(r.violations))`
	tb.Run("inject axe-core", chromedp.Evaluate[chromedp.Void](string(src)))
	raw := Eval(tb, "run axe-core", chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	var vs []Violation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.t.Fatalf("webtest: axe result: %v", err)
	}
	return vs
}

// WaitFor polls the JavaScript expression (in frame, when not nil) until it is truthy,
// or fails the test after timeout with a screenshot. An expression that throws counts
// as false.
func (tb *Tab) WaitFor(what, expr string, frame *chromedp.Node, timeout time.Duration) {
	tb.t.Helper()
	opts := []chromedp.PollOption{chromedp.WithPollingInterval(20 * time.Millisecond), chromedp.WithPollingTimeout(timeout)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	ctx, cancel := context.WithTimeout(tb.Ctx, timeout+5*time.Second)
	defer cancel()
	// An exception (the frame's page not there yet) counts as false, not as a failure.
	guarded := "(() => { try { return (" + expr + "); } catch (e) { return false; } })()"
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](guarded, opts...)); err != nil {
		tb.Fail("waited %s for %s (%s): %v", timeout, what, expr, err)
	}
}

// Frame waits until the iframe that selector finds has loaded a document where ready
// (a JavaScript expression) is truthy, and returns the iframe's node for WaitFor and
// InFrame. The node is looked up again while the frame navigates.
func (tb *Tab) Frame(selector, ready string, timeout time.Duration) *chromedp.Node {
	tb.t.Helper()
	guarded := "(() => { try { return (" + ready + "); } catch (e) { return false; } })()"
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(tb.Ctx, time.Second)
		nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSS(selector)))
		if err == nil && len(nodes) > 0 {
			_, err = chromedp.Run(ctx, chromedp.Poll[chromedp.Void](guarded, chromedp.WithPollingInFrame(nodes[0]),
				chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(800*time.Millisecond)))
			if err == nil {
				cancel()
				return nodes[0]
			}
		}
		cancel()
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fail("waited %s for frame %s with %s: %v", timeout, selector, ready, last)
	return nil
}

// InFrame runs a JavaScript expression in frame (an iframe's node; nil: the page) and
// returns its value once truthy.
func InFrame[T any](tb *Tab, what, expr string, frame *chromedp.Node) T {
	tb.t.Helper()
	opts := []chromedp.PollOption{chromedp.WithPollingInterval(20 * time.Millisecond), chromedp.WithPollingTimeout(DefaultTimeout)}
	if frame != nil {
		opts = append(opts, chromedp.WithPollingInFrame(frame))
	}
	return Eval(tb, what, chromedp.Poll[T](expr, opts...))
}
