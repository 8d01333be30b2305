// Package search is the supervisors' search over the whole interaction history: a bleve
// index of every message (with its conversation's and contact's fields), the indexer
// that keeps it up to date from the event bus, and the query side (a small query
// language, filters, facets, permissions, snippets, cursor pagination).
//
// Invariants:
//   - The SQL store is the source of truth; the index is derived and can be rebuilt from
//     it at any time (Rebuild, `frontdesk reindex`).
//   - One process writes the index (bleve locks its folder); any number of searches run
//     alongside the writer.
//   - The indexer's checkpoint is stored inside the index, in the same batch as the
//     documents it covers, so the two never disagree after a crash.
//   - Permissions are part of the query: a search never scores, counts, facets or
//     highlights a message its user may not see.
//
// Analysis: each message is indexed in one of three text fields, French, English or
// plain, chosen by the message's detected language (then its conversation's). A query
// word is looked up in each text field with that field's own analyzer, so "facture"
// finds "Facturé" in French text and "invoices" finds "invoice" in English text.
package search

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Group is the bus consumer group of the indexer.
const Group = "indexer"

// mappingVersion changes whenever NewMapping or NewDocument change what is indexed; an
// index of another version must be rebuilt.
const mappingVersion = "6"

// Internal keys stored in the index.
var (
	keyMapping    = []byte("frontdesk:mapping_version")
	keyCheckpoint = []byte("frontdesk:checkpoint")
)

// Errors of Open.
var (
	// ErrLocked: another process has the index open for writing.
	ErrLocked = errors.New("search: index in use by another process")
	// ErrStale: the index was built by another version of the mapping; rebuild it
	// with `frontdesk reindex`.
	ErrStale = errors.New("search: index built with another mapping version, run frontdesk reindex")
)

// lockTimeout is how long Open waits for another process's lock on the index.
const lockTimeout = 2 * time.Second

// Directory resolves the names people type in queries (team:accueil,
// assignee:camille@…) to ids.
type Directory interface {
	Teams(ctx context.Context) ([]inbox.Team, error)
	UserByEmail(ctx context.Context, email string) (inbox.User, error)
}

// Checkpoint is how far the index is known to be complete: every change the store made
// before Time (less the catch-up margin) is indexed.
type Checkpoint struct {
	// Time is the latest change time the indexer has applied.
	Time time.Time `json:"t"`
	// BusID is the last bus entry applied, for information.
	BusID uint64 `json:"id,omitempty"`
}

// Index is the message index. Safe for concurrent use: searches run alongside writes;
// writes are serialised.
type Index struct {
	bi             bleve.Index
	path           string
	dir            Directory
	defaultCountry string
	maxExport      int
	log            *slog.Logger

	writeMu   sync.Mutex
	closeOnce sync.Once
	maxMID    atomic.Int64 // highest message id indexed; the snapshot bound of new cursors
	keys      *idKeys      // message ids of the large segments, in memory (idkeys.go)
}

// Options are the collaborators and settings of an Index.
type Options struct {
	// Directory resolves team slugs and user emails in queries; may be nil (then only
	// ids are accepted).
	Directory Directory
	// DefaultCountry is the calling code of national phone numbers ("33").
	DefaultCountry string
	// MaxExportRows caps Export; DefaultMaxExportRows when 0.
	MaxExportRows int
	Logger        *slog.Logger
}

// Open opens the index at path, creating it when absent.
func Open(path string, o Options) (*Index, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxExportRows == 0 {
		o.MaxExportRows = DefaultMaxExportRows
	}
	x := &Index{path: path, dir: o.Directory, defaultCountry: o.DefaultCountry, maxExport: o.MaxExportRows,
		log: o.Logger.With("component", "search")}
	x.keys = newIDKeys(x.log, x.snapshot)
	cfg := map[string]any{"bolt_timeout": lockTimeout.String()}
	bi, err := bleve.OpenUsing(path, cfg)
	switch {
	case errors.Is(err, bleve.ErrorIndexPathDoesNotExist), errors.Is(err, bleve.ErrorIndexMetaMissing):
		m, merr := NewMapping()
		if merr != nil {
			return nil, merr
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("search: create %s: %w", path, err)
		}
		if bi, err = bleve.NewUsing(path, m, scorch.Name, scorch.Name, cfg); err != nil {
			return nil, openError(path, err)
		}
		if err := bi.SetInternal(keyMapping, []byte(mappingVersion)); err != nil {
			bi.Close()
			return nil, fmt.Errorf("search: create %s: %w", path, err)
		}
	case err != nil:
		return nil, openError(path, err)
	default:
		v, err := bi.GetInternal(keyMapping)
		if err != nil || string(v) != mappingVersion {
			bi.Close()
			return nil, fmt.Errorf("search: open %s (version %q, want %s): %w", path, v, mappingVersion, ErrStale)
		}
	}
	x.bi = bi
	if err := x.loadMaxMID(); err != nil {
		bi.Close()
		return nil, err
	}
	x.warmIDKeys()
	return x, nil
}

// warmIDKeys starts reading the message ids of the index's large segments into
// memory, so that the first searches need not read them one by one.
func (x *Index) warmIDKeys() {
	snap, release, err := x.snapshot()
	if err != nil {
		x.log.Warn("search: read message ids", "err", err)
		return
	}
	defer release()
	x.keys.want(snap)
}

