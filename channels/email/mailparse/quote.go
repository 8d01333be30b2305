package mailparse

import (
	"regexp"
	"strings"
)

// Attribution lines that open the quoted history of a reply, in English and French,
// as Gmail, Apple Mail, Thunderbird and Outlook write them.
var (
	attributionOne = regexp.MustCompile(`(?i)^(on .{4,200} wrote|le .{4,200} a écrit|el .{4,200} escribió)\s?:\s*$`)
	// Gmail and Apple Mail wrap long attributions over two lines.
	attributionTwo  = regexp.MustCompile(`(?i)^(on .{4,200}|le .{4,200})$`)
	attributionEnd  = regexp.MustCompile(`(?i)^.{0,200}(wrote|a écrit)\s?:\s*$`)
	originalMessage = regexp.MustCompile(`(?i)^-{2,}\s*(original message|message d'origine|message original)\s*-{2,}\s*$`)
	outlookFrom     = regexp.MustCompile(`(?i)^\*?(from|de)\s?:\*?\s`)
	outlookSent     = regexp.MustCompile(`(?i)^\*?(sent|envoyé|date)\s?:\*?\s`)
	outlookRule     = regexp.MustCompile(`^_{20,}\s*$`)
)

// splitQuote separates the new text of a reply from the quoted history that follows
// it. Inline replies (answers between quoted lines) are left whole, as is a message
// that would be empty without its quote.
func splitQuote(text string) (fresh, quoted string) {
	lines := strings.Split(text, "\n")
	cut := -1
	for i, l := range lines {
		l = strings.TrimSpace(l)
		switch {
		case attributionOne.MatchString(l), originalMessage.MatchString(l):
			cut = i
		case attributionTwo.MatchString(l) && i+1 < len(lines) && attributionEnd.MatchString(strings.TrimSpace(lines[i+1])):
			cut = i
		case outlookRule.MatchString(l) && i+1 < len(lines) && outlookFrom.MatchString(strings.TrimSpace(lines[i+1])):
			cut = i
		case outlookFrom.MatchString(l) && sentWithin(lines[i+1:], 3):
			cut = i
		case strings.HasPrefix(l, ">") && allQuoted(lines[i:]):
			cut = i
		}
		if cut >= 0 {
			break
		}
	}
	if cut <= 0 {
		return text, ""
	}
	fresh = strings.TrimSpace(strings.Join(lines[:cut], "\n"))
	if fresh == "" {
		return text, ""
	}
	return fresh, strings.TrimSpace(strings.Join(lines[cut:], "\n"))
}

func sentWithin(lines []string, n int) bool {
	for i := 0; i < n && i < len(lines); i++ {
		if outlookSent.MatchString(strings.TrimSpace(lines[i])) {
			return true
		}
	}
	return false
}

// allQuoted reports whether every non-blank line starts with ">".
func allQuoted(lines []string) bool {
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, ">") {
			return false
		}
	}
	return true
}
