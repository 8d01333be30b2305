package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"
)

// decodeJSON reads exactly one JSON object from the request body into v: the body is
// capped at max bytes, unknown fields are refused, and each failure says what was wrong
// and where.
func decodeJSON(w http.ResponseWriter, r *http.Request, max int64, v any) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "application/json" {
		return apiError(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		return jsonError(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var pe *time.ParseError
		if errors.As(err, &pe) {
			// The decoder does not say which field held the time it could not read.
			field, name := badTimeField(body, v), "a time"
			if field != "" {
				name = field
			}
			return &Error{Status: http.StatusBadRequest, Code: "invalid", Field: field,
				Message: name + " must be a time written as RFC 3339, such as 2026-03-01T10:00:00+01:00"}
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err)
		}
		return apiError(http.StatusBadRequest, "invalid_json", "the body must hold a single JSON object")
	}
	return nil
}

// badTimeField names the field of body, decoded into v (a pointer to a struct), that
// holds a time that does not parse; empty if none is found.
func badTimeField(body []byte, v any) string {
	var raw map[string]json.RawMessage
	if json.Unmarshal(body, &raw) != nil {
		return ""
	}
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return ""
	}
	timeType := reflect.TypeFor[time.Time]()
	for f := range t.Fields() {
		if f.Type != timeType && f.Type != reflect.PointerTo(timeType) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if r, ok := raw[name]; ok {
			var tm time.Time
			if err := json.Unmarshal(r, &tm); err != nil {
				return name
			}
		}
	}
	return ""
}

// jsonError turns a decoding error into an API error naming the problem.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return apiError(http.StatusRequestEntityTooLarge, "payload_too_large", "request body larger than %d bytes", mbe.Limit)
	case errors.As(err, &syn):
		return apiError(http.StatusBadRequest, "invalid_json", "malformed JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		name := typ.Field
		if name == "" {
			name = "the body"
		}
		return &Error{Status: http.StatusBadRequest, Code: "wrong_type", Field: typ.Field,
			Message: fmt.Sprintf("%s must be %s, not %s", name, kindName(typ.Type.Kind().String()), typ.Value)}
	case errors.Is(err, io.EOF):
		return apiError(http.StatusBadRequest, "invalid_json", "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, "invalid_json", "the body ends in the middle of the JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &Error{Status: http.StatusBadRequest, Code: "unknown_field", Field: name,
			Message: fmt.Sprintf("unknown field %q", name)}
	}
	return apiError(http.StatusBadRequest, "invalid_json", "cannot read the JSON body")
}

func kindName(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "a number"
	case k == "string":
		return "a string"
	case k == "bool":
		return "true or false"
	case k == "slice":
		return "an array"
	case k == "struct", k == "map", k == "ptr":
		return "an object"
	}
	return k
}

// missing returns a 400 naming a required field.
func missing(field string) error {
	return &Error{Status: http.StatusBadRequest, Code: "missing_field", Field: field,
		Message: fmt.Sprintf("%s is required", field)}
}
