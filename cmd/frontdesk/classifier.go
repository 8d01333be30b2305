package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/frontdeskhq/frontdesk/configs"
	"github.com/frontdeskhq/frontdesk/router/classify"
)

// modelPath is where the retrained classifier model lives.
func modelPath(cfg config) string {
	p := cfg.Router.Classifier.Model
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(cfg.DataDir, p)
}

// embeddedSamples reads one of the embedded dataset files.
func embeddedSamples(raw []byte) ([]classify.Sample, error) {
	return classify.ReadSamples(bytes.NewReader(raw))
}

// loadClassifier returns the classifier of cfg: the retrained model in the data folder
// when there is one, else a model trained now (a fraction of a second) on the embedded
// dataset. It says which in source.
func loadClassifier(cfg config) (c *classify.Classifier, source string, modTime time.Time, err error) {
	path := modelPath(cfg)
	f, err := os.Open(path)
	switch {
	case err == nil:
		defer f.Close()
		st, _ := f.Stat()
		m, err := classify.LoadModel(f)
		if err != nil {
			return nil, "", time.Time{}, fmt.Errorf("classifier model %s: %w", path, err)
		}
		c, err := classify.New(cfg.Router.Classifier, m)
		if err != nil {
			return nil, "", time.Time{}, fmt.Errorf("classifier model %s: %w", path, err)
		}
		return c, path, st.ModTime(), nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, "", time.Time{}, fmt.Errorf("classifier model: %w", err)
	}
	samples, err := embeddedSamples(configs.ClassifierTrain)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	m, err := classify.Train(samples, cfg.Router.Classifier.Categories, classify.TrainOptions{Now: time.Now()})
	if err != nil {
		return nil, "", time.Time{}, fmt.Errorf("train the classifier: %w (categories other than the defaults need a retrained model)", err)
	}
	c, err = classify.New(cfg.Router.Classifier, m)
	return c, "embedded dataset", time.Time{}, err
}

// classifierSetter receives a reloaded classifier.
type classifierSetter interface{ SetClassifier(*classify.Classifier) }

// modelCheckEvery is how often serve looks for a retrained model file.
const modelCheckEvery = 30 * time.Second

// watchModel reloads the classifier when `frontdesk classify --retrain` writes a new
// model file, so a running hub picks it up without a restart.
func watchModel(cfg config, dst classifierSetter, seen time.Time, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		t := time.NewTicker(modelCheckEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			st, err := os.Stat(modelPath(cfg))
			if err != nil || !st.ModTime().After(seen) {
				continue
			}
			c, source, mt, err := loadClassifier(cfg)
			if err != nil {
				log.Error("retrained classifier not loaded", "err", err)
				seen = st.ModTime()
				continue
			}
			dst.SetClassifier(c)
			seen = mt
			log.Info("classifier reloaded", "model", source)
		}
	}
}
