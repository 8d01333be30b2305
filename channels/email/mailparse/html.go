package mailparse

import (
	"html"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// newPolicy is the HTML allowlist: text formatting, lists, tables, links (http, https,
// mailto, tel) and inline images by cid: only. No script, style sheet, form, frame,
// event handler or remote image (a tracking pixel would tell the sender who read the
// mail and from where).
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardAttributes()
	p.AllowElements("p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike",
		"sub", "sup", "small", "big", "blockquote", "pre", "code", "hr", "center", "font",
		"h1", "h2", "h3", "h4", "h5", "h6", "abbr", "cite", "q", "address")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("align", "valign", "colspan", "rowspan", "width").OnElements("td", "th", "table", "tr", "p", "div")
	p.AllowAttrs("color").Matching(regexp.MustCompile(`^#?[0-9a-zA-Z]{1,20}$`)).OnElements("font")
	p.AllowStyles("color", "background-color", "font-weight", "font-style", "text-decoration", "text-align").Globally()
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto", "tel", "cid")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("src").Matching(regexp.MustCompile(`^cid:[^\s"'<>]{1,250}$`)).OnElements("img")
	p.AllowAttrs("alt", "width", "height").OnElements("img")
	p.AllowAttrs("open").Matching(regexp.MustCompile(`^(|open)$`)).OnElements("details")
	p.AllowElements("summary")
	p.SkipElementsContent("script", "style", "title", "head", "noscript", "template", "object", "iframe")
	p.AddSpaceWhenStrippingTag(true)
	return p
}

// quoteSummary labels the fold of a quoted history.
const quoteSummary = "Message précédent / Previous message"

// isQuoteStart reports whether n starts the quoted history of a reply in the HTML of
// the common clients: Gmail, Apple Mail and Thunderbird (blockquote type=cite),
// Outlook (divRplyFwdMsg), Yahoo.
func isQuoteStart(n *xhtml.Node) bool {
	if n.Type != xhtml.ElementNode {
		return false
	}
	attr := func(k string) string {
		for _, a := range n.Attr {
			if a.Key == k {
				return a.Val
			}
		}
		return ""
	}
	class := " " + attr("class") + " "
	switch {
	case n.DataAtom == atom.Blockquote && strings.EqualFold(attr("type"), "cite"):
		return true
	case strings.Contains(class, " gmail_quote ") || strings.Contains(class, " yahoo_quoted ") || strings.Contains(class, " moz-cite-prefix "):
		return true
	case attr("id") == "divRplyFwdMsg" || attr("id") == "appendonsend":
		return true
	}
	return false
}

// foldHTMLQuote moves the quoted history (the first quote start and everything after
// it at the same level) into a closed <details> element. The input is returned
// unchanged when no quote is found or it cannot be parsed.
func foldHTMLQuote(src string) string {
	doc, err := xhtml.Parse(strings.NewReader(src))
	if err != nil {
		return src
	}
	var start *xhtml.Node
	var find func(n *xhtml.Node)
	find = func(n *xhtml.Node) {
		for c := n.FirstChild; c != nil && start == nil; c = c.NextSibling {
			if isQuoteStart(c) {
				start = c
				return
			}
			find(c)
		}
	}
	find(doc)
	if start == nil || start.Parent == nil {
		return src
	}
	parent := start.Parent
	details := &xhtml.Node{Type: xhtml.ElementNode, Data: "details", DataAtom: atom.Details}
	summary := &xhtml.Node{Type: xhtml.ElementNode, Data: "summary", DataAtom: atom.Summary}
	summary.AppendChild(&xhtml.Node{Type: xhtml.TextNode, Data: quoteSummary})
	details.AppendChild(summary)
	parent.InsertBefore(details, start)
	for n := start; n != nil; {
		next := n.NextSibling
		parent.RemoveChild(n)
		details.AppendChild(n)
		n = next
	}
	var b strings.Builder
	if err := xhtml.Render(&b, doc); err != nil {
		return src
	}
	return b.String()
}

// htmlToText extracts readable text from HTML, for mail that has no plain-text part.
func htmlToText(src string) string {
	doc, err := xhtml.Parse(strings.NewReader(src))
	if err != nil {
		return ""
	}
	var b strings.Builder
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		switch n.Type {
		case xhtml.TextNode:
			b.WriteString(strings.Join(strings.Fields(n.Data), " "))
			if strings.HasSuffix(n.Data, " ") || strings.HasSuffix(n.Data, "\n") {
				b.WriteByte(' ')
			}
			return
		case xhtml.ElementNode:
			switch n.DataAtom {
			case atom.Script, atom.Style, atom.Head, atom.Title, atom.Noscript, atom.Template:
				return
			case atom.Br:
				b.WriteByte('\n')
				return
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == xhtml.ElementNode {
			switch n.DataAtom {
			case atom.P, atom.Div, atom.Tr, atom.Li, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5,
				atom.H6, atom.Blockquote, atom.Pre, atom.Table, atom.Hr, atom.Ul, atom.Ol:
				b.WriteByte('\n')
			case atom.Td, atom.Th:
				b.WriteByte('\t')
			}
		}
	}
	walk(doc)
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	blank := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			blank++
			if blank > 1 {
				continue
			}
		} else {
			blank = 0
		}
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// quotedHTML renders a plain-text reply as HTML with its quoted history folded.
func quotedHTML(text, quoted string) string {
	para := func(s string) string {
		return strings.ReplaceAll(html.EscapeString(s), "\n", "<br>")
	}
	return "<div>" + para(text) + "</div><details><summary>" + html.EscapeString(quoteSummary) +
		"</summary><div>" + para(quoted) + "</div></details>"
}
