package webchat

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// maxWidgetGzip is the weight budget of the widget: launcher script, iframe page, its
// script and style sheet (fonts are the system's), gzipped.
const maxWidgetGzip = 30 << 10

func get(t *testing.T, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func gz(b []byte) int {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	return buf.Len()
}

func TestWidgetWeighsAtMost30KBGzipped(t *testing.T) {
	f := newFixture(t, nil)
	_, widget := get(t, f.srv.URL+"/widget.js")
	resp, page := get(t, f.srv.URL+"/chat?site=demo")
	if resp.StatusCode != 200 {
		t.Fatalf("GET /chat = %d", resp.StatusCode)
	}
	total := gz(widget) + gz(page)
	refs := regexp.MustCompile(`(?:href|src)="(/chat/static/[^"]+)"`).FindAllSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("chat page references %d static files, want the script and the style sheet", len(refs))
	}
	for _, r := range refs {
		resp, b := get(t, f.srv.URL+string(r[1]))
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("GET %s = %d, Cache-Control %q", r[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		total += gz(b)
	}
	t.Logf("widget weight: %d bytes gzipped (budget %d)", total, maxWidgetGzip)
	if total > maxWidgetGzip {
		t.Fatalf("widget weighs %d bytes gzipped, over the %d budget", total, maxWidgetGzip)
	}
}

func TestChatPageHeaders(t *testing.T) {
	f := newFixture(t, nil)
	resp, body := get(t, f.srv.URL+"/chat?site=other", "Accept-Language", "en-GB,en;q=0.8")
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self';", "default-src 'none'", "frame-ancestors 'self' https://www.example.fr"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || bytes.Contains(body, []byte("<script>")) {
		t.Error("the chat page allows or contains inline script")
	}
	if !bytes.Contains(body, []byte(`<html lang="en">`)) {
		t.Error("Accept-Language en did not give an English page")
	}
	if resp, _ := get(t, f.srv.URL+"/chat?site=nope"); resp.StatusCode != 404 {
		t.Errorf("GET /chat?site=nope = %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, f.srv.URL+"/chat/static/chat.0000.js"); resp.StatusCode != 404 {
		t.Errorf("GET an unknown static file = %d, want 404", resp.StatusCode)
	}
	resp, body = get(t, f.srv.URL+"/demo/site")
	if resp.StatusCode != 200 || !bytes.Contains(body, []byte(`/widget.js" data-site="demo" async></script>`)) {
		t.Errorf("GET /demo/site = %d without the embed line", resp.StatusCode)
	}
	resp, body = get(t, f.srv.URL+"/chat/site.json?site=other", "Origin", "https://www.example.fr")
	var info siteInfo
	json.Unmarshal(body, &info)
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://www.example.fr" || info.Accent != DefaultAccent {
		t.Errorf("site.json = %s with CORS %q", body, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp, _ := get(t, f.srv.URL+"/chat/site.json?site=other", "Origin", "https://evil.example"); resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("site.json allows a foreign origin")
	}
}

// pngBytes is a 1x1 PNG.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

func upload(t *testing.T, f *fixture, token, cid, name string, data []byte) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if cid != "" {
		mw.WriteField("cid", cid)
	}
	if data != nil {
		w, _ := mw.CreateFormFile("file", name)
		w.Write(data)
	}
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/chat/upload?site=demo", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", f.srv.URL)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestUploadAndDownload(t *testing.T) {
	f := newFixture(t, func(c *Config, _ *Deps) { c.Limits.MaxUploadBytes = 4096 })
	v, _, _ := f.hello("demo", "", 0)
	tests := []struct {
		name, token, cid, file string
		data                   []byte
		want                   int
	}{
		{"no token", "", "u1", "a.png", pngBytes, 401},
		{"svg", v.token, "u2", "a.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), 415},
		{"html named png", v.token, "u3", "a.png", []byte("<!doctype html><script>alert(1)</script>"), 415},
		{"too large", v.token, "u4", "a.png", append(append([]byte{}, pngBytes...), make([]byte, 5000)...), 413},
		{"no file", v.token, "u5", "", nil, 400},
		{"bad cid", v.token, "a b", "a.png", pngBytes, 400},
		{"png", v.token, "u6", "../../photo.png", pngBytes, 201},
		{"png again", v.token, "u6", "photo.png", pngBytes, 200},
	}
	var res uploadResult
	for _, tt := range tests {
		code, body := upload(t, f, tt.token, tt.cid, tt.file, tt.data)
		if code != tt.want {
			t.Errorf("%s: upload = %d %s, want %d", tt.name, code, body, tt.want)
		}
		if code >= 400 && !bytes.Contains(body, []byte(`"error":{"code"`)) {
			t.Errorf("%s: error body %s is not the JSON error shape", tt.name, body)
		}
		if code == 201 {
			json.Unmarshal(body, &res)
		}
	}
	var pushed ServerMessage
	v.read(&pushed)
	if len(res.Attachments) != 1 || pushed.Seq != res.Seq || len(pushed.Attachments) != 1 || res.Attachments[0].Name != "photo.png" {
		t.Fatalf("upload result %+v, pushed %+v", res, pushed)
	}
	resp, body := get(t, f.srv.URL+res.Attachments[0].URL)
	h := resp.Header
	if resp.StatusCode != 200 || !bytes.Equal(body, pngBytes) || h.Get("Content-Type") != "image/png" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf("GET attachment = %d, headers %v", resp.StatusCode, h)
	}
	// Another visitor's id in the signed URL, or a changed signature: not found.
	other := strings.Replace(res.Attachments[0].URL, "v="+v.id, "v=vaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1)
	if resp, _ := get(t, f.srv.URL+other); resp.StatusCode != 404 {
		t.Fatalf("attachment with another visitor id = %d, want 404", resp.StatusCode)
	}
	if resp, _ := get(t, f.srv.URL+res.Attachments[0].URL+"x"); resp.StatusCode != 404 {
		t.Fatalf("attachment with a bad signature = %d, want 404", resp.StatusCode)
	}
	// The history after reload shows the file.
	_, _, replay := f.hello("demo", v.token, 0)
	if len(replay) != 1 || len(replay[0].Attachments) != 1 || replay[0].ClientID != "u6" {
		t.Fatalf("replay = %+v", replay)
	}
}
