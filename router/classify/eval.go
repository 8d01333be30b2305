package classify

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Report is the evaluation of a classifier on labelled samples.
type Report struct {
	Samples  int
	Category FieldReport
	Language FieldReport
	Tension  FieldReport
}

// FieldReport is the accuracy and confusion matrix of one field.
type FieldReport struct {
	Name string
	// Labels are the rows and columns of Confusion, in order.
	Labels []string
	// Confusion[i][j] counts samples expected Labels[i] and classified Labels[j].
	Confusion [][]int
	// Scored counts samples that carried an expected label for this field.
	Scored  int
	Correct int
}

// Accuracy is the share of scored samples classified right (0 when none was scored).
func (f FieldReport) Accuracy() float64 {
	if f.Scored == 0 {
		return 0
	}
	return float64(f.Correct) / float64(f.Scored)
}

func newField(name string, labels []string) FieldReport {
	f := FieldReport{Name: name, Labels: slices.Clone(labels)}
	f.Confusion = make([][]int, len(labels))
	for i := range f.Confusion {
		f.Confusion[i] = make([]int, len(labels))
	}
	return f
}

// add counts one sample; labels not yet known get a row and a column.
func (f *FieldReport) add(want, got string) {
	if want == "" {
		return
	}
	i, j := f.label(want), f.label(got)
	f.Confusion[i][j]++
	f.Scored++
	if want == got {
		f.Correct++
	}
}

func (f *FieldReport) label(l string) int {
	if i := slices.Index(f.Labels, l); i >= 0 {
		return i
	}
	f.Labels = append(f.Labels, l)
	for i := range f.Confusion {
		f.Confusion[i] = append(f.Confusion[i], 0)
	}
	f.Confusion = append(f.Confusion, make([]int, len(f.Labels)))
	return len(f.Labels) - 1
}

// NewReport returns an empty report for the classifier's labels.
func (c *Classifier) NewReport() *Report {
	return &Report{
		Category: newField("category", c.categories),
		Language: newField("language", Languages),
		Tension:  newField("tension", Tensions),
	}
}

// Add classifies s and counts the outcome against its labels.
func (r *Report) Add(c *Classifier, s Sample) Result {
	res := c.Classify(Input{Subject: s.Subject, Text: s.Text, Channel: s.Channel})
	r.Samples++
	r.Category.add(s.Category, res.Category)
	r.Language.add(s.Language, res.Language)
	r.Tension.add(s.Tension, res.Tension)
	return res
}

// Evaluate classifies every sample and reports against their labels.
func Evaluate(c *Classifier, samples []Sample) *Report {
	r := c.NewReport()
	for _, s := range samples {
		r.Add(c, s)
	}
	return r
}

// Write prints the report: accuracy per field, then each confusion matrix (rows are the
// expected labels, columns what the classifier said).
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d samples\n", r.Samples)
	fields := []*FieldReport{&r.Category, &r.Language, &r.Tension}
	for _, f := range fields {
		if f.Scored == 0 {
			fmt.Fprintf(&b, "%-9s accuracy: no expected labels\n", f.Name)
			continue
		}
		fmt.Fprintf(&b, "%-9s accuracy: %6.2f%% (%d/%d)\n", f.Name, 100*f.Accuracy(), f.Correct, f.Scored)
	}
	for _, f := range fields {
		if f.Scored == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s confusion (rows: expected, columns: classified)\n", f.Name)
		width := 8
		for _, l := range f.Labels {
			width = max(width, len(l)+1)
		}
		fmt.Fprintf(&b, "%*s", width, "")
		for _, l := range f.Labels {
			fmt.Fprintf(&b, " %*s", width, l)
		}
		b.WriteByte('\n')
		for i, l := range f.Labels {
			fmt.Fprintf(&b, "%*s", width, l)
			for j := range f.Labels {
				fmt.Fprintf(&b, " %*d", width, f.Confusion[i][j])
			}
			b.WriteByte('\n')
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
