package web

import (
	"net/http/httptest"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/explain"
)

func TestDictionariesMatch(t *testing.T) {
	for key := range messages[langFR] {
		if _, ok := messages[langEN][key]; !ok {
			t.Errorf("key %q has no English text", key)
		}
	}
	for key := range messages[langEN] {
		if _, ok := messages[langFR][key]; !ok {
			t.Errorf("key %q has no French text", key)
		}
	}
	if got := translator(langFR)("no.such.key"); got != "no.such.key" {
		t.Errorf("missing key translated to %q, want the key itself", got)
	}
}

// TestExplanationLabels: the labels the router's explanations use in Go (the escalation
// note) are the app's, and every explanation template reaches the browser.
func TestExplanationLabels(t *testing.T) {
	for _, lang := range []string{langFR, langEN} {
		for k, v := range explain.Messages(lang) {
			if got, ok := messages[lang][k]; !ok || got != v {
				t.Errorf("%s: %q is %q in the app, %q in router/explain", lang, k, got, v)
			}
		}
	}
}

func TestPickLang(t *testing.T) {
	tests := []struct {
		query, cookie, accept, want string
	}{
		{"", "", "", langFR},
		{"", "", "en-GB,en;q=0.9", langEN},
		{"", "", "de-DE,fr;q=0.8,en;q=0.5", langFR},
		{"", langEN, "fr-FR", langEN},
		{"fr", langEN, "en", langFR},
		{"xx", "", "en", langEN},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/login?lang="+tt.query, nil)
		if tt.cookie != "" {
			r.Header.Set("Cookie", langCookie+"="+tt.cookie)
		}
		r.Header.Set("Accept-Language", tt.accept)
		if got := pickLang(r); got != tt.want {
			t.Errorf("pickLang(query %q, cookie %q, accept %q) = %q, want %q", tt.query, tt.cookie, tt.accept, got, tt.want)
		}
	}
}
