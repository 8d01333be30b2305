package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/frontdeskhq/frontdesk/configs"
	"github.com/frontdeskhq/frontdesk/router/classify"
	"github.com/frontdeskhq/frontdesk/router/priority"
)

// runClassify classifies messages given as JSON lines, evaluates the classifier on a
// labelled file, or retrains it with the agents' corrections.
//
//	frontdesk classify < in.jsonl > out.jsonl
//	frontdesk classify --eval FILE
//	frontdesk classify --retrain
func runClassify(ctx context.Context, e *env, args []string) error {
	var c common
	fs := flags(e, "classify", &c)
	eval := fs.String("eval", "", "evaluate on the labelled JSON lines of `file` (- for stdin): accuracy per field and confusion matrices")
	retrain := fs.Bool("retrain", false, "retrain on the dataset and the agents' corrections, evaluate on the held-out set, save the model in the data folder")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q (messages come on stdin)", errUsage, fs.Arg(0))
	}
	if *eval != "" && *retrain {
		return fmt.Errorf("%w: --eval and --retrain do not go together", errUsage)
	}
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	switch {
	case *retrain:
		return retrainClassifier(ctx, e, c, cfg)
	case *eval != "":
		return evalClassifier(e, cfg, *eval)
	}
	return classifyStream(e, cfg)
}

// classified is one output line of frontdesk classify.
type classified struct {
	Category           string  `json:"category"`
	CategoryConfidence float64 `json:"category_confidence"`
	Language           string  `json:"language"`
	Tension            string  `json:"tension"`
	Priority           int     `json:"priority"`
	Explanation        string  `json:"explanation"`
}

// classifyStream reads {"subject","text","channel"} lines on stdin and writes one result
// line per message. A line that does not decode gets {"error": …} naming it, and the
// command ends with status 1 after the last line.
func classifyStream(e *env, cfg config) error {
	clf, _, _, err := loadClassifier(cfg)
	if err != nil {
		return err
	}
	weights := cfg.Router.Priority
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	sc := bufio.NewScanner(e.stdin)
	sc.Buffer(make([]byte, 64<<10), classify.MaxLineBytes)
	line, bad := 0, 0
	for sc.Scan() {
		line++
		s, skip, err := classify.DecodeSample(sc.Bytes())
		if skip {
			continue
		}
		if err != nil {
			bad++
			if err := enc.Encode(map[string]string{"error": fmt.Sprintf("line %d: %v", line, err)}); err != nil {
				return err
			}
			continue
		}
		if err := enc.Encode(classifyOne(clf, weights, s)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	if bad > 0 {
		out.Flush()
		return fmt.Errorf("%d of %d lines could not be read", bad, line)
	}
	return nil
}

func classifyOne(clf *classify.Classifier, w priority.Weights, s classify.Sample) classified {
	r := clf.Classify(classify.Input{Subject: s.Subject, Text: s.Text, Channel: s.Channel})
	score := w.Score(priority.Input{Category: r.Category, Tension: r.Tension, Urgency: r.Urgency, Channel: s.Channel})
	return classified{Category: r.Category, CategoryConfidence: r.CategoryConfidence, Language: r.Language,
		Tension: r.Tension, Priority: score.Value, Explanation: r.Explanation.String() + "; " + score.String()}
}

// evalClassifier reads labelled lines from path (- for stdin) and prints the report.
func evalClassifier(e *env, cfg config, path string) error {
	clf, source, _, err := loadClassifier(cfg)
	if err != nil {
		return err
	}
	var in io.Reader = e.stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	r := clf.NewReport()
	if err := classify.EachSample(in, func(_ int, s classify.Sample) error { r.Add(clf, s); return nil }); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "model: %s\n", source)
	return r.Write(e.stdout)
}

// retrainClassifier trains on the embedded dataset and the agents' corrections, prints
// the evaluation on the held-out set and saves the model where serve loads it.
func retrainClassifier(ctx context.Context, e *env, c common, cfg config) error {
	a, err := openQuiet(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	samples, err := embeddedSamples(configs.ClassifierTrain)
	if err != nil {
		return err
	}
	corrections, err := a.inbox.CorrectionSamples(ctx)
	if err != nil {
		return err
	}
	used := 0
	for _, cs := range corrections {
		s := classify.Sample{Subject: cs.Subject, Text: cs.Text, Channel: cs.Channel, Category: cs.Category, Language: cs.Language, Tension: cs.Tension}
		if !contains(cfg.Router.Classifier.Categories, s.Category) || !contains(classify.Languages, s.Language) || !contains(classify.Tensions, s.Tension) {
			fmt.Fprintf(e.stderr, "correction of message %d skipped: labels %s/%s/%s are not configured\n", cs.MessageID, s.Category, s.Language, s.Tension)
			continue
		}
		samples = append(samples, s)
		used++
	}
	m, err := classify.Train(samples, cfg.Router.Classifier.Categories, classify.TrainOptions{Now: time.Now()})
	if err != nil {
		return err
	}
	clf, err := classify.New(cfg.Router.Classifier, m)
	if err != nil {
		return err
	}
	holdout, err := embeddedSamples(configs.ClassifierHoldout)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "trained on %d samples (%d from the dataset, %d corrections)\nheld-out evaluation:\n", len(samples), len(samples)-used, used)
	if err := classify.Evaluate(clf, holdout).Write(e.stdout); err != nil {
		return err
	}
	path := modelPath(cfg)
	if err := saveModel(m, path); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "model saved to %s; a running hub loads it within a minute\n", path)
	return nil
}

// saveModel writes m to path atomically: a reader never sees half a model.
func saveModel(m *classify.Model, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := m.Save(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
