package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// cliIn runs a command with stdin.
func cliIn(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" },
		isTerminal: func() bool { return false }, readPassword: func() (string, error) { return "", nil }}
	return run(context.Background(), e, args), out.String(), errb.String()
}

func TestClassifyCommand(t *testing.T) {
	data := t.TempDir()
	in := `{"subject":"Facture","text":"Bonjour, le montant de ma facture de cantine est faux.","channel":"email"}

{"text":"Hello, I would like to book an appointment to renew my passport.","channel":"webchat"}
`
	code, out, errs := cliIn(t, in, "classify", "--data", data)
	if code != 0 {
		t.Fatalf("classify = %d, stderr %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("classify wrote %d lines, want 2 (blank lines skipped): %s", len(lines), out)
	}
	var first map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	keys := []string{"category", "category_confidence", "language", "tension", "priority", "explanation"}
	if len(first) != len(keys) {
		t.Errorf("output fields = %v, want exactly %v", first, keys)
	}
	for _, k := range keys {
		if _, ok := first[k]; !ok {
			t.Errorf("output lacks %q: %s", k, lines[0])
		}
	}
	if first["category"] != "billing" || first["language"] != "fr" || !strings.Contains(first["explanation"].(string), "priority") {
		t.Errorf("first line = %s", lines[0])
	}
	if !strings.Contains(lines[1], `"category":"appointment"`) || !strings.Contains(lines[1], `"language":"en"`) {
		t.Errorf("second line = %s", lines[1])
	}

	code, out, errs = cliIn(t, "{\"text\":\"ok\"}\n{bad\n{\"text\":3}\n", "classify", "--data", data)
	if code != 1 || !strings.Contains(out, `{"error":"line 2: malformed JSON`) || !strings.Contains(out, `"error":"line 3: field \"text\"`) ||
		!strings.Contains(errs, "2 of 3 lines") {
		t.Errorf("classify(bad lines) = %d %q %q, want one error line per bad line and status 1", code, out, errs)
	}
	for _, args := range [][]string{{"classify", "extra"}, {"classify", "--eval", "x", "--retrain"}, {"classify", "--nope"}} {
		if code, _, _ := cliIn(t, "", append(args, "--data", data)...); code != 2 {
			t.Errorf("%v = %d, want usage error 2", args, code)
		}
	}
}

func TestClassifyEval(t *testing.T) {
	data := t.TempDir()
	code, out, errs := cliIn(t, "", "classify", "--data", data, "--eval", "../../configs/classifier/holdout.jsonl")
	if code != 0 {
		t.Fatalf("classify --eval = %d: %s", code, errs)
	}
	for _, want := range []string{"model: embedded dataset", "112 samples", "category  accuracy:", "language  accuracy: 100.00%", "category confusion", "tension confusion"} {
		if !strings.Contains(out, want) {
			t.Errorf("eval output lacks %q:\n%s", want, out)
		}
	}
	if code, _, errs := cliIn(t, "{\"text\":\"a\"}\nnope\n", "classify", "--data", data, "--eval", "-"); code != 1 || !strings.Contains(errs, "line 2") {
		t.Errorf("classify --eval (bad line) = %d %q", code, errs)
	}
	if code, _, _ := cliIn(t, "", "classify", "--data", data, "--eval", "/does/not/exist"); code != 1 {
		t.Errorf("classify --eval (missing file) = %d, want 1", code)
	}
}

func TestClassifyRetrainUsesCorrections(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	cfg, err := loadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir = data
	a, err := openApp(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	u, err := a.inbox.CreateUser(ctx, inbox.NewUser{Email: "a@mairie.fr", Name: "A", Role: inbox.RoleAgent, Password: "motdepasse-solide"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := a.inbox.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: "<1@x>",
		From: channels.Identity{Kind: channels.KindEmail, Value: "m@example.fr"}, Subject: "Badge", Text: "Le lecteur de badge du parking refuse ma carte depuis lundi."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.inbox.CorrectClassification(ctx, u, res.ConversationID, inbox.Correction{Category: "complaint", Language: "fr", Tension: "calm"}); err != nil {
		t.Fatal(err)
	}
	a.close()
	code, out, errs := cliIn(t, "", "classify", "--data", data, "--retrain")
	if code != 0 || !strings.Contains(out, "1 corrections") || !strings.Contains(out, "held-out evaluation") || !strings.Contains(out, "model saved to") {
		t.Fatalf("classify --retrain = %d\n%s\n%s", code, out, errs)
	}
	path := filepath.Join(data, "classifier.model")
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("model file %s: %v", path, err)
	}
	code, out, _ = cliIn(t, "", "classify", "--data", data, "--eval", "../../configs/classifier/holdout.jsonl")
	if code != 0 || !strings.Contains(out, "model: "+path) {
		t.Errorf("eval after retrain = %d, want it to use %s:\n%s", code, path, out)
	}
	// A corrupt model file is an error, not a silent fallback.
	os.WriteFile(path, []byte("garbage"), 0o600)
	if code, _, errs := cliIn(t, "{\"text\":\"x\"}\n", "classify", "--data", data); code != 1 || !strings.Contains(errs, "unusable model") {
		t.Errorf("classify with a corrupt model = %d %q, want an error", code, errs)
	}
}
