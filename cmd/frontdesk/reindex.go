package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/frontdeskhq/frontdesk/inbox/store"
	"github.com/frontdeskhq/frontdesk/search"
)

// searchPath is the index folder of cfg.
func searchPath(cfg config) string {
	if filepath.IsAbs(cfg.Search.Path) {
		return cfg.Search.Path
	}
	return filepath.Join(cfg.DataDir, cfg.Search.Path)
}

// openSearch opens the search index of cfg for serving. An index built by another
// version of the mapping (an upgrade) is rebuilt from the database first.
func openSearch(ctx context.Context, cfg config, st *store.SQLite, log *slog.Logger) (*search.Index, error) {
	path := searchPath(cfg)
	o := search.Options{Directory: st, DefaultCountry: cfg.Inbox.DefaultCountryCode, MaxExportRows: cfg.Search.MaxExportRows, Logger: log}
	idx, err := search.Open(path, o)
	if errors.Is(err, search.ErrStale) {
		total, cerr := st.CountMessages(ctx)
		if cerr != nil {
			return nil, cerr
		}
		log.Warn("the search index was built by another version of frontdesk: rebuilding it from the database before serving",
			"path", path, "messages", total)
		start, last := time.Now(), time.Now()
		n, rerr := search.Rebuild(ctx, path, st, o, cfg.Search, func(done int) {
			if time.Since(last) >= 5*time.Second {
				last = time.Now()
				log.Info("rebuilding the search index", "done", done, "of", total)
			}
		})
		if rerr != nil {
			return nil, fmt.Errorf("rebuild the search index: %w", rerr)
		}
		log.Info("search index rebuilt", "messages", n, "took", time.Since(start).Round(time.Millisecond))
		idx, err = search.Open(path, o)
	}
	if errors.Is(err, search.ErrLocked) {
		return nil, fmt.Errorf("%w (another frontdesk serve on this data folder?)", err)
	}
	return idx, err
}

// runReindex rebuilds the search index from the database, with a progress bar and a
// rate on stderr. The hub must be stopped: it holds the index while it runs.
func runReindex(ctx context.Context, e *env, args []string) error {
	var c common
	if err := parse(flags(e, "reindex", &c), args); err != nil {
		return err
	}
	a, err := openExisting(ctx, e, c)
	if err != nil {
		return err
	}
	defer a.close()
	total, err := a.store.CountMessages(ctx)
	if err != nil {
		return err
	}
	path := searchPath(a.cfg)
	p := newProgressBar(e.stderr, "reindex", total)
	n, err := search.Rebuild(ctx, path, a.store, search.Options{DefaultCountry: a.cfg.Inbox.DefaultCountryCode, Logger: a.log},
		a.cfg.Search, p.update)
	if err == nil {
		p.done(n)
	} else {
		p.stop()
	}
	if errors.Is(err, search.ErrLocked) {
		return fmt.Errorf("%w: stop frontdesk serve first (it owns the index), then run reindex again", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "search index %s rebuilt: %d messages\n", path, n)
	return nil
}

// progressBar draws "reindex [#####.....] 52% 10400/20000 8700/s" on a terminal line;
// to a file or a pipe (a log) it writes such a line every five seconds instead of
// redrawing one. Safe for concurrent use.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	tty   bool
	label string
	total int64
	start time.Time
	last  time.Time
	drawn bool // something is on the current line
}

func newProgressBar(w io.Writer, label string, total int64) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w), label: label, total: total, start: time.Now(), last: time.Now()}
}

// update redraws the bar, at most ten times a second (a line every five seconds when
// not on a terminal).
func (p *progressBar) update(done int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	switch {
	case p.tty && now.Sub(p.last) >= 100*time.Millisecond:
		p.draw(done, "\r")
		p.drawn = true
	case !p.tty && now.Sub(p.last) >= 5*time.Second:
		p.draw(done, "")
		fmt.Fprintln(p.w)
	default:
		return
	}
	p.last = now
}

// done draws the final state and ends the line.
func (p *progressBar) done(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prefix := ""
	if p.tty {
		prefix = "\r"
	}
	p.draw(n, prefix)
	fmt.Fprintln(p.w)
	p.drawn = false
}

// stop ends the bar's line after a failure, without claiming an end state.
func (p *progressBar) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
}

func (p *progressBar) draw(done int, prefix string) {
	const width = 30
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(done)/float64(p.total))
	}
	fill := int(frac * width)
	rate := float64(done) / max(time.Since(p.start).Seconds(), 1e-3)
	fmt.Fprintf(p.w, "%s%s [%s%s] %3.0f%% %d/%d %.0f/s", prefix, p.label,
		strings.Repeat("#", fill), strings.Repeat(".", width-fill), frac*100, done, p.total, rate)
}

// indexerMetrics exports the indexer's batches to Prometheus.
type indexerMetrics struct {
	batches  *prometheus.CounterVec
	docs     prometheus.Counter
	duration prometheus.Histogram
}

func newIndexerMetrics(reg prometheus.Registerer) *indexerMetrics {
	m := &indexerMetrics{
		batches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "frontdesk_search_batches_total",
			Help: "Index batches written by the search indexer, by result."}, []string{"result"}),
		docs: prometheus.NewCounter(prometheus.CounterOpts{Name: "frontdesk_search_documents_indexed_total",
			Help: "Message documents written by the search indexer."}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "frontdesk_search_batch_duration_seconds",
			Help: "Time to read, build and write one index batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)}),
	}
	reg.MustRegister(m.batches, m.docs, m.duration)
	return m
}

// Indexed implements search.Observer.
func (m *indexerMetrics) Indexed(_, docs int, took time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.batches.WithLabelValues(result).Inc()
	m.docs.Add(float64(docs))
	m.duration.Observe(took.Seconds())
}
