// Package store persists the inbox in SQL. SQLite (modernc.org/sqlite, pure Go, WAL) is
// the embedded default; the contract every implementation meets is inbox.Store, checked
// by storetest.Run.
//
// Algorithm: one writer connection owned by one goroutine, and a pool of read-only
// connections. Callers of Write queue their functions; the writer takes every function
// waiting (up to MaxBatch), runs each inside its own SAVEPOINT within one IMMEDIATE
// transaction, and commits once (group commit). A function that fails rolls back to its
// savepoint only. When the commit fails, every function of the batch gets the error.
// With WAL, readers never block the writer nor each other.
//
// Limits: one process per database file (SQLite's lock refuses a second writer after
// busy_timeout); synchronous=NORMAL, the default, survives a process crash but may lose
// the last transactions on power loss (set synchronous: full to trade throughput for
// that).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Config is the store section of the configuration.
type Config struct {
	// Path of the SQLite database file; relative paths are under the data folder.
	Path string `yaml:"path"`
	// Synchronous is SQLite's synchronous mode: normal or full.
	Synchronous string `yaml:"synchronous"`
	// MaxBatch caps how many Write calls share one transaction.
	MaxBatch int `yaml:"max_batch"`
	// ReadConnections is the size of the read pool.
	ReadConnections int `yaml:"read_connections"`
	// BatchWait is how long the writer waits for more writes to share a commit when
	// writes come concurrently; negative: never.
	BatchWait time.Duration `yaml:"batch_wait"`
	// WriterCache is how many conversations, threads and sender identities the writer
	// keeps in memory to thread messages without a look-up query; -1 turns it off.
	WriterCache int `yaml:"writer_cache"`
}

// Defaults for Config.
const (
	DefaultPath        = "frontdesk.db"
	DefaultSynchronous = "normal"
	// DefaultMaxBatch: beyond about a hundred writes per commit the fsync is amortised
	// and a bigger batch only adds latency to its first caller.
	DefaultMaxBatch = 128
	// DefaultWriterCache: 20,000 entries of each kind, a few megabytes, more than the
	// conversations a desk has active at once.
	DefaultWriterCache = 20000
	// DefaultBatchWait: measured with 32 concurrent clients, 100 µs doubles the batch
	// (5 to 10 writes per commit) and raises throughput by about 8%.
	DefaultBatchWait = 100 * time.Microsecond
)

// WithDefaults fills zero fields.
func (c Config) WithDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.Synchronous == "" {
		c.Synchronous = DefaultSynchronous
	}
	if c.MaxBatch == 0 {
		c.MaxBatch = DefaultMaxBatch
	}
	if c.ReadConnections == 0 {
		c.ReadConnections = max(4, 2*runtime.GOMAXPROCS(0))
	}
	if c.BatchWait == 0 {
		c.BatchWait = DefaultBatchWait
	}
	if c.WriterCache == 0 {
		c.WriterCache = DefaultWriterCache
	}
	return c
}

// Validate reports the first unusable setting.
func (c Config) Validate() error {
	switch {
	case c.Synchronous != "normal" && c.Synchronous != "full":
		return fmt.Errorf("store.synchronous: %q is not normal or full", c.Synchronous)
	case c.MaxBatch < 1 || c.MaxBatch > 10000:
		return errors.New("store.max_batch: must be between 1 and 10000")
	case c.ReadConnections < 1:
		return errors.New("store.read_connections: must be at least 1")
	case c.BatchWait > time.Second:
		return errors.New("store.batch_wait: at most 1s")
	case c.WriterCache < -1 || c.WriterCache > 10_000_000:
		return errors.New("store.writer_cache: must be -1 (off) or between 1 and 10000000")
	}
	return nil
}

// busyTimeout is how long a connection waits for a lock held by another.
const busyTimeout = 10 * time.Second

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("store: closed")

// SQLite is the embedded store. Safe for concurrent use.
type SQLite struct {
	log   *slog.Logger
	cfg   Config
	wdb   *sql.DB
	rdb   *sql.DB
	wconn *sql.Conn
	// wstmts caches prepared statements of the writer connection; only the writer
	// goroutine (and Open/Migrate before it starts) touches it.
	wstmts map[string]writerStmt
	// cache and dataVersion belong to the writer goroutine too (see writerCache).
	cache       *writerCache
	floors      floorState // the writer's: see idfloor.go
	dataVersion int64
	lastBatch   int
	wait        *time.Timer
	rmu         sync.Mutex
	rstmts      map[string]*sql.Stmt

	onCommit func()
	// ckpt checkpoints the WAL in the background (nil for an in-memory database);
	// ckptPace and ckptRestart override its defaults in tests.
	ckpt        *checkpointer
	ckptPace    time.Duration
	ckptRestart int64
	reqs        chan *writeReq
	closeMu     sync.RWMutex
	closed      bool
	closing     chan struct{}
	done        chan struct{}
	closeOnce   sync.Once
}

