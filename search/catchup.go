package search

import (
	"context"
	"fmt"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Progress is told how far a catch-up or rebuild is: documents written so far.
type Progress func(done int)

// CatchUp indexes every message of the conversations changed since the checkpoint
// (less the catch-up margin; everything when the index has no checkpoint), then moves
// the checkpoint to the time the catch-up started. It returns the documents written.
func (x *Indexer) CatchUp(ctx context.Context, progress Progress) (int, error) {
	cp, ok, err := x.idx.Checkpoint()
	if err != nil {
		return 0, err
	}
	var since time.Time
	if ok {
		since = cp.Time.Add(-x.cfg.CatchUpMargin)
	}
	return x.indexSince(ctx, since, progress)
}

// catchUpPage is how many conversations one catch-up step reads.
const catchUpPage = 200

func (x *Indexer) indexSince(ctx context.Context, since time.Time, progress Progress) (int, error) {
	started := x.now().UTC()
	clear(x.uniform.byConv) // what it rewrites is no longer known uniform
	var after *inbox.Cursor
	total := 0
	docs := map[string]Document{}
	var deletes []string
	for {
		convs, err := x.src.ConversationsChanged(ctx, since, after, catchUpPage)
		if err != nil {
			return total, fmt.Errorf("search: catch up: %w", err)
		}
		if len(convs) == 0 {
			break
		}
		last := convs[len(convs)-1]
		after = &inbox.Cursor{Time: last.UpdatedAt.UnixMicro(), ID: last.ID}
		ids := make([]int64, len(convs))
		for i, c := range convs {
			ids[i] = c.ID
		}
		msgs, err := x.src.MessagesOf(ctx, ids)
		if err != nil {
			return total, fmt.Errorf("search: catch up: %w", err)
		}
		if err := x.documents(ctx, msgs, docs, &deletes, nil); err != nil {
			return total, err
		}
		if len(docs) >= x.cfg.BatchSize {
			if err := x.idx.write(docs, deletes, nil); err != nil {
				return total, err
			}
			total += len(docs)
			clear(docs)
			deletes = deletes[:0]
			if progress != nil {
				progress(total)
			}
		}
	}
	if err := x.idx.write(docs, deletes, &Checkpoint{Time: started}); err != nil {
		return total, err
	}
	total += len(docs)
	if progress != nil {
		progress(total)
	}
	return total, nil
}
