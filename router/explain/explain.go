// Package explain gives the router's explanations a structured form and renders them
// in French or English.
//
// An explanation is a Reason: a stable code saying what kind of explanation it is
// ("category.model", "tension.signals", "priority.channel", "check.in"…) and the values
// it shows, by name (the category, the confidence, the words that weighed, the factors
// with their points, the rule, the condition and what was compared). Reasons are stored
// as such, so each reader sees them in their own language: the agent app renders them
// in the browser from the same templates (web merges Messages into its dictionaries),
// Go renders them with Text where text is produced on the server (the escalation note,
// the English "why" of the dry-run). Its JSON form is {"code", "args", "text"}, where
// text is the English rendering, for API users and for readers that do not know a code.
//
// Templates are strings with {name} placeholders. How an argument is shown depends on
// its name, the same way here and in the browser (web/static/routing.js):
//   - category, tension, urgency, language, contact_language, channel, office, field
//     and signals are codes shown with their translated label (cat.complaint,
//     tension.tense, why.signal.insult…), the raw value when no label exists; got and
//     want take the labels of the args' field;
//   - confidence is a fraction shown as a percentage; points a signed number; minutes a
//     waiting time;
//   - a list of strings is joined with commas; a list of reasons (parts, factors) is
//     rendered reason by reason and joined with "; " (factors: ", ");
//   - booleans are yes or no; everything else is shown as it is.
//
// The package depends on the standard library only. Reasons are values; the catalogs
// are read-only, so everything here is safe for concurrent use.
package explain

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Reason is one explanation: a stable code and its arguments. Args values are strings,
// ints, float64s, bools, []string or []Reason (after a JSON round trip: float64s,
// []any and map[string]any, which Text reads as well).
type Reason struct {
	Code string         `json:"code"`
	Args map[string]any `json:"args,omitempty"`
}

// New returns the reason code with args given as name, value pairs.
func New(code string, pairs ...any) Reason {
	r := Reason{Code: code}
	for i := 0; i+1 < len(pairs); i += 2 {
		name, _ := pairs[i].(string)
		if r.Args == nil {
			r.Args = make(map[string]any, len(pairs)/2)
		}
		r.Args[name] = pairs[i+1]
	}
	return r
}

// IsZero reports whether r is empty (no code).
func (r Reason) IsZero() bool { return r.Code == "" }

// String is the English text of r.
func (r Reason) String() string { return Text(r, English) }

// MarshalJSON writes {"code", "args", "text"}, text being the English rendering.
func (r Reason) MarshalJSON() ([]byte, error) {
	type plain Reason
	return json.Marshal(struct {
		plain
		Text string `json:"text"`
	}{plain(r), r.String()})
}

// Languages of the catalogs.
const (
	French  = "fr"
	English = "en"
)

// Messages returns the templates and labels of lang (French for anything but "en"), as
// a new map the caller may keep: every key is "why.<code>", or a value label (cat.*,
// tension.*, urgency.*, lang.*, channel.*, why.signal.*, why.field.*, why.office.*).
func Messages(lang string) map[string]string {
	src := catalogFor(lang)
	out := make(map[string]string, len(src))
	for k, v := range src {
		out[k] = v
	}
	return out
}

func catalogFor(lang string) map[string]string {
	if lang == English {
		return catalogEN
	}
	return catalogFR
}

// Text renders r in lang (French for anything but "en"). A code without a template
// shows itself with its arguments, so that nothing is silently lost.
func Text(r Reason, lang string) string {
	cat := catalogFor(lang)
	tmpl, ok := cat["why."+r.Code]
	if !ok {
		return fallback(r, cat, lang)
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(tmpl, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(tmpl[i:], '}')
		if j < 0 {
			break
		}
		b.WriteString(tmpl[:i])
		name := tmpl[i+1 : i+j]
		b.WriteString(arg(name, r.Args[name], r.Args, cat, lang))
		tmpl = tmpl[i+j+1:]
	}
	b.WriteString(tmpl)
	return b.String()
}

func fallback(r Reason, cat map[string]string, lang string) string {
	parts := []string{r.Code}
	for _, name := range slices.Sorted(maps.Keys(r.Args)) {
		parts = append(parts, name+" "+arg(name, r.Args[name], r.Args, cat, lang))
	}
	return strings.Join(parts, " ")
}

// labelPrefix is the catalog prefix of the labels of argument name.
func labelPrefix(name string, args map[string]any) string {
	switch name {
	case "category":
		return "cat."
	case "tension":
		return "tension."
	case "urgency":
		return "urgency."
	case "language", "contact_language":
		return "lang."
	case "channel":
		return "channel."
	case "office":
		return "why.office."
	case "signals":
		return "why.signal."
	case "field":
		return "why.field."
	case "got", "want":
		if f, ok := args["field"].(string); ok {
			return labelPrefix(f, nil)
		}
	}
	return ""
}

func label(cat map[string]string, prefix, v string) string {
	if prefix != "" {
		if s, ok := cat[prefix+v]; ok {
			return s
		}
	}
	return v
}

// arg shows the value v of argument name.
func arg(name string, v any, args map[string]any, cat map[string]string, lang string) string {
	prefix := labelPrefix(name, args)
	switch x := v.(type) {
	case nil:
		return label(cat, "why.", "none")
	case string:
		if x == "" {
			return label(cat, "why.", "none")
		}
		return label(cat, prefix, x)
	case bool:
		if x {
			return label(cat, "why.", "yes")
		}
		return label(cat, "why.", "no")
	case int:
		return number(name, float64(x), lang)
	case float64:
		return number(name, x, lang)
	case []string:
		out := make([]string, len(x))
		for i, s := range x {
			out[i] = label(cat, prefix, s)
		}
		return strings.Join(out, ", ")
	case []Reason:
		out := make([]string, len(x))
		for i, r := range x {
			out[i] = Text(r, lang)
		}
		return strings.Join(out, separator(name))
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, Text(fromMap(m), lang))
				continue
			}
			out = append(out, arg(name, e, args, cat, lang))
		}
		sep := ", "
		if len(x) > 0 {
			if _, ok := x[0].(map[string]any); ok {
				sep = separator(name)
			}
		}
		return strings.Join(out, sep)
	case map[string]any:
		return Text(fromMap(x), lang)
	case Reason:
		return Text(x, lang)
	}
	return fmt.Sprint(v)
}

func separator(name string) string {
	if name == "factors" {
		return ", "
	}
	return "; "
}

// fromMap reads a reason decoded from JSON into a map.
func fromMap(m map[string]any) Reason {
	code, _ := m["code"].(string)
	args, _ := m["args"].(map[string]any)
	return Reason{Code: code, Args: args}
}

// number shows a numeric argument.
func number(name string, v float64, lang string) string {
	switch name {
	case "confidence":
		pct := strconv.Itoa(int(math.Round(100 * v)))
		if lang == English {
			return pct + "%"
		}
		return pct + "\u202f%"
	case "points":
		return fmt.Sprintf("%+d", int(math.Round(v)))
	case "minutes":
		m := int(math.Round(v))
		if m < 60 {
			return strconv.Itoa(m) + " min"
		}
		return strconv.Itoa(int(math.Round(float64(m)/60))) + " h"
	}
	if v == math.Trunc(v) {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
