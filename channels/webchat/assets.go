package webchat

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed static/*.js static/*.css
var staticFiles embed.FS

//go:embed templates/*.html
var templateFiles embed.FS

// asset is one embedded static file with its content-hashed name.
type asset struct {
	name   string // "chat.3fa2b1c4d5e6.js"
	ctype  string
	data   []byte
	hashed string // "/chat/static/chat.3fa2b1c4d5e6.js"
}

// assets are the embedded files and templates, loaded once.
type assets struct {
	byName   map[string]*asset // by hashed name
	byFile   map[string]*asset // by source file name
	chatPage *template.Template
	demoPage *template.Template
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byFile: map[string]*asset{}}
	files, err := fs.Glob(staticFiles, "static/*")
	if err != nil {
		return nil, fmt.Errorf("webchat: static files: %w", err)
	}
	for _, f := range files {
		data, err := staticFiles.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("webchat: static files: %w", err)
		}
		base := path.Base(f)
		sum := sha256.Sum256(data)
		ext := path.Ext(base)
		name := strings.TrimSuffix(base, ext) + "." + hex.EncodeToString(sum[:6]) + ext
		ctype := "application/javascript; charset=utf-8"
		if ext == ".css" {
			ctype = "text/css; charset=utf-8"
		}
		as := &asset{name: name, ctype: ctype, data: data, hashed: "/chat/static/" + name}
		a.byName[name] = as
		a.byFile[base] = as
	}
	if a.chatPage, err = template.ParseFS(templateFiles, "templates/chat.html"); err != nil {
		return nil, fmt.Errorf("webchat: chat template: %w", err)
	}
	if a.demoPage, err = template.ParseFS(templateFiles, "templates/demo.html"); err != nil {
		return nil, fmt.Errorf("webchat: demo template: %w", err)
	}
	return a, nil
}

// url returns the cache-busting URL of source file name.
func (a *assets) url(name string) string { return a.byFile[name].hashed }

// httpError writes the hub's JSON error shape.
func httpError(w http.ResponseWriter, status int, code, msg string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]map[string]string{"error": {"code": code, "message": msg}})
}
