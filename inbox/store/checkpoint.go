package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointer copies the write-ahead log back into the database file from its own
// connection, so that the writer never does.
//
// By default SQLite checkpoints from the connection that commits once the WAL passes
// 1,000 pages: under a steady ingest that was about thirty times a second, each
// stalling the writer, and every caller queued behind it, for about 5 ms (copying the
// pages, then two fsyncs): 15% of the writer's time. Here the writer's automatic
// checkpoint is off; after commits this goroutine runs a PASSIVE checkpoint, which
// never blocks the writer nor readers, at most once per pace. When writes never pause,
// a passive checkpoint never catches up with the end of the WAL, so SQLite cannot start
// it over and it would grow without bound; past restartFrames the checkpointer asks the
// writer for a RESTART checkpoint, which the writer runs between two transactions
// (from here it would have to win the write lock against a busy writer, and could
// starve): it copies what is left, little since the passive ones did the rest, and the
// next transaction starts the WAL over.
type checkpointer struct {
	db      *sql.DB
	log     *slog.Logger
	pace    time.Duration
	restart int64
	// restartDue is set here and taken by the writer.
	restartDue atomic.Bool
	// quietUntil (Unix nanoseconds) is set by the writer when readers kept a RESTART
	// from completing: no new one is asked for before then.
	quietUntil atomic.Int64
	// mu is held during each checkpoint, so that the writer's RESTART waits for a
	// PASSIVE one under way instead of finding SQLite's checkpoint lock taken: only
	// readers can then keep it from finishing.
	mu   sync.Mutex
	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

const (
	// checkpointPace: at most ten checkpoints a second; each copies the pages that
	// changed since the last, once however many times they changed.
	checkpointPace = 100 * time.Millisecond
	// restartFrames: 16,384 pages, a 64 MB WAL, restarted about twice a second at
	// 10,000 messages/s.
	restartFrames = 16384
	// restartWait bounds how long the writer's RESTART waits for readers: one reading an
	// old snapshot (a long query, a backup) would otherwise hold every write for the
	// connection's whole busy timeout, again at each attempt.
	restartWait = 50 * time.Millisecond
	// restartBackoff: after readers kept a RESTART from completing, the next is not
	// asked for before this long; the WAL meanwhile grows past the threshold.
	restartBackoff = time.Second
)

func newCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	return &checkpointer{
		db: db, log: log, pace: checkpointPace, restart: restartFrames,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
}

// committed tells the checkpointer the WAL grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	pace := time.NewTimer(0)
	defer pace.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		c.mu.Lock()
		_, frames, err := c.checkpoint(c.db, "PASSIVE")
		c.mu.Unlock()
		if err == nil && frames >= c.restart && time.Now().UnixNano() >= c.quietUntil.Load() {
			c.restartDue.Store(true)
		}
		if err != nil {
			c.log.Warn("WAL checkpoint failed; the next one retries", "err", err)
		}
		pace.Reset(c.pace)
		select {
		case <-c.stop:
			return
		case <-pace.C:
		}
	}
}

// restartIfDue runs the RESTART checkpoint the checkpointer asked for, on the writer's
// connection conn, between two transactions, waiting at most restartWait for readers;
// busyTimeout is the connection's usual busy timeout, restored afterwards.
func (c *checkpointer) restartIfDue(conn sqlConn, busyTimeout time.Duration) {
	if !c.restartDue.Swap(false) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout(%d)", restartWait.Milliseconds())); err != nil {
		c.log.Warn("WAL restart skipped", "err", err)
		return
	}
	busy, frames, err := c.checkpoint(conn, "RESTART")
	if _, rerr := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout(%d)", busyTimeout.Milliseconds())); rerr != nil {
		c.log.Error("could not restore the writer's busy timeout", "err", rerr)
	}
	switch {
	case err != nil:
		c.log.Warn("WAL restart failed; the next one retries", "err", err)
	case busy:
		c.quietUntil.Store(time.Now().Add(restartBackoff).UnixNano())
		c.log.Info("WAL restart postponed: readers still use it", "frames", frames, "retry_in", restartBackoff)
	}
}

// sqlConn is what checkpoints need of a connection (*sql.Conn, or a *sql.DB of one).
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// checkpoint runs one checkpoint on conn; busy is true when it could not finish
// (readers or another checkpoint in the way), frames is how many the WAL holds.
func (c *checkpointer) checkpoint(conn sqlConn, mode string) (busy bool, frames int64, err error) {
	var b, copied int64
	err = conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint("+mode+")").Scan(&b, &frames, &copied)
	if err != nil {
		return false, 0, fmt.Errorf("store: %s checkpoint: %w", mode, err)
	}
	return b != 0, frames, nil
}

// close stops the loop, after the checkpoint under way if any.
func (c *checkpointer) close() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}

// withCheckpoints sets the checkpointer's pace and RESTART threshold (tests).
func withCheckpoints(pace time.Duration, restart int64) Option {
	return func(s *SQLite) { s.ckptPace, s.ckptRestart = pace, restart }
}
