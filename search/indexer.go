package search

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Source is what the indexer reads from the store.
type Source interface {
	inbox.BulkReader
}

// Bus is the part of the event bus the indexer consumes.
type Bus interface {
	Read(ctx context.Context, stream, group, consumer string, max int, block time.Duration) ([]queue.Delivery, error)
	Ack(ctx context.Context, stream, group string, ids ...uint64) error
}

// Observer is told about every batch the indexer writes, for metrics.
type Observer interface {
	Indexed(events, documents int, took time.Duration, err error)
}

// Indexer keeps an Index up to date. At start it catches up from the store (every
// conversation changed since its checkpoint, less a margin); then it consumes the bus as
// the consumer group Group, folding events into batches bounded by size and time. A
// batch's documents and its checkpoint are written in one index batch, and its events
// are acknowledged only after that, so a crash at any point loses nothing: the events
// come again, and indexing is idempotent.
//
// Run is its only long-running method; it is not safe to run twice at once.
type Indexer struct {
	idx  *Index
	src  Source
	bus  Bus
	cfg  Config
	name string
	log  *slog.Logger
	obs  Observer
	now  func() time.Time
	// uniform remembers the conversations whose documents all carry one state.
	uniform *uniformStates
	// heldSince is when each event held back (holdUnclassified) was first held.
	heldSince map[uint64]time.Time
}

// IndexerOption changes an Indexer at construction.
type IndexerOption func(*Indexer)

// WithIndexerObserver reports every batch to o.
func WithIndexerObserver(o Observer) IndexerOption { return func(x *Indexer) { x.obs = o } }

// NewIndexer returns an indexer of idx reading src, consuming bus as consumer name.
func NewIndexer(idx *Index, src Source, bus Bus, cfg Config, name string, logger *slog.Logger, opts ...IndexerOption) *Indexer {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	x := &Indexer{idx: idx, src: src, bus: bus, cfg: cfg.WithDefaults(), name: name,
		log: logger.With("component", "search.indexer"), now: time.Now, uniform: newUniformStates(idx.defaultCountry),
		heldSince: map[uint64]time.Time{}}
	for _, o := range opts {
		o(x)
	}
	return x
}

// readBlock is how long an idle read waits for events.
const readBlock = 5 * time.Second

// Backoff after failures.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Run catches up, then indexes events until ctx is done; it returns nil then, once the
// batch in hand is written. Failures (store, bus, index) are logged and retried.
func (x *Indexer) Run(ctx context.Context) error {
	if err := x.cfg.Validate(); err != nil {
		return err
	}
	for failures := 1; ; failures++ {
		n, err := x.CatchUp(ctx, nil)
		if err == nil {
			if n > 0 {
				x.log.Info("caught up from the store", "documents", n)
			}
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		x.log.Error("catch-up failed; retrying", "err", err)
		if !sleep(ctx, backoff(failures)) {
			return nil
		}
	}
	x.log.Info("indexer started", "consumer", x.name)
	defer x.log.Info("indexer stopped")
	var pending []queue.Delivery
	var first time.Time
	failures := 0
	for {
		if ctx.Err() != nil {
			if len(pending) > 0 {
				// Finish the batch in hand, within a bound, so that stopping does not
				// redo it; if it fails the events simply come again.
				fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
				_, _ = x.flush(fctx, pending, false)
				cancel()
			}
			return nil
		}
		block := readBlock
		if len(pending) > 0 {
			block = x.cfg.BatchWait - x.now().Sub(first)
		}
		if block > 0 && len(pending) < x.cfg.BatchSize {
			ds, err := x.bus.Read(ctx, inbox.Stream, Group, x.name, x.cfg.BatchSize-len(pending), block)
			if err != nil {
				if ctx.Err() != nil {
					continue
				}
				failures++
				x.log.Warn("bus read failed", "err", err, "failures", failures)
				sleep(ctx, backoff(failures))
				continue
			}
			if len(ds) > 0 && len(pending) == 0 {
				first = x.now()
			}
			pending = append(pending, ds...)
			if len(pending) < x.cfg.BatchSize && (len(pending) == 0 || x.now().Sub(first) < x.cfg.BatchWait) {
				continue
			}
		}
		if len(pending) == 0 {
			continue
		}
		held, err := x.flush(ctx, pending, true)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			failures++
			x.log.Error("index batch failed; retrying", "err", err, "events", len(pending), "failures", failures)
			sleep(ctx, backoff(failures))
			continue
		}
		failures = 0
		// The events held back open the next batch, written within a batch wait.
		pending = append(pending[:0:0], held...)
		if len(pending) > 0 {
			first = x.now()
		}
	}
}

