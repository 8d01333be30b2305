package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzInboundCreate posts arbitrary bodies to POST /api/v1/inbound: every answer must be
// 200, 201 or a 4xx in the JSON error shape, never a 5xx.
func FuzzInboundCreate(f *testing.F) {
	for _, s := range []string{
		inboundBody,
		`{"external_id":"x","from":{"address":"06 12 34 56 78"},"text":"t"}`,
		`{"external_id":"x","from":{"address":"crm-42"},"text":"t","thread_key":""}`,
		`{"external_id":"\u0000","from":{"address":"a@b"},"text":"\ud800"}`,
		`{}`, `[]`, `null`, `{"external_id":1e999}`, `{"from":{"address":{"a":1}}}`,
	} {
		f.Add(s)
	}
	api := newAPI(f)
	token := api.tokens["agent@x.fr"]
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/inbound", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		api.handler.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK || rec.Code == http.StatusCreated:
		case rec.Code >= 400 && rec.Code < 500:
			if !strings.Contains(rec.Body.String(), `"error":{"code":"`) {
				t.Fatalf("%d answer without the error shape: %s", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("POST %q = %d %s", body, rec.Code, rec.Body)
		}
	})
}
