package mailparse

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the expected results of testdata/eml")

// summary is what the corpus test compares: every field of Message, attachments by size.
type summary struct {
	MessageID   string       `json:"message_id"`
	InReplyTo   []string     `json:"in_reply_to,omitempty"`
	References  []string     `json:"references,omitempty"`
	From        Address      `json:"from"`
	To          []Address    `json:"to,omitempty"`
	Subject     string       `json:"subject"`
	Date        string       `json:"date,omitempty"`
	Text        string       `json:"text"`
	TextBytes   int          `json:"text_bytes,omitempty"`
	Quoted      string       `json:"quoted,omitempty"`
	HTML        string       `json:"html,omitempty"`
	Attachments []attSummary `json:"attachments,omitempty"`
	Report      *Report      `json:"report,omitempty"`
	Warnings    []string     `json:"warnings,omitempty"`
}

type attSummary struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id,omitempty"`
	Inline      bool   `json:"inline,omitempty"`
	Size        int    `json:"size"`
}

func summarize(m *Message) summary {
	s := summary{
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, References: m.References, From: m.From, To: m.To,
		Subject: m.Subject, Text: m.Text, Quoted: m.Quoted, HTML: m.HTML, Report: m.Report, Warnings: m.Warnings,
	}
	if len(s.Text) > 300 {
		s.TextBytes, s.Text = len(s.Text), s.Text[:300]
	}
	if !m.Date.IsZero() {
		s.Date = m.Date.UTC().Format(time.RFC3339)
	}
	if len(m.Attachments) > 5 {
		// Many-part mail: the count and the first ones say enough.
		m.Attachments = m.Attachments[:5]
	}
	for _, a := range m.Attachments {
		s.Attachments = append(s.Attachments, attSummary{a.Filename, a.ContentType, a.ContentID, a.Inline, len(a.Data)})
	}
	return s
}

// TestCorpus parses every testdata/eml/*.eml and compares with the .json beside it.
// The expected files were written with -update and then read line by line.
func TestCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/eml/*.eml")
	if err != nil || len(files) < 20 {
		t.Fatalf("corpus: %d files, %v", len(files), err)
	}
	p := New(Limits{})
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".eml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(summarize(p.Parse(raw)), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			want := strings.TrimSuffix(f, ".eml") + ".json"
			if *update {
				os.WriteFile(want, append(got, '\n'), 0o644)
				return
			}
			exp, err := os.ReadFile(want)
			if err != nil {
				t.Fatalf("no expected result: %v (run with -update, then check it)", err)
			}
			if strings.TrimSpace(string(exp)) != strings.TrimSpace(string(got)) {
				t.Errorf("Parse(%s) =\n%s\nwant\n%s", name, got, exp)
			}
		})
	}
}