var _ inbox.Store = (*SQLite)(nil)

type writeReq struct {
	ctx  context.Context
	fn   func(context.Context, inbox.Tx) error
	done chan error
}

// Option changes how Open sets the store up.
type Option func(*SQLite)

// WithCommitHook calls fn after every committed transaction, from the writer goroutine;
// fn must not block (a non-blocking send on a channel of capacity 1 is the intended use:
// waking the outbox relay).
func WithCommitHook(fn func()) Option { return func(s *SQLite) { s.onCommit = fn } }

// File is the database file cfg names: cfg.Path (DefaultPath when empty), relative to
// dataDir unless absolute or ":memory:".
func (c Config) File(dataDir string) string {
	path := c.WithDefaults().Path
	if !filepath.IsAbs(path) && path != ":memory:" {
		path = filepath.Join(dataDir, path)
	}
	return path
}

// Open opens (creating if needed) the database at cfg.Path, relative to dataDir, applies
// pending migrations and starts the writer.
func Open(ctx context.Context, cfg Config, dataDir string, logger *slog.Logger, opts ...Option) (*SQLite, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	path := cfg.File(dataDir)
	pragmas := []string{
		fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(" + strings.ToUpper(cfg.Synchronous) + ")",
		"foreign_keys(ON)",
		"temp_store(MEMORY)",
	}
	dsn := func(extra ...string) string {
		v := url.Values{}
		for _, p := range append(pragmas, extra...) {
			v.Add("_pragma", p)
		}
		return "file:" + path + "?" + v.Encode()
	}
	s := &SQLite{
		log:     logger.With("component", "store"),
		cfg:     cfg,
		wstmts:  map[string]writerStmt{},
		cache:   newWriterCache(cfg.WriterCache),
		wait:    time.NewTimer(time.Hour),
		rstmts:  map[string]*sql.Stmt{},
		reqs:    make(chan *writeReq, cfg.MaxBatch*4),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.wait.Stop()
	for _, o := range opts {
		o(s)
	}
	var err error
	if s.wdb, err = sql.Open("sqlite", dsn()); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s.wdb.SetMaxOpenConns(1)
	s.wdb.SetConnMaxLifetime(0)
	if s.wconn, err = s.wdb.Conn(ctx); err != nil {
		s.wdb.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.wconn.Close()
		s.wdb.Close()
		return nil, err
	}
	if s.rdb, err = sql.Open("sqlite", dsn("query_only(1)")); err != nil {
		s.wconn.Close()
		s.wdb.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(cfg.ReadConnections)
	s.rdb.SetMaxIdleConns(cfg.ReadConnections)
	if path != ":memory:" {
		if err := s.startCheckpointer(ctx, dsn()); err != nil {
			s.wconn.Close()
			s.wdb.Close()
			s.rdb.Close()
			return nil, err
		}
	}
	go s.writer()
	return s, nil
}

// startCheckpointer turns the writer's automatic checkpoints off and starts the
// background checkpointer on a connection of its own.
func (s *SQLite) startCheckpointer(ctx context.Context, dsn string) error {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: open for checkpoints: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return fmt.Errorf("store: open for checkpoints: %w", err)
	}
	if _, err := s.wconn.ExecContext(ctx, "PRAGMA wal_autocheckpoint(0)"); err != nil {
		db.Close()
		return fmt.Errorf("store: turn automatic checkpoints off: %w", err)
	}
	s.ckpt = newCheckpointer(db, s.log)
	if s.ckptPace > 0 {
		s.ckpt.pace = s.ckptPace
	}
	if s.ckptRestart > 0 {
		s.ckpt.restart = s.ckptRestart
	}
	go s.ckpt.run()
	return nil
}

// Migrate applies the embedded migrations not yet applied, each in its own transaction,
// and returns the versions it applied. Open calls it; it must not run concurrently with
// writes.
func (s *SQLite) Migrate(ctx context.Context) ([]int, error) {
	if _, err := s.wconn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL DEFAULT (datetime('now')))`); err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := s.wconn.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: migrate: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	files, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: migrate: %w", err)
	}
	sort.Strings(files)
	var done []int
	for _, f := range files {
		base := filepath.Base(f)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return done, fmt.Errorf("store: migration %s: name must start with its number", base)
		}
		if applied[v] {
			continue
		}
		body, err := migrationFiles.ReadFile(f)
		if err != nil {
			return done, fmt.Errorf("store: migration %s: %w", base, err)
		}
		if err := s.migrateOne(ctx, v, string(body)); err != nil {
			return done, fmt.Errorf("store: migration %s: %w", base, err)
		}
		s.log.Info("migration applied", "version", v)
		done = append(done, v)
	}
	return done, nil
}

func (s *SQLite) migrateOne(ctx context.Context, version int, body string) error {
	if _, err := s.wconn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return err
	}
	if _, err := s.wconn.ExecContext(ctx, body); err != nil {
		s.wconn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	if _, err := s.wconn.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
		s.wconn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		return err
	}
	_, err := s.wconn.ExecContext(ctx, "COMMIT")
	return err
}

// Write implements inbox.Store with group commit.
func (s *SQLite) Write(ctx context.Context, fn func(context.Context, inbox.Tx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1)}
	// The read lock orders enqueueing before Close: once Close holds the lock, nothing
	// new can be queued behind the writer's final drain.
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	select {
	case s.reqs <- req:
		s.closeMu.RUnlock()
	case <-ctx.Done():
		s.closeMu.RUnlock()
		return ctx.Err()
	}
	// Once queued, wait for the outcome even if ctx ends: the writer skips functions
	// whose context is done, but one already running decides the truth.
	return <-req.done
}

// writer is the single goroutine that owns the write connection.
func (s *SQLite) writer() {
	defer close(s.done)
	batch := make([]*writeReq, 0, s.cfg.MaxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.reqs:
		case <-s.closing:
			// Drain what was queued before Close, then stop.
			for {
				select {
				case r := <-s.reqs:
					batch = append(batch[:0], r)
					s.drain(&batch)
					s.runBatch(batch)
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
		s.drain(&batch)
		s.linger(&batch)
		s.lastBatch = len(batch)
		s.runBatch(batch)
	}
}

// linger waits up to BatchWait for more functions when the last batch had several:
// callers are writing concurrently, and sharing the commit (its WAL writes cost as much
// as the functions of a small batch) lets the writer keep up with more of them. A lone
// writer, the usual case at a quiet desk, never waits.
func (s *SQLite) linger(batch *[]*writeReq) {
	if s.cfg.BatchWait <= 0 || s.lastBatch < 2 || len(*batch) >= s.cfg.MaxBatch {
		return
	}
	s.wait.Reset(s.cfg.BatchWait)
	defer s.wait.Stop()
	for len(*batch) < s.cfg.MaxBatch {
		select {
		case r := <-s.reqs:
			*batch = append(*batch, r)
		case <-s.wait.C:
			return
		}
	}
}

func (s *SQLite) drain(batch *[]*writeReq) {
	for len(*batch) < s.cfg.MaxBatch {
		select {
		case r := <-s.reqs:
			*batch = append(*batch, r)
		default:
			return
		}
	}
}

// runBatch executes one group-committed transaction.
func (s *SQLite) runBatch(batch []*writeReq) {
	ctx := context.Background()
	if s.ckpt != nil {
		s.ckpt.restartIfDue(s.wconn, busyTimeout)
	}
	errs := make([]error, len(batch))
	fail := func(err error) {
		for i, r := range batch {
			if errs[i] == nil {
				errs[i] = err
			}
			r.done <- errs[i]
		}
	}
	if _, err := s.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		fail(fmt.Errorf("store: begin: %w", err))
		return
	}
	// Holding the write lock, nobody else can commit until this batch ends: if someone
	// did since the last batch, what the writer cache holds may be stale.
	if err := s.checkDataVersion(ctx); err != nil {
		s.rollback()
		fail(fmt.Errorf("store: data version: %w", err))
		return
	}
	useSavepoints := len(batch) > 1
	anyOK := false
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if useSavepoints {
			if _, err := s.exec(ctx, "SAVEPOINT w"); err != nil {
				s.rollback()
				fail(fmt.Errorf("store: savepoint: %w", err))
				return
			}
		}
		err := s.call(r)
		if err != nil {
			errs[i] = err
			if !useSavepoints {
				s.rollback()
				fail(nil)
				return
			}
			s.cache.reset()
			s.floors.forget()
			if _, rerr := s.exec(ctx, "ROLLBACK TO w"); rerr != nil {
				s.rollback()
				fail(fmt.Errorf("store: rollback to savepoint: %w", rerr))
				return
			}
		} else {
			anyOK = true
		}
		if useSavepoints {
			if _, err := s.exec(ctx, "RELEASE w"); err != nil {
				s.rollback()
				fail(fmt.Errorf("store: release savepoint: %w", err))
				return
			}
		}
	}
	if !anyOK {
		s.rollback()
		fail(nil)
		return
	}
	if _, err := s.exec(ctx, "COMMIT"); err != nil {
		s.rollback()
		fail(fmt.Errorf("store: commit: %w", err))
		return
	}
	if s.onCommit != nil {
		s.onCommit()
	}
	if s.ckpt != nil {
		s.ckpt.committed()
	}
	for i, r := range batch {
		r.done <- errs[i]
	}
}

// call runs one function, turning a panic into an error so one bad caller cannot take
// the writer (and every other caller) down.
func (s *SQLite) call(r *writeReq) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in write function", "panic", fmt.Sprint(p))
			err = fmt.Errorf("store: write function panicked: %v", p)
		}
	}()
	// Once started, a function runs to its end whatever becomes of its caller's context:
	// the outcome is decided here, and Write waits for it. A context that cannot be
	// cancelled also spares the driver a watcher goroutine per statement.
	return r.fn(context.WithoutCancel(r.ctx), &tx{s: s})
}

func (s *SQLite) rollback() {
	s.cache.reset()
	s.floors.forget()
	if _, err := s.wconn.ExecContext(context.Background(), "ROLLBACK"); err != nil && !strings.Contains(err.Error(), "no transaction") {
		s.log.Error("rollback failed", "err", err)
	}
}

// writerStmt is a prepared statement of the writer connection, with whether running it
// empties the writer cache.
type writerStmt struct {
	st         *sql.Stmt
	invalidate bool
}

// exec runs a statement on the writer connection through the statement cache. A write
// to a table the writer cache depends on empties the cache; the tx methods that keep the
// cache up to date themselves use execKeep.
func (s *SQLite) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.execStmt(ctx, true, query, args...)
}

// execKeep is exec for a statement whose effect on the writer cache the caller applies.
func (s *SQLite) execKeep(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.execStmt(ctx, false, query, args...)
}

func (s *SQLite) execStmt(ctx context.Context, invalidate bool, query string, args ...any) (sql.Result, error) {
	w, err := s.wstmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if invalidate && w.invalidate {
		s.cache.reset()
	}
	return w.st.ExecContext(ctx, args...)
}

func (s *SQLite) wstmt(ctx context.Context, query string) (writerStmt, error) {
	if w, ok := s.wstmts[query]; ok {
		return w, nil
	}
	st, err := s.wconn.PrepareContext(ctx, query)
	if err != nil {
		return writerStmt{}, fmt.Errorf("prepare: %w", err)
	}
	w := writerStmt{st: st, invalidate: invalidates(query)}
	s.wstmts[query] = w
	return w, nil
}

// checkDataVersion empties the writer cache, and forgets the id floors, when another
// connection committed since the last call. PRAGMA data_version changes only for commits by other connections.
func (s *SQLite) checkDataVersion(ctx context.Context) error {
	w, err := s.wstmt(ctx, "PRAGMA data_version")
	if err != nil {
		return err
	}
	var v int64
	if err := w.st.QueryRowContext(ctx).Scan(&v); err != nil {
		return err
	}
	if v != s.dataVersion {
		s.cache.reset()
		s.floors.forget() // another process (the CLI's erase) may have raised a floor
		s.dataVersion = v
	}
	return nil
}

// rstmt returns a prepared statement of the read pool.
func (s *SQLite) rstmt(ctx context.Context, query string) (*sql.Stmt, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	if st, ok := s.rstmts[query]; ok {
		return st, nil
	}
	st, err := s.rdb.PrepareContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	s.rstmts[query] = st
	return st, nil
}

// DeleteOutboxBelow implements inbox.Store.
func (s *SQLite) DeleteOutboxBelow(ctx context.Context, id uint64) (int64, error) {
	var n int64
	err := s.Write(ctx, func(ctx context.Context, _ inbox.Tx) error {
		res, err := s.exec(ctx, `DELETE FROM outbox WHERE id < ?`, int64(id))
		if err != nil {
			return fmt.Errorf("store: delete outbox: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// Ping implements inbox.Store.
func (s *SQLite) Ping(ctx context.Context) error {
	if err := s.rdb.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close stops accepting writes, finishes the queued ones and closes the database.
func (s *SQLite) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closeMu.Lock()
		s.closed = true
		s.closeMu.Unlock()
		close(s.closing)
		<-s.done
		var ckErr error
		if s.ckpt != nil {
			ckErr = s.ckpt.close()
		}
		for _, w := range s.wstmts {
			w.st.Close()
		}
		for _, st := range s.rstmts {
			st.Close()
		}
		// A passive checkpoint keeps the WAL file small for the next start.
		s.wconn.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		err = errors.Join(ckErr, s.wconn.Close(), s.wdb.Close(), s.rdb.Close())
	})
	return err
}
