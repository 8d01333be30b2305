package main

import (
	"strings"
	"testing"
)

// TestProgressBarToAFile: to a file or a pipe (a log) the bar writes whole lines, no
// carriage returns, and a failed run leaves no end state claimed.
func TestProgressBarToAFile(t *testing.T) {
	var b strings.Builder
	p := newProgressBar(&b, "reindex", 100)
	for i := range 50 {
		p.update(i) // within five seconds: nothing written
	}
	p.done(100)
	if got := b.String(); strings.Contains(got, "\r") || strings.Count(got, "\n") != 1 || !strings.Contains(got, "100% 100/100") {
		t.Fatalf("bar to a file wrote %q, want one line with the end state", got)
	}
	b.Reset()
	p = newProgressBar(&b, "reindex", 100)
	p.update(3)
	p.stop()
	if b.String() != "" {
		t.Fatalf("a failed run wrote %q, want nothing", b.String())
	}
}
