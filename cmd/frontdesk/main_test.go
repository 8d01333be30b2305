package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/configs"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// cli runs a command in-process and returns its exit status, stdout and stderr.
func cli(t *testing.T, envv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{
		stdin: strings.NewReader(""), stdout: &out, stderr: &errb,
		getenv:       func(k string) string { return envv[k] },
		isTerminal:   func() bool { return false },
		readPassword: func() (string, error) { return "", nil },
	}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestEveryConfigFileLoads(t *testing.T) {
	entries, err := os.ReadDir("../../configs")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if filepath.Ext(name) != ".yaml" || name == configs.DemoFile {
			continue
		}
		n++
		if _, err := loadConfig(filepath.Join("../../configs", name), func(string) string { return "" }); err != nil {
			t.Errorf("loadConfig(%s) = %v", name, err)
		}
	}
	if n < 2 {
		t.Fatalf("found %d example configurations in configs/, want at least the full and the dev one", n)
	}
	if _, err := parseDemo(); err != nil {
		t.Errorf("demo data: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown top key", "colour: blue\n", `line 1: unknown key "colour"`},
		{"unknown nested key", "server:\n  adress: x\n", `line 2: unknown key "adress"`},
		{"wrong type", "store:\n  max_batch: lots\n", "cannot unmarshal"},
		{"bad duration", "inbox:\n  reopen_window: forever\n", "forever"},
		{"bad addr", "server:\n  addr: nowhere\n", "server.addr"},
		{"bad level", "log:\n  level: loud\n", "log.level"},
		{"bad redis url", "redis:\n  url: http://x\n", "redis.url"},
		{"bad synchronous", "store:\n  synchronous: off\n", "store.synchronous"},
		{"bad country", "inbox:\n  default_country_code: \"+33\"\n", "inbox.default_country_code"},
		{"not yaml", "server: [\n", "yaml"},
	}
	for _, tt := range tests {
		path := filepath.Join(t.TempDir(), "c.yaml")
		os.WriteFile(path, []byte(tt.yaml), 0o600)
		_, err := loadConfig(path, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: loadConfig() = %v, want an error mentioning %q", tt.name, err, tt.want)
		}
	}
	if _, err := loadConfig("/does/not/exist.yaml", func(string) string { return "" }); err == nil {
		t.Error("loadConfig(missing file) = nil error")
	}
}