// flush indexes a batch of events and acknowledges them, except those it holds back
// (with hold, see holdUnclassified), which it returns.
func (x *Indexer) flush(ctx context.Context, batch []queue.Delivery, hold bool) (held []queue.Delivery, err error) {
	start := time.Now()
	docs := 0
	defer func() {
		if p := recover(); p != nil {
			x.log.Error("index batch panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("search: index batch panicked: %v", p)
		}
		if x.obs != nil {
			x.obs.Indexed(len(batch)-len(held), docs, time.Since(start), err)
		}
	}()
	var heldFrom time.Time
	if hold {
		if batch, held, heldFrom, err = x.holdUnclassified(ctx, batch); err != nil {
			return nil, err
		}
	}
	if docs, err = x.apply(ctx, batch, heldFrom); err != nil {
		return nil, err
	}
	ids := make([]uint64, len(batch))
	for i, d := range batch {
		ids[i] = d.ID
		delete(x.heldSince, d.ID)
	}
	if len(ids) == 0 {
		return held, nil
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := x.bus.Ack(actx, inbox.Stream, Group, ids...); err != nil {
		// Indexed but not acknowledged: the events come again and are indexed again,
		// which changes nothing.
		return nil, fmt.Errorf("search: ack %d events: %w", len(ids), err)
	}
	return held, nil
}

// holdUnclassified takes out of batch the events of new conversations that the router
// has not classified yet (no category), for at most HoldUnclassified after they were
// created or first held: written now, their documents would be written again moments
// later, when the classification changes the category, language and team they carry.
// That second write was a third of the indexer's work under load. An indexer running
// behind (events already older than the hold) holds nothing, nor does it hold more than
// half a batch, so that a batch always has room for new events. from is the time of
// the oldest event held.
func (x *Indexer) holdUnclassified(ctx context.Context, batch []queue.Delivery) (keep, held []queue.Delivery, from time.Time, err error) {
	wait := x.cfg.HoldUnclassified
	if wait <= 0 {
		return batch, nil, from, nil
	}
	now := x.now()
	events := make([]inbox.BusEvent, len(batch))
	fresh := map[int64]bool{}
	for i, d := range batch {
		if d.Type != inbox.TopicConversationCreated && d.Type != inbox.TopicMessageCreated {
			continue
		}
		e, err := inbox.DecodeBusEvent(d.Payload)
		if err != nil {
			continue // apply logs it
		}
		events[i] = e
		since, ok := x.heldSince[d.ID]
		if d.Type == inbox.TopicConversationCreated && now.Sub(e.At) < wait && (!ok || now.Sub(since) < wait) {
			fresh[e.ConversationID] = true
		}
	}
	if len(fresh) == 0 {
		return batch, nil, from, nil
	}
	unclassified := map[int64]bool{}
	for part := range chunks(keys(fresh), inbox.MaxBulkIDs) {
		cs, err := x.src.ConversationsByID(ctx, part)
		if err != nil {
			return nil, nil, from, fmt.Errorf("search: read conversations: %w", err)
		}
		for _, c := range cs {
			if c.Category == "" {
				unclassified[c.ID] = true
			}
		}
	}
	limit := x.cfg.BatchSize / 2
	for i, d := range batch {
		e := events[i]
		if unclassified[e.ConversationID] && len(held) < limit &&
			(d.Type == inbox.TopicConversationCreated || d.Type == inbox.TopicMessageCreated && e.Kind == inbox.KindIn) {
			if _, ok := x.heldSince[d.ID]; !ok {
				x.heldSince[d.ID] = now
			}
			if from.IsZero() || e.At.Before(from) {
				from = e.At
			}
			held = append(held, d)
			continue
		}
		keep = append(keep, d)
	}
	return keep, held, from, nil
}

// apply turns a batch of events into one index batch and returns how many documents
// it wrote. The checkpoint it writes does not pass heldFrom, the time of the oldest
// event held back (zero: none).
func (x *Indexer) apply(ctx context.Context, batch []queue.Delivery, heldFrom time.Time) (int, error) {
	var plan plan
	var cp Checkpoint
	for _, d := range batch {
		cp.BusID = max(cp.BusID, d.ID)
		switch d.Type {
		case inbox.TopicMessageCreated, inbox.TopicMessageUpdated:
			e, err := inbox.DecodeBusEvent(d.Payload)
			if err != nil {
				x.log.Error("undecodable event skipped", "entry", d.ID, "type", d.Type, "err", err)
				continue
			}
			plan.message(e.MessageID)
			cp.Time = later(cp.Time, e.At)
		case inbox.TopicConversationUpdated, inbox.TopicConversationCreated:
			e, err := inbox.DecodeBusEvent(d.Payload)
			if err != nil {
				x.log.Error("undecodable event skipped", "entry", d.ID, "type", d.Type, "err", err)
				continue
			}
			switch {
			case d.Type == inbox.TopicConversationCreated:
				// Indexed whole (it has a message or two), so that its documents are
				// known to carry one state.
				plan.conversation(e.ConversationID)
			case reindexes(e.Changed):
				plan.updated = append(plan.updated, e.ConversationID)
			}
			cp.Time = later(cp.Time, e.At)
		case inbox.TopicContactErased:
			var e inbox.ContactErased
			if err := json.Unmarshal(d.Payload, &e); err != nil || e.ContactID == 0 {
				x.log.Error("undecodable event skipped", "entry", d.ID, "type", d.Type, "err", err)
				continue
			}
			plan.erased = append(plan.erased, e.ContactID)
			cp.Time = later(cp.Time, e.At)
		}
	}
	for _, id := range plan.erased {
		if _, err := x.idx.DeleteContact(ctx, id); err != nil {
			return 0, err
		}
	}
	if err := x.keepUniform(ctx, &plan); err != nil {
		return 0, err
	}
	states := map[int64]uint64{}
	docs, deletes, err := x.build(ctx, plan, states)
	if err != nil {
		return 0, err
	}
	if !heldFrom.IsZero() && cp.Time.After(heldFrom) {
		// Events held back are not in the index yet: a catch-up from this checkpoint
		// must still find them.
		cp.Time = heldFrom
	}
	var cpp *Checkpoint
	if !cp.Time.IsZero() {
		cpp = &cp
	}
	if err := x.idx.write(docs, deletes, cpp); err != nil {
		return 0, err
	}
	x.uniform.written(states, plan.convSeen)
	return len(docs), nil
}

// reindexes reports whether a conversation update with these changed fields calls for
// its messages' documents to be written again. The priority alone does not: the router
// ages it continually, and rewriting every message of every waiting conversation each
// time would cost more than the whole ingest; a document's priority is refreshed with
// the next change that does count, or the next message. An update naming nothing (an
// older writer) counts, to be safe.
func reindexes(changed []string) bool {
	if len(changed) == 0 {
		return true
	}
	for _, f := range changed {
		if f != "priority" {
			return true
		}
	}
	return false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// keepUniform decides which updated conversations of p to reindex: not those whose
// documents all carry the state the store holds now.
func (x *Indexer) keepUniform(ctx context.Context, p *plan) error {
	var ask []int64
	for _, id := range p.updated {
		switch {
		case p.convSeen[id]:
		case x.uniform.known(id):
			ask = append(ask, id)
		default:
			p.conversation(id)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	convs, contacts, err := x.read(ctx, ask)
	if err != nil {
		return err
	}
	for _, id := range ask {
		if c, ok := convs[id]; ok && x.uniform.same(id, x.uniform.hash(c, contacts[c.ContactID])) {
			continue
		}
		p.conversation(id)
	}
	return nil
}

// plan is what one batch must reindex.
type plan struct {
	updated  []int64 // conversations updated: reindexed unless their documents are current
	convs    []int64 // every message of these conversations
	convSeen map[int64]bool
	msgs     []int64
	msgSeen  map[int64]bool
	erased   []int64
}

func (p *plan) conversation(id int64) {
	if p.convSeen == nil {
		p.convSeen = map[int64]bool{}
	}
	if id != 0 && !p.convSeen[id] {
		p.convSeen[id] = true
		p.convs = append(p.convs, id)
	}
}

func (p *plan) message(id int64) {
	if p.msgSeen == nil {
		p.msgSeen = map[int64]bool{}
	}
	if id != 0 && !p.msgSeen[id] {
		p.msgSeen[id] = true
		p.msgs = append(p.msgs, id)
	}
}

// build reads what plan names from the store and makes the documents; messages or
// conversations that no longer exist become deletions.
// states, if not nil, gets the state (uniformStates.hash) each conversation's documents
// were written from.
func (x *Indexer) build(ctx context.Context, p plan, states map[int64]uint64) (map[string]Document, []string, error) {
	docs := map[string]Document{}
	var deletes []string
	var msgs []inbox.Message
	for part := range chunks(p.convs, inbox.MaxBulkIDs) {
		ms, err := x.src.MessagesOf(ctx, part)
		if err != nil {
			return nil, nil, fmt.Errorf("search: read messages: %w", err)
		}
		msgs = append(msgs, ms...)
	}
	// A conversation that vanished from the store (erased) keeps no documents. One
	// that still exists keeps every message (the store deletes messages only with
	// their conversation), so its documents are simply written again.
	if len(p.convs) > 0 {
		live := map[int64]bool{}
		for _, m := range msgs {
			live[m.ConversationID] = true
		}
		var gone []int64
		for _, id := range p.convs {
			if !live[id] {
				gone = append(gone, id)
			}
		}
		if len(gone) > 0 {
			kept := map[int64]bool{}
			for part := range chunks(gone, inbox.MaxBulkIDs) {
				existing, err := x.src.ConversationsByID(ctx, part)
				if err != nil {
					return nil, nil, fmt.Errorf("search: read conversations: %w", err)
				}
				for _, c := range existing {
					kept[c.ID] = true
				}
			}
			for _, id := range gone {
				if kept[id] {
					continue // exists, with no message yet
				}
				ids, err := x.idx.deleteConversationIDs(ctx, id)
				if err != nil {
					return nil, nil, err
				}
				deletes = append(deletes, ids...)
			}
		}
	}
	var single []int64
	for _, id := range p.msgs {
		single = append(single, id)
	}
	found := map[int64]bool{}
	for part := range chunks(single, inbox.MaxBulkIDs) {
		ms, err := x.src.MessagesByID(ctx, part)
		if err != nil {
			return nil, nil, fmt.Errorf("search: read messages: %w", err)
		}
		for _, m := range ms {
			found[m.ID] = true
			if !p.convSeen[m.ConversationID] {
				msgs = append(msgs, m)
			}
		}
	}
	for _, id := range single {
		if !found[id] {
			deletes = append(deletes, docID(id))
		}
	}
	if err := x.documents(ctx, msgs, docs, &deletes, states); err != nil {
		return nil, nil, err
	}
	return docs, deletes, nil
}

// documents makes the documents of msgs into docs, reading their conversations and
// contacts; messages whose conversation is gone are deleted. states, if not nil, gets
// the state each conversation's documents were made from.
func (x *Indexer) documents(ctx context.Context, msgs []inbox.Message, docs map[string]Document, deletes *[]string, states map[int64]uint64) error {
	convIDs := map[int64]bool{}
	for _, m := range msgs {
		convIDs[m.ConversationID] = true
	}
	convs, contacts, err := x.read(ctx, keys(convIDs))
	if err != nil {
		return err
	}
	for _, m := range msgs {
		c, ok := convs[m.ConversationID]
		if !ok {
			*deletes = append(*deletes, docID(m.ID))
			continue
		}
		docs[docID(m.ID)] = NewDocument(m, c, contacts[c.ContactID], x.idx.defaultCountry)
	}
	if states != nil {
		for id, c := range convs {
			states[id] = x.uniform.hash(c, contacts[c.ContactID])
		}
	}
	return nil
}

// read reads conversations ids (those that still exist) and their contacts.
func (x *Indexer) read(ctx context.Context, ids []int64) (map[int64]inbox.Conversation, map[int64]inbox.Contact, error) {
	convs := map[int64]inbox.Conversation{}
	for part := range chunks(ids, inbox.MaxBulkIDs) {
		cs, err := x.src.ConversationsByID(ctx, part)
		if err != nil {
			return nil, nil, fmt.Errorf("search: read conversations: %w", err)
		}
		for _, c := range cs {
			convs[c.ID] = c
		}
	}
	contactIDs := map[int64]bool{}
	for _, c := range convs {
		contactIDs[c.ContactID] = true
	}
	contacts := map[int64]inbox.Contact{}
	for part := range chunks(keys(contactIDs), inbox.MaxBulkIDs) {
		cs, err := x.src.ContactsByID(ctx, part)
		if err != nil {
			return nil, nil, fmt.Errorf("search: read contacts: %w", err)
		}
		for _, c := range cs {
			contacts[c.ID] = c
		}
	}
	return convs, contacts, nil
}

func keys(m map[int64]bool) []int64 {
	out := make([]int64, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// chunks yields ids in slices of at most n.
func chunks(ids []int64, n int) func(yield func([]int64) bool) {
	return func(yield func([]int64) bool) {
		for len(ids) > 0 {
			k := min(n, len(ids))
			if !yield(ids[:k]) {
				return
			}
			ids = ids[k:]
		}
	}
}

// backoff is the pause after n consecutive failures: doubling from minBackoff, capped,
// with jitter.
func backoff(n int) time.Duration {
	d := minBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done; it reports whether it slept the whole time.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
