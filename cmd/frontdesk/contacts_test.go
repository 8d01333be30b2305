package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestContactEraseReachesTheSearchIndex runs the hub, lets a message be indexed, then
// erases its sender from the command line (another store connection, as an operator
// would): the running hub's indexer drops the documents, the API forgets the
// conversation, and the audit log says who did it.
func TestContactEraseReachesTheSearchIndex(t *testing.T) {
	data := t.TempDir()
	pw := map[string]string{"FRONTDESK_PASSWORD": "un-mot-de-passe"}
	if code, _, errs := cli(t, pw, "user", "add", "--data", data, "--email", "dpo@mairie.fr", "--name", "DPO", "--role", "supervisor"); code != 0 {
		t.Fatalf("user add = %d %s", code, errs)
	}
	code, token, errs := cli(t, nil, "token", "create", "--data", data, "--email", "dpo@mairie.fr")
	if code != 0 {
		t.Fatalf("token create = %d %s", code, errs)
	}
	token = strings.TrimSpace(token)

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &logs, getenv: func(string) string { return "" },
		isTerminal: func() bool { return false }, readPassword: func() (string, error) { return "", nil }}
	done := make(chan int)
	go func() { done <- run(ctx, e, []string{"serve", "--data", data, "--addr", addr}) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d", code)
		}
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	}()
	api := func(method, path, body string) (int, map[string]any) {
		req, _ := http.NewRequest(method, "http://"+addr+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, nil
		}
		defer resp.Body.Close()
		var v map[string]any
		json.NewDecoder(resp.Body).Decode(&v)
		return resp.StatusCode, v
	}
	waitFor(t, "the hub to be ready", func() bool { code, _ := api("GET", "/readyz", ""); return code == 200 })

	code, in := api("POST", "/api/v1/inbound", `{"external_id":"gdpr-1","from":{"name":"Marie Zéphyrin","address":"marie.zephyrin@example.fr"},"subject":"Acte de naissance","text":"Bonjour, je suis Marie Zéphyrin, née à Villeneuve."}`)
	if code != 201 {
		t.Fatalf("inbound = %d %v", code, in)
	}
	hits := func() float64 {
		_, r := api("GET", "/api/v1/search?q=z%C3%A9phyrin", "")
		n, _ := r["total"].(float64)
		return n
	}
	waitFor(t, "the message in the search index", func() bool { return hits() == 1 })

	code, out, errs := cli(t, nil, "contact", "find", "--data", data, "--email", "Marie.Zephyrin@example.fr")
	if code != 0 || !strings.Contains(out, "marie.zephyrin@example.fr") {
		t.Fatalf("contact find = %d %q %q", code, out, errs)
	}
	first, _, _ := strings.Cut(out, "\n")
	id := strings.TrimSpace(strings.TrimPrefix(first, "ID"))
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		t.Fatalf("contact find = %q, want the id on the first line", out)
	}
	if code, _, errs := cli(t, nil, "contact", "erase", "--data", data, "--id", id, "--reason", "demande 13"); code != 2 || !strings.Contains(errs, "--yes") {
		t.Fatalf("contact erase without --yes off a terminal = %d %q, want 2", code, errs)
	}
	if code, _, errs := cli(t, nil, "contact", "erase", "--data", data, "--id", id, "--yes"); code != 2 || !strings.Contains(errs, "--reason") {
		t.Fatalf("contact erase without --reason = %d %q, want 2", code, errs)
	}
	code, out, errs = cli(t, nil, "contact", "erase", "--data", data, "--id", id, "--reason", "demande d'effacement du 27/11", "--yes")
	if code != 0 || !strings.Contains(out, "1 conversation(s), 1 message(s)") {
		t.Fatalf("contact erase = %d %q %q", code, out, errs)
	}
	waitFor(t, "the documents gone from the index", func() bool { return hits() == 0 })
	if code, _ := api("GET", fmt.Sprintf("/api/v1/conversations/%v", in["conversation_id"]), ""); code != 404 {
		t.Fatalf("GET erased conversation = %d, want 404", code)
	}
	if code, _, errs := cli(t, nil, "contact", "erase", "--data", data, "--id", id, "--reason", "again", "--yes"); code != 1 || !strings.Contains(errs, "not found") {
		t.Fatalf("contact erase (again) = %d %q, want 1 not found", code, errs)
	}
	code, out, _ = cli(t, nil, "contact", "audit", "--data", data)
	if code != 0 || !strings.Contains(out, "contact.erased") || !strings.Contains(out, "contact:"+id) || !strings.Contains(out, "demande d'effacement du 27/11") || strings.Contains(out, "zephyrin") {
		t.Fatalf("contact audit = %d\n%s", code, out)
	}
}
