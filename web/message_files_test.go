package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// filesFixture is a server whose replies with files are capped at maxUpload bytes and
// whose files at maxFiles bytes together, with a contact's conversation; it returns
// the supervisor's token and the conversation.
func filesFixture(t *testing.T, maxUpload, maxFiles int64) (*httptest.Server, *inbox.Service, string, int64) {
	t.Helper()
	f := newAPIConfigured(t, Config{Addr: "127.0.0.1:0", MaxUploadBytes: maxUpload}, inbox.Config{MaxAttachmentBytes: maxFiles}, testUsers[2:3])
	res, err := f.svc.Ingest(context.Background(), channels.Envelope{Channel: channels.Email, ExternalID: "<1@example.fr>",
		From: channels.Identity{Kind: channels.KindEmail, Value: "marie@example.fr"}, Subject: "Formulaire", Text: "Pouvez-vous m'envoyer le formulaire ?"})
	if err != nil {
		t.Fatal(err)
	}
	return f.srv, f.svc, f.tokens["sup@x.fr"], res.ConversationID
}

type part struct{ name, filename, contentType, body string }

func postForm(t *testing.T, srv *httptest.Server, token string, conv int64, parts []part, contentType string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" || p.name == "file" {
			h := make(map[string][]string)
			h["Content-Disposition"] = []string{fmt.Sprintf(`form-data; name=%q; filename=%q`, p.name, p.filename)}
			if p.contentType != "" {
				h["Content-Type"] = []string{p.contentType}
			}
			w, err = mw.CreatePart(h)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.body)
	}
	mw.Close()
	if contentType == "" {
		contentType = mw.FormDataContentType()
	}
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", srv.URL, conv), &buf)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

// TestReplyWithFiles: an agent's reply carries files, sent as a multipart form; they
// are stored with the message and come back from the attachment endpoint as sent;
// a reply may be files alone.
func TestReplyWithFiles(t *testing.T) {
	srv, svc, tok, conv := filesFixture(t, 1<<20, 1<<20)
	pdf := "%PDF-1.4 formulaire cerfa"
	status, body := postForm(t, srv, tok, conv, []part{
		{name: "text", body: "Voici le formulaire et la liste des pièces."},
		{name: "file", filename: `C:\Users\accueil\cerfa_12345.pdf`, contentType: "application/pdf", body: pdf},
		{name: "file", filename: "pieces.txt", body: "Justificatif de domicile\nPièce d'identité\n"},
	}, "")
	if status != http.StatusCreated {
		t.Fatalf("reply with files = %d %v", status, body)
	}
	atts, _ := body["attachments"].([]any)
	if len(atts) != 2 || body["text"] != "Voici le formulaire et la liste des pièces." {
		t.Fatalf("reply = %v, want the text and two files", body)
	}
	first := atts[0].(map[string]any)
	if first["filename"] != "cerfa_12345.pdf" || first["content_type"] != "application/pdf" || int(first["size"].(float64)) != len(pdf) {
		t.Fatalf("first file = %v", first)
	}
	if ct := atts[1].(map[string]any)["content_type"]; !strings.HasPrefix(fmt.Sprint(ct), "text/plain") {
		t.Fatalf("second file's type = %v, want it sniffed as text/plain", ct)
	}
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/attachments/%d", srv.URL, int64(first["id"].(float64))), nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != pdf {
		t.Fatalf("GET attachment = %d %q", resp.StatusCode, got)
	}
	// The outbound worker gets the files with their content.
	o, err := svc.OutgoingMessage(context.Background(), int64(body["id"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	files, err := svc.OutgoingFiles(context.Background(), o.Message)
	if err != nil || len(files) != 2 || string(files[0].Data) != pdf || files[0].ID == 0 {
		t.Fatalf("OutgoingFiles() = %+v, %v", files, err)
	}
	if status, body := postForm(t, srv, tok, conv, []part{{name: "file", filename: "plan.png", contentType: "image/png", body: "\x89PNG..."}}, ""); status != http.StatusCreated {
		t.Fatalf("files alone = %d %v", status, body)
	}
}

// TestReplyWithFilesRefused: each bad form gets its status and error code, and stores
// nothing.
func TestReplyWithFilesRefused(t *testing.T) {
	srv, svc, tok, conv := filesFixture(t, 4096, 1000)
	big := strings.Repeat("x", 5000)
	tests := []struct {
		name        string
		parts       []part
		contentType string
		status      int
		code        string
	}{
		{"over the request cap", []part{{name: "text", body: "t"}, {name: "file", filename: "big.bin", body: big}}, "", 413, "payload_too_large"},
		{"files over the inbox cap together", []part{{name: "file", filename: "a.txt", body: strings.Repeat("a", 600)}, {name: "file", filename: "b.txt", body: strings.Repeat("b", 600)}}, "", 422, "invalid"},
		{"an empty file", []part{{name: "text", body: "t"}, {name: "file", filename: "vide.pdf", body: ""}}, "", 422, "invalid"},
		{"a file without a name", []part{{name: "file", filename: "", body: "data"}}, "", 422, "invalid"},
		{"no text and no file", []part{{name: "text", body: "  "}}, "", 422, "invalid"},
		{"an unknown field", []part{{name: "text", body: "t"}, {name: "cc", body: "x@y.fr"}}, "", 400, "invalid_form"},
		{"note not a boolean", []part{{name: "text", body: "t"}, {name: "note", body: "peut-être"}}, "", 400, "invalid_form"},
		{"no boundary", []part{{name: "text", body: "t"}}, "multipart/form-data", 400, "invalid_form"},
		{"a wrong boundary", []part{{name: "text", body: "t"}}, "multipart/form-data; boundary=autre", 400, "invalid_form"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := postForm(t, srv, tok, conv, tc.parts, tc.contentType)
			e, _ := body["error"].(map[string]any)
			if status != tc.status || e == nil || e["code"] != tc.code || e["message"] == "" {
				t.Fatalf("status %d body %v, want %d %s with a message", status, body, tc.status, tc.code)
			}
		})
	}
	sup, err := svc.UserByEmail(context.Background(), "sup@x.fr")
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.Conversation(context.Background(), sup, conv)
	if err != nil || len(d.Messages) != 1 {
		t.Fatalf("%d messages after refused replies (%v), want the contact's one", len(d.Messages), err)
	}
}

// FuzzReplyForm: any body read as a reply form gives a reply or a 4xx error, never a
// panic or another error.
func FuzzReplyForm(f *testing.F) {
	f.Add("--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nBonjour\r\n--b--\r\n")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\ntrue\r\n--b\r\n")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/conversations/1/messages", strings.NewReader(body))
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.Body = http.MaxBytesReader(httptest.NewRecorder(), req.Body, 1<<16)
		if _, err := readReplyForm(req); err != nil {
			e, ok := err.(*Error)
			if !ok || e.Status < 400 || e.Status >= 500 {
				t.Fatalf("readReplyForm() = %v, want a 4xx API error", err)
			}
		}
	})
}