func TestConfigDefaultsAndEnvironment(t *testing.T) {
	c, err := loadConfig("", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.DataDir != "./data" || c.Server.Addr != "127.0.0.1:8080" || c.Redis.URL != "" || c.Server.URL() != "http://127.0.0.1:8080" {
		t.Fatalf("embedded default = %+v", c)
	}
	env := map[string]string{"FRONTDESK_REDIS_URL": "redis://:s3cret@10.0.0.5:6379/2", "FRONTDESK_DATA": "/srv/fd", "FRONTDESK_PUBLIC_URL": "https://accueil.example.fr/"}
	c, err = loadConfig("", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Redis.URL != env["FRONTDESK_REDIS_URL"] || c.DataDir != "/srv/fd" || c.Server.URL() != "https://accueil.example.fr" {
		t.Fatalf("environment overrides not applied: %+v", c)
	}
	code, out, _ := cli(t, env, "check-config")
	if code != 0 || strings.Contains(out, "s3cret") || !strings.Contains(out, "redis://:****@10.0.0.5:6379/2") {
		t.Fatalf("check-config = %d\n%s\nwant the Redis password masked", code, out)
	}
}

func TestCLIUsersAndTokens(t *testing.T) {
	data := t.TempDir()
	pw := map[string]string{"FRONTDESK_PASSWORD": "un-mot-de-passe"}
	// Help where a subcommand is expected lists them; a stray word or an unknown flag is
	// a usage error, said once.
	for _, cmd := range []string{"user", "token", "contact", "bench"} {
		if code, out, _ := cli(t, nil, cmd, "-h"); code != 0 || !strings.Contains(out, "subcommands: ") {
			t.Fatalf("%s -h = %d %q, want the subcommands", cmd, code, out)
		}
	}
	if code, _, errs := cli(t, nil, "user", "list", "extra", "--data", data); code != 2 || !strings.Contains(errs, `unexpected argument "extra"`) {
		t.Fatalf("user list extra = %d %q, want a usage error naming it", code, errs)
	}
	if code, _, errs := cli(t, nil, "user", "list", "--bogus"); code != 2 || strings.Count(errs, "flag provided but not defined") != 1 {
		t.Fatalf("user list --bogus = %d %q, want the error once", code, errs)
	}
	// A mistyped --data is an error naming where the database was looked for, not a
	// new empty database that answers "nothing".
	typo := filepath.Join(t.TempDir(), "dta")
	for _, args := range [][]string{{"user", "list"}, {"contact", "audit"}, {"token", "list", "--email", "x@y.fr"}, {"reindex"}} {
		code, _, errs := cli(t, nil, append(args, "--data", typo)...)
		if _, err := os.Stat(filepath.Join(typo, "frontdesk.db")); code != 1 || !strings.Contains(errs, "no database at") || err == nil {
			t.Fatalf("%v on a folder without a database = %d %q (database made: %v), want an error and nothing made", args, code, errs, err == nil)
		}
	}
	code, out, errs := cli(t, pw, "user", "add", "--data", data, "--email", "lea@mairie.fr", "--name", "Léa Martin", "--role", "supervisor", "--team", "accueil")
	if code != 0 || !strings.Contains(out, "created supervisor user lea@mairie.fr") {
		t.Fatalf("user add = %d %q %q", code, out, errs)
	}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "lea@mairie.fr", "--name", "x", "--role", "agent"); code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("user add (duplicate) = %d %q", code, errs)
	}
	if code, _, errs := cli(t, nil, "user", "add", "--data", data, "--email", "b@mairie.fr", "--name", "B"); code != 2 || !strings.Contains(errs, "FRONTDESK_PASSWORD") {
		t.Fatalf("user add without password and terminal = %d %q, want 2 and how to give one", code, errs)
	}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "c@mairie.fr", "--name", "C", "--role", "boss"); code != 2 || !strings.Contains(errs, `--role "boss"`) {
		t.Fatalf("user add --role boss = %d %q", code, errs)
	}
	code, out, _ = cli(t, nil, "token", "create", "--data", data, "--email", "lea@mairie.fr")
	token := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(token, "fdk_") || strings.Count(out, "\n") != 1 {
		t.Fatalf("token create = %d %q, want the token alone on one line", code, out)
	}
	code, out, _ = cli(t, nil, "token", "list", "--data", data, "--email", "lea@mairie.fr")
	if code != 0 || !strings.Contains(out, token[:10]) || !strings.Contains(out, "live") || strings.Contains(out, token) {
		t.Fatalf("token list = %d %q, want the prefix, not the secret", code, out)
	}
	// A mistyped prefix revokes nothing, and says so: it must not look like a leaked
	// token taken care of.
	if code, _, errOut := cli(t, nil, "token", "revoke", "--data", data, "--email", "lea@mairie.fr", "--prefix", "nope"); code == 0 || !strings.Contains(errOut, `no live token of lea@mairie.fr with prefix "nope"`) {
		t.Fatalf("token revoke with a prefix matching nothing = %d %q, want a failure naming it", code, errOut)
	}
	if code, out, _ := cli(t, nil, "token", "revoke", "--data", data, "--email", "lea@mairie.fr"); code != 0 || !strings.Contains(out, "1 token(s) revoked") {
		t.Fatalf("token revoke = %d %q", code, out)
	}
	if code, _, _ := cli(t, nil, "user", "disable", "--data", data, "--email", "lea@mairie.fr"); code != 0 {
		t.Fatal("user disable failed")
	}
	code, out, _ = cli(t, nil, "user", "list", "--data", data)
	if code != 0 || !strings.Contains(out, "lea@mairie.fr") || !strings.Contains(out, "disabled") || !strings.Contains(out, "accueil") {
		t.Fatalf("user list = %d\n%s", code, out)
	}
	if code, _, errs := cli(t, nil, "token", "create", "--data", data, "--email", "nobody@mairie.fr"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("token create for unknown user = %d %q", code, errs)
	}
	for _, args := range [][]string{{"user"}, {"user", "remove"}, {"token", "create"}, {"serve", "--addr", "nowhere"}, {"nope"}, {"serve", "--bogus"}} {
		if code, _, _ := cli(t, nil, args...); code != 2 {
			t.Errorf("frontdesk %v = exit %d, want 2 (usage)", args, code)
		}
	}
}

func TestDemoIsIdempotent(t *testing.T) {
	data := t.TempDir()
	code, out, errs := cli(t, nil, "demo", "--data", data)
	if code != 0 || !strings.Contains(out, "12 new conversation(s)") {
		t.Fatalf("demo = %d %q %q", code, out, errs)
	}
	code, out, _ = cli(t, nil, "demo", "--data", data)
	if code != 0 || !strings.Contains(out, "0 new conversation(s)") {
		t.Fatalf("demo again = %d %q, want nothing new", code, out)
	}
	cfg, _ := loadConfig("", func(string) string { return "" })
	cfg.DataDir = data
	a, err := openApp(context.Background(), cfg, newLogger(logConfig{Level: "error", Format: "text"}, os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	sup, err := a.inbox.UserByEmail(context.Background(), "sophie.laurent@demo.frontdesk.test")
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := a.inbox.Conversations(context.Background(), sup, inbox.ConversationQuery{Limit: 100})
	if err != nil || len(list) != 12 {
		t.Fatalf("demo conversations = %d, %v; want 12", len(list), err)
	}
	channels := map[string]bool{}
	for _, c := range list {
		channels[c.Channel] = true
		d, err := a.inbox.Conversation(context.Background(), sup, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < len(d.Messages); i++ {
			if d.Messages[i].CreatedAt.Before(d.Messages[i-1].CreatedAt) {
				t.Fatalf("demo conversation %d: message %d dated before the one above it", c.ID, i)
			}
		}
	}
	for _, ch := range []string{"email", "webchat", "sms", "telephony", "slack", "api"} {
		if !channels[ch] {
			t.Errorf("demo data has no %s conversation", ch)
		}
	}
	if code, out, _ := cli(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "frontdesk ") {
		t.Fatalf("version = %d %q", code, out)
	}
}
