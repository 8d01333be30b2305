package classify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Sample is one labelled message: a line of a dataset file in JSON lines, and the input
// of the classify command (whose labels are then empty).
type Sample struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	Channel string `json:"channel"`
	// Category, Language and Tension are the expected labels.
	Category string `json:"category,omitempty"`
	Language string `json:"language,omitempty"`
	Tension  string `json:"tension,omitempty"`
}

// MaxLineBytes caps one JSON line of a dataset or of the classify command's input.
const MaxLineBytes = 1 << 20

// ErrDataset is wrapped by every dataset reading error.
var ErrDataset = errors.New("classify: dataset")

// ReadSamples reads JSON lines. Blank lines and lines starting with # are skipped;
// errors name the line. Unknown fields are ignored, so files may carry notes.
func ReadSamples(r io.Reader) ([]Sample, error) {
	var out []Sample
	err := EachSample(r, func(line int, s Sample) error {
		out = append(out, s)
		return nil
	})
	return out, err
}

// EachSample calls fn for each sample of r, in order, with its line number. A line that
// does not decode stops the reading with an error naming it.
func EachSample(r io.Reader, fn func(line int, s Sample) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	n := 0
	for sc.Scan() {
		n++
		s, skip, err := DecodeSample(sc.Bytes())
		if err != nil {
			return fmt.Errorf("%w: line %d: %v", ErrDataset, n, err)
		}
		if skip {
			continue
		}
		if err := fn(n, s); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("%w: line %d: longer than %d bytes", ErrDataset, n+1, MaxLineBytes)
		}
		return fmt.Errorf("%w: %v", ErrDataset, err)
	}
	return nil
}

// DecodeSample decodes one JSON line; skip is true for a blank or comment line.
func DecodeSample(line []byte) (s Sample, skip bool, err error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] == '#' {
		return s, true, nil
	}
	if err := json.Unmarshal(line, &s); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return s, false, fmt.Errorf("malformed JSON at byte %d", syn.Offset)
		case errors.As(err, &typ):
			return s, false, fmt.Errorf("field %q must be a %s", typ.Field, typ.Type)
		}
		return s, false, fmt.Errorf("not a JSON object: %v", err)
	}
	if strings.TrimSpace(s.Subject) == "" && strings.TrimSpace(s.Text) == "" {
		return s, false, errors.New("subject and text are both empty")
	}
	return s, false, nil
}

// check reports the first label of s that is not in the accepted lists, for training
// data that must be fully labelled.
func (s Sample) check(categories []string) error {
	if !contains(categories, s.Category) {
		return fmt.Errorf("category %q is not one of %s", s.Category, strings.Join(categories, ", "))
	}
	if !contains(Languages, s.Language) {
		return fmt.Errorf("language %q is not one of %s", s.Language, strings.Join(Languages, ", "))
	}
	if !contains(Tensions, s.Tension) {
		return fmt.Errorf("tension %q is not one of %s", s.Tension, strings.Join(Tensions, ", "))
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
