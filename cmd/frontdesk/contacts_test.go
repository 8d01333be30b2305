package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContactExportCLI: an export that cannot be written fails before anything is
// exported, so the audit log holds only the export that was done.
func TestContactExportCLI(t *testing.T) {
	data := t.TempDir()
	if code, out, errs := cli(t, nil, "demo", "--data", data); code != 0 {
		t.Fatalf("demo = %d %q %q", code, out, errs)
	}
	taken := filepath.Join(t.TempDir(), "taken.json")
	if err := os.WriteFile(taken, []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{taken, filepath.Join(t.TempDir(), "nodir", "x.json")} {
		if code, _, errs := cli(t, nil, "contact", "export", "--data", data, "--id", "1", "--reason", "REQ-bad", "--out", out); code != 1 || !strings.Contains(errs, "export:") {
			t.Fatalf("export to %s = %d %q, want a failure", out, code, errs)
		}
	}
	// A flag's bad value is a usage error naming the flag, before the database opens.
	for _, args := range [][]string{{"--id", "1"}, {"--id", "-5", "--reason", "r"}} {
		if code, _, errs := cli(t, nil, append([]string{"contact", "export", "--data", data}, args...)...); code != 2 || !strings.Contains(errs, "--") {
			t.Fatalf("contact export %v = %d %q, want a usage error naming the flag", args, code, errs)
		}
	}
	good := filepath.Join(t.TempDir(), "contact-1.json")
	if code, _, errs := cli(t, nil, "contact", "export", "--data", data, "--id", "1", "--reason", "REQ-1", "--out", good); code != 0 {
		t.Fatalf("export = %d %q", code, errs)
	}
	code, out, errs := cli(t, nil, "contact", "audit", "--data", data)
	if code != 0 || strings.Count(out, "contact.exported") != 1 || !strings.Contains(out, "REQ-1") || strings.Contains(out, "REQ-bad") {
		t.Fatalf("contact audit = %d %q %q, want the one export done", code, out, errs)
	}
}
