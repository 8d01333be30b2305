package search

import (
	"errors"
	"time"
)

// Config is the search section of the configuration.
type Config struct {
	// Disabled makes this instance neither open the index nor run the indexer (search
	// answers 503): for the hubs of a multi-instance deployment that do not own the
	// index. Every instance still keeps the indexer's consumer group in the relay's
	// list, so that events wait for the owner.
	Disabled bool `yaml:"disabled"`
	// Path of the index folder; relative paths are under the data folder.
	Path string `yaml:"path"`
	// BatchSize is the most bus events the indexer folds into one index batch.
	BatchSize int `yaml:"batch_size"`
	// BatchWait is how long the indexer waits for more events before writing a batch
	// that is not full: the bound on how stale the index is under light load.
	BatchWait time.Duration `yaml:"batch_wait"`
	// CatchUpMargin is how far before its checkpoint the indexer starts catching up
	// from the store at start: it covers writes whose time was taken before an earlier
	// write's but committed after it.
	CatchUpMargin time.Duration `yaml:"catch_up_margin"`
	// MaxExportRows caps the rows of one CSV export.
	MaxExportRows int `yaml:"max_export_rows"`
	// HoldUnclassified is how long the indexer may wait for the router to classify a
	// new conversation before writing its documents: written before, they are written
	// again once classified (the category, language and team they carry change).
	// Negative: never wait.
	HoldUnclassified time.Duration `yaml:"hold_unclassified"`
}

// Defaults for Config.
const (
	// DefaultPath: the index lives next to the database, under data_dir.
	DefaultPath = "index"
	// DefaultBatchSize: bleve indexes batches of several hundred documents several
	// times faster per document than single documents; past a thousand the gain is flat
	// and a batch's memory grows.
	DefaultBatchSize = 1000
	// DefaultBatchWait: a quarter second keeps new messages searchable well within the
	// two seconds people tolerate, while a burst still fills large batches.
	DefaultBatchWait = 250 * time.Millisecond
	// DefaultCatchUpMargin: far above the time a write waits in the store's queue.
	DefaultCatchUpMargin = time.Minute
	// DefaultMaxExportRows: a year of a busy desk's messages on one subject; beyond
	// that an export is a backup, which is not this feature's job.
	DefaultMaxExportRows = 50000
	// DefaultHoldUnclassified: the router classifies within a fraction of a second
	// under normal load; a second keeps new messages searchable within two.
	DefaultHoldUnclassified = time.Second
)

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchWait == 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.CatchUpMargin == 0 {
		c.CatchUpMargin = DefaultCatchUpMargin
	}
	if c.MaxExportRows == 0 {
		c.MaxExportRows = DefaultMaxExportRows
	}
	if c.HoldUnclassified == 0 {
		c.HoldUnclassified = DefaultHoldUnclassified
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.BatchSize < 1 || c.BatchSize > 100000:
		return errors.New("search.batch_size: must be between 1 and 100000")
	case c.BatchWait < time.Millisecond || c.BatchWait > time.Minute:
		return errors.New("search.batch_wait: must be between 1ms and 1m")
	case c.CatchUpMargin < 0:
		return errors.New("search.catch_up_margin: must not be negative")
	case c.MaxExportRows < 1:
		return errors.New("search.max_export_rows: must be at least 1")
	case c.HoldUnclassified > 10*time.Second:
		return errors.New("search.hold_unclassified: must be at most 10s (negative: never wait)")
	}
	return nil
}