// snapshot returns the index's current scorch snapshot and the function that releases
// it.
func (x *Index) snapshot() (*scorch.IndexSnapshot, func(), error) {
	adv, err := x.bi.Advanced()
	if err != nil {
		return nil, nil, fmt.Errorf("search: snapshot: %w", err)
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, nil, fmt.Errorf("search: snapshot: %w", err)
	}
	release := func() {
		if err := r.Close(); err != nil {
			x.log.Warn("search: release snapshot", "err", err)
		}
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok {
		release()
		return nil, nil, errNotScorch
	}
	return snap, release, nil
}

func openError(path string, err error) error {
	// bbolt reports its lock wait running out as "timeout".
	if strings.Contains(err.Error(), "timeout") {
		return fmt.Errorf("search: open %s: %w", path, ErrLocked)
	}
	return fmt.Errorf("search: open %s: %w", path, err)
}

// loadMaxMID reads the highest message id in the index.
func (x *Index) loadMaxMID() error {
	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 1, 0, false)
	req.SortByCustom(bsearch.SortOrder{&bsearch.SortField{Field: fieldIDKey, Type: bsearch.SortFieldAsString, Desc: true}})
	req.Fields = []string{fieldMessageID}
	res, err := x.bi.Search(req)
	if err != nil {
		return fmt.Errorf("search: read highest message id: %w", err)
	}
	if len(res.Hits) > 0 {
		if v, ok := res.Hits[0].Fields[fieldMessageID].(float64); ok {
			x.maxMID.Store(int64(v))
		}
	}
	return nil
}

// Close closes the index; searches in flight finish first. Closing twice is harmless.
func (x *Index) Close() error {
	var err error
	x.closeOnce.Do(func() {
		x.keys.close()
		if cerr := x.bi.Close(); cerr != nil {
			err = fmt.Errorf("search: close: %w", cerr)
		}
	})
	return err
}

// Path returns the index folder.
func (x *Index) Path() string { return x.path }

// Count returns the number of documents in the index.
func (x *Index) Count() (uint64, error) {
	n, err := x.bi.DocCount()
	if err != nil {
		return 0, fmt.Errorf("search: count: %w", err)
	}
	return n, nil
}

// Checkpoint returns the stored checkpoint; ok is false for an index never
// checkpointed (new, or being rebuilt).
func (x *Index) Checkpoint() (cp Checkpoint, ok bool, err error) {
	raw, err := x.bi.GetInternal(keyCheckpoint)
	if err != nil {
		return cp, false, fmt.Errorf("search: read checkpoint: %w", err)
	}
	if len(raw) == 0 {
		return cp, false, nil
	}
	if err := json.Unmarshal(raw, &cp); err != nil {
		return cp, false, fmt.Errorf("search: decode checkpoint: %w", err)
	}
	return cp, true, nil
}

// SetCheckpoint stores cp as the index's checkpoint (it never moves back). It is for
// tools that seed an index, such as the benchmark; the indexer keeps it otherwise.
func (x *Index) SetCheckpoint(cp Checkpoint) error { return x.write(nil, nil, &cp) }

// write applies one batch: documents to (re)index, documents to delete and, when cp is
// not nil, the new checkpoint, all or nothing. It returns once the batch is durable.
func (x *Index) write(docs map[string]Document, deletes []string, cp *Checkpoint) error {
	x.writeMu.Lock()
	defer x.writeMu.Unlock()
	b := x.bi.NewBatch()
	var top int64
	for id, d := range docs {
		if err := b.Index(id, map[string]any(d)); err != nil {
			return fmt.Errorf("search: index %s: %w", id, err)
		}
		if v, ok := d[fieldMessageID].(float64); ok && int64(v) > top {
			top = int64(v)
		}
	}
	for _, id := range deletes {
		if _, ok := docs[id]; !ok {
			b.Delete(id)
		}
	}
	if cp != nil {
		old, ok, err := x.Checkpoint()
		if err != nil {
			return err
		}
		if ok && old.Time.After(cp.Time) {
			cp.Time = old.Time // never move back
		}
		raw, _ := json.Marshal(cp)
		b.SetInternal(keyCheckpoint, raw)
	}
	if b.Size() == 0 {
		return nil
	}
	if err := x.bi.Batch(b); err != nil {
		return fmt.Errorf("search: write batch: %w", err)
	}
	for {
		cur := x.maxMID.Load()
		if top <= cur || x.maxMID.CompareAndSwap(cur, top) {
			break
		}
	}
	return nil
}

// idsMatching returns the ids of every document matching q.
func (x *Index) idsMatching(ctx context.Context, q query.Query) ([]string, error) {
	const page = 5000
	var ids []string
	var after []string
	for {
		req := bleve.NewSearchRequestOptions(q, page, 0, false)
		req.SortByCustom(bsearch.SortOrder{&bsearch.SortField{Field: fieldIDKey, Type: bsearch.SortFieldAsString}})
		if after != nil {
			req.SetSearchAfter(after)
		}
		res, err := x.bi.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("search: select documents: %w", err)
		}
		for _, h := range res.Hits {
			ids = append(ids, h.ID)
		}
		if len(res.Hits) < page {
			return ids, nil
		}
		after = res.Hits[len(res.Hits)-1].Sort
	}
}

// DeleteContact removes every document of contact id's conversations (GDPR erasure)
// and returns how many went.
func (x *Index) DeleteContact(ctx context.Context, id int64) (int, error) {
	ids, err := x.idsMatching(ctx, termQuery(fieldContact, strconv.FormatInt(id, 10)))
	if err != nil {
		return 0, err
	}
	if err := x.write(nil, ids, nil); err != nil {
		return 0, err
	}
	x.log.Info("contact erased from the index", "contact_id", id, "documents", len(ids))
	return len(ids), nil
}

// deleteConversation removes every document of conversation id.
func (x *Index) deleteConversationIDs(ctx context.Context, id int64) ([]string, error) {
	return x.idsMatching(ctx, termQuery(fieldConversation, strconv.FormatInt(id, 10)))
}

func termQuery(field, value string) *query.TermQuery {
	q := query.NewTermQuery(value)
	q.SetField(field)
	return q
}
