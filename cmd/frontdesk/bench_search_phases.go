package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/outbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
	"github.com/frontdeskhq/frontdesk/search"
)

// benchWait bounds each waiting phase of the benchmark.
const benchWait = 2 * time.Hour

// indexThroughBus indexes the whole history the way the hub does at run time: the
// outbox relay publishes every event on an in-process bus and the indexer consumes
// them. The index starts with a checkpoint of now, so the indexer's start-up catch-up
// finds nothing and every document comes through the bus. The relay and indexer keep
// running (stop ends them) for the freshness measure.
func (b *benchSearch) hubIndexPath() string { return filepath.Join(b.dir, "index-hub") }

// reopen opens the hub index an earlier run left in the work folder, for --reuse, and
// runs the relay and indexer on it (for the freshness measure) until stop is called.
func (b *benchSearch) reopen(ctx context.Context) (*search.Index, func(), error) {
	n, err := b.st.CountMessages(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, err := os.Stat(b.hubIndexPath()); err != nil || n == 0 {
		return nil, nil, fmt.Errorf("bench: --reuse: no history or hub index in %s", b.dir)
	}
	idx, err := search.Open(b.hubIndexPath(), search.Options{Directory: b.st, DefaultCountry: "33", Logger: b.log})
	if err != nil {
		return nil, nil, err
	}
	c, err := idx.Count()
	if err != nil {
		idx.Close()
		return nil, nil, err
	}
	fmt.Fprintf(b.e.stdout, "- reused: %d messages in the store, %d documents in the hub index\n", n, c)
	stopWorkers := b.startWorkers(ctx, idx)
	return idx, func() { stopWorkers(); idx.Close() }, nil
}

func (b *benchSearch) indexThroughBus(ctx context.Context, n int) (*search.Index, func(), float64, error) {
	idx, err := search.Open(b.hubIndexPath(), search.Options{Directory: b.st, DefaultCountry: "33", Logger: b.log})
	if err != nil {
		return nil, nil, 0, err
	}
	if err := idx.SetCheckpoint(search.Checkpoint{Time: time.Now().Add(time.Hour)}); err != nil {
		return nil, nil, 0, err
	}
	start := time.Now()
	stopWorkers := b.startWorkers(ctx, idx)
	stop := func() {
		stopWorkers()
		idx.Close()
	}
	p := newProgressBar(b.e.stderr, "index (bus)", int64(n))
	for {
		c, err := idx.Count()
		if err != nil {
			stop()
			return nil, nil, 0, err
		}
		p.update(int(c))
		if int(c) >= n {
			p.done(int(c))
			break
		}
		if time.Since(start) > benchWait || ctx.Err() != nil {
			stop()
			return nil, nil, 0, fmt.Errorf("bench: the indexer reached %d of %d documents", c, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return idx, stop, float64(n) / time.Since(start).Seconds(), nil
}

// startWorkers runs the hub's outbox relay and search indexer on idx, as serve does,
// until the returned stop is called.
func (b *benchSearch) startWorkers(ctx context.Context, idx *search.Index) (stop func()) {
	bus := queue.NewMemory(queue.Options{})
	relay := outbox.New(b.st, bus, outbox.Config{Groups: []string{search.Group}}, b.log)
	// No router runs here, so nothing would classify what the indexer waits for.
	ix := search.NewIndexer(idx, b.st, bus, search.Config{CatchUpMargin: time.Nanosecond, HoldUnclassified: -1}, "bench", b.log)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { relay.Run(rctx); done <- struct{}{} }()
	go func() { ix.Run(rctx); done <- struct{}{} }()
	return func() {
		cancel()
		<-done
		<-done
		bus.Close()
	}
}

// rebuild times frontdesk reindex's path.
func (b *benchSearch) rebuild(ctx context.Context, n int) (float64, int64, error) {
	path := filepath.Join(b.dir, "index-reindex")
	p := newProgressBar(b.e.stderr, "reindex", int64(n))
	start := time.Now()
	got, err := search.Rebuild(ctx, path, b.st, search.Options{DefaultCountry: "33", Logger: b.log}, search.Config{}, p.update)
	took := time.Since(start)
	p.done(got)
	if err != nil {
		return 0, 0, err
	}
	size, _ := dirSize(path)
	return float64(got) / took.Seconds(), size, nil
}

// direct reads every document into memory first (untimed), then times bleve indexing
// them in batches of 1000 with the same mapping: the rate the hub is compared with.
func (b *benchSearch) direct(ctx context.Context) (float64, int64, error) {
	type doc struct {
		id string
		d  search.Document
	}
	var docs []doc
	var after *inbox.Cursor
	for {
		convs, err := b.st.ConversationsChanged(ctx, time.Time{}, after, 200)
		if err != nil {
			return 0, 0, err
		}
		if len(convs) == 0 {
			break
		}
		last := convs[len(convs)-1]
		after = &inbox.Cursor{Time: last.UpdatedAt.UnixMicro(), ID: last.ID}
		ids, contactIDs := make([]int64, len(convs)), make([]int64, 0, len(convs))
		byID := map[int64]inbox.Conversation{}
		for i, c := range convs {
			ids[i] = c.ID
			byID[c.ID] = c
			contactIDs = append(contactIDs, c.ContactID)
		}
		slices.Sort(contactIDs)
		contacts, err := b.st.ContactsByID(ctx, slices.Compact(contactIDs))
		if err != nil {
			return 0, 0, err
		}
		ct := map[int64]inbox.Contact{}
		for _, c := range contacts {
			ct[c.ID] = c
		}
		msgs, err := b.st.MessagesOf(ctx, ids)
		if err != nil {
			return 0, 0, err
		}
		for _, m := range msgs {
			c := byID[m.ConversationID]
			docs = append(docs, doc{fmt.Sprintf("m%d", m.ID), search.NewDocument(m, c, ct[c.ContactID], "33")})
		}
	}
	m, err := search.NewMapping()
	if err != nil {
		return 0, 0, err
	}
	path := filepath.Join(b.dir, "index-bleve")
	bi, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, nil)
	if err != nil {
		return 0, 0, err
	}
	p := newProgressBar(b.e.stderr, "bleve alone", int64(len(docs)))
	start := time.Now()
	for i := 0; i < len(docs); i += 1000 {
		batch := bi.NewBatch()
		for _, d := range docs[i:min(i+1000, len(docs))] {
			if err := batch.Index(d.id, map[string]any(d.d)); err != nil {
				bi.Close()
				return 0, 0, err
			}
		}
		if err := bi.Batch(batch); err != nil {
			bi.Close()
			return 0, 0, err
		}
		p.update(min(i+1000, len(docs)))
	}
	took := time.Since(start)
	p.done(len(docs))
	if err := bi.Close(); err != nil {
		return 0, 0, err
	}
	size, _ := dirSize(path)
	return float64(len(docs)) / took.Seconds(), size, nil
}

// queries times typical supervisor searches (with facets, as the API asks by default).
func (b *benchSearch) queries(ctx context.Context, idx *search.Index, runs int, only string) error {
	since := time.Now().AddDate(0, -3, 0)
	teamID := b.teams[1].ID
	phone, email, err := b.sampleIdentities(ctx)
	if err != nil {
		return err
	}
	qs := []struct {
		name string
		u    inbox.User
		r    search.Request
	}{
		{"réclamation, status open", b.sup, search.Request{Query: "réclamation", Filters: search.Filters{Statuses: []string{"open"}}}},
		{"facture, email, last 3 months", b.sup, search.Request{Query: "facture", Filters: search.Filters{Channels: []string{"email"}, From: since}}},
		{"\"carte d'identité\" (phrase)", b.sup, search.Request{Query: `"carte d'identité"`}},
		{"passeport, team, newest first", b.sup, search.Request{Query: "passeport", Sort: search.SortNewest, Filters: search.Filters{TeamIDs: []int64{teamID}}}},
		{"invoices, language en", b.sup, search.Request{Query: "invoices", Filters: search.Filters{Languages: []string{"en"}}}},
		{"phone, first digits typed with spaces: " + phone, b.sup, search.Request{Query: phone}},
		{"email, first letters: " + email, b.sup, search.Request{Query: email}},
		{"no words: open, unassigned, newest", b.sup, search.Request{Filters: search.Filters{Statuses: []string{"open"}, Unassigned: true}}},
		{"mariage -annulé, tag urgent", b.sup, search.Request{Query: "mariage -annulé", Filters: search.Filters{Tags: []string{"urgent"}}}},
		{"agent: réclamation (permissions)", b.agent, search.Request{Query: "réclamation"}},
	}
	fmt.Fprintf(b.e.stdout, "\n| query (supervisor unless said; facets on; page of 20) | hits | p50 | p95 |\n| --- | ---: | ---: | ---: |\n")
	var all []time.Duration
	for _, q := range qs {
		if only != "" && !strings.Contains(q.name, only) {
			continue
		}
		q.r.Facets = true
		var ds []time.Duration
		var total uint64
		if _, err := idx.Search(ctx, q.u, q.r); err != nil { // warm-up, not timed
			return fmt.Errorf("bench: query %s: %w", q.name, err)
		}
		for range runs {
			start := time.Now()
			res, err := idx.Search(ctx, q.u, q.r)
			if err != nil {
				return fmt.Errorf("bench: query %s: %w", q.name, err)
			}
			ds = append(ds, time.Since(start))
			total = res.Total
		}
		slices.Sort(ds)
		all = append(all, ds...)
		fmt.Fprintf(b.e.stdout, "| %s | %d | %s | %s |\n", q.name, total, msText(percentile(ds, 0.5)), msText(percentile(ds, 0.95)))
	}
	slices.Sort(all)
	fmt.Fprintf(b.e.stdout, "| **all queries** | | **%s** | **%s** |\n", msText(percentile(all, 0.5)), msText(percentile(all, 0.95)))
	return nil
}

// freshness times new messages from the call to Ingest until a search finds them,
// with the relay and the indexer running as in the hub.
func (b *benchSearch) freshness(ctx context.Context, idx *search.Index, n int) error {
	var ds []time.Duration
	// A word of this run alone: with --reuse, an earlier run's probes are in the index
	// already (and the same external id would be a replay of their message).
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for i := range n {
		word := fmt.Sprintf("fraicheur%sz%d", run, i)
		start := time.Now()
		_, err := b.svc.Ingest(ctx, channels.Envelope{Channel: channels.Email, ExternalID: word,
			From: channels.Identity{Kind: channels.KindEmail, Value: freshEmail}, Text: "Nouveau message " + word})
		if err != nil {
			return err
		}
		for {
			res, err := idx.Search(ctx, b.sup, search.Request{Query: word, Limit: 1})
			if err != nil {
				return err
			}
			if res.Total == 1 {
				break
			}
			if time.Since(start) > time.Minute {
				return fmt.Errorf("bench: message %s not searchable after a minute", word)
			}
			time.Sleep(2 * time.Millisecond)
		}
		ds = append(ds, time.Since(start))
		time.Sleep(50 * time.Millisecond) // messages arrive one by one, not in a burst
	}
	slices.Sort(ds)
	fmt.Fprintf(b.e.stdout, "\n- new message searchable after (ingest to first search that finds it, %d messages, batch_wait %s): p50 %s, p95 %s, max %s\n",
		n, search.DefaultBatchWait, msText(percentile(ds, 0.5)), msText(percentile(ds, 0.95)), msText(ds[len(ds)-1]))
	return nil
}

// sampleIdentities returns the start of a real contact's phone number as people type
// it ("06 12 34 5") and the start of a real email address.
// freshEmail is the sender of the freshness probes.
const freshEmail = "fraicheur@example.fr"

func (b *benchSearch) sampleIdentities(ctx context.Context) (phone, email string, err error) {
	for _, ch := range []string{channels.SMS, channels.Email} {
		convs, err := b.st.Conversations(ctx, inbox.ConversationQuery{Channel: ch, Sort: inbox.SortRecent, Limit: 100})
		if err != nil {
			return "", "", fmt.Errorf("bench: no %s conversation to sample: %v", ch, err)
		}
		// The most recent of the history (not one of an earlier run's freshness probes).
		var ct inbox.Contact
		for _, c := range convs {
			if ct, err = b.st.Contact(ctx, c.ContactID); err != nil {
				return "", "", err
			}
			if !slices.ContainsFunc(ct.Identities, func(id inbox.Identity) bool { return id.Value == freshEmail }) {
				break
			}
		}
		for _, id := range ct.Identities {
			switch {
			case id.Kind == channels.KindPhone && len(id.Value) == 12: // +336xxxxxxxx
				d := "0" + id.Value[3:]
				phone = d[0:2] + " " + d[2:4] + " " + d[4:6] + " " + d[6:7]
			case id.Kind == channels.KindEmail:
				email = id.Value[:min(len(id.Value), 12)]
			}
		}
	}
	if phone == "" || email == "" {
		return "", "", fmt.Errorf("bench: no phone or email to sample")
	}
	return phone, email, nil
}
