package search

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Rebuild builds a new index of every message in src and puts it at path, replacing
// the index there only once the new one is complete (a crash or an interruption leaves
// the old one in place). It refuses with ErrLocked while another process (a running
// hub) holds the index. It returns the documents written; progress, if set, is told
// along the way.
func Rebuild(ctx context.Context, path string, src Source, o Options, cfg Config, progress Progress) (int, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return 0, err
	}
	if _, err := os.Stat(path); err == nil {
		old, err := Open(path, o)
		switch {
		case errors.Is(err, ErrLocked):
			return 0, err
		case err == nil:
			old.Close()
		case errors.Is(err, ErrStale):
		default:
			// An unreadable index is what a rebuild is for.
		}
	}
	tmp := path + ".rebuild"
	if err := os.RemoveAll(tmp); err != nil {
		return 0, fmt.Errorf("search: rebuild: %w", err)
	}
	idx, err := Open(tmp, o)
	if err != nil {
		return 0, err
	}
	ix := NewIndexer(idx, src, nil, cfg, "rebuild", o.Logger)
	n, err := ix.indexSince(ctx, time.Time{}, progress)
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(tmp)
		return n, err
	}
	old := path + ".old"
	if err := os.RemoveAll(old); err != nil {
		return n, fmt.Errorf("search: rebuild: %w", err)
	}
	if err := os.Rename(path, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return n, fmt.Errorf("search: rebuild: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return n, fmt.Errorf("search: rebuild: %w", err)
	}
	if err := os.RemoveAll(old); err != nil {
		return n, fmt.Errorf("search: rebuild: remove the old index: %w", err)
	}
	return n, nil
}

// Export calls fn with every hit of r, newest first (or oldest first when r asks for
// it), with the whole text, up to the export cap. It is for supervisors and admins:
// agents get inbox.ErrForbidden. It returns how many hits went to fn and whether the
// cap cut the export short.
func (x *Index) Export(ctx context.Context, actor inbox.User, r Request, fn func(Hit) error) (n int, truncated bool, err error) {
	if actor.Disabled {
		return 0, false, inbox.ErrUnauthorized
	}
	if !actor.Role.SeesAll() {
		return 0, false, inbox.ErrForbidden
	}
	if r.Sort != SortOldest {
		r.Sort = SortNewest
	}
	r.Limit, r.Cursor, r.Facets, r.FullText = MaxLimit, "", false, true
	for {
		res, err := x.Search(ctx, actor, r)
		if err != nil {
			return n, false, err
		}
		for _, h := range res.Hits {
			if n == x.maxExport {
				return n, true, nil
			}
			if err := fn(h); err != nil {
				return n, false, err
			}
			n++
		}
		if res.NextCursor == "" {
			return n, false, nil
		}
		r.Cursor = res.NextCursor
	}
}
