package email

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// fetched is one message read by UID FETCH.
type fetched struct {
	uid  imap.UID
	raw  []byte
	date time.Time
	size int64
}

// sync imports what is new since the checkpoint: UID SEARCH for the UIDs, then UID
// FETCH in ranged batches, ingest, checkpoint, then the configured flag or move. With
// backfill (first sync, or after a UIDVALIDITY change) the search is by date instead.
func (p *Poller) sync(ctx context.Context, client *imapclient.Client, cp *inbox.MailboxCheckpoint, backfill bool, uidNext uint32) error {
	var criteria imap.SearchCriteria
	if backfill {
		criteria.Since = p.c.now().AddDate(0, 0, -p.cfg.BackfillDays)
	} else {
		criteria.UID = []imap.UIDSet{{imap.UIDRange{Start: imap.UID(cp.LastUID + 1), Stop: 0}}}
	}
	var data *imap.SearchData
	err := p.command(client, commandTimeout, func() error {
		var err error
		data, err = client.UIDSearch(&criteria, nil).Wait()
		return err
	})
	if err != nil {
		return fmt.Errorf("email: %s: search: %w", p.cfg.Name, err)
	}
	var uids []imap.UID
	for _, u := range data.AllUIDs() {
		// "n:*" also matches the last message when nothing is above n.
		if uint32(u) > cp.LastUID {
			uids = append(uids, u)
		}
	}
	slices.Sort(uids)
	for start := 0; start < len(uids); start += p.cfg.BatchSize {
		batch := uids[start:min(start+p.cfg.BatchSize, len(uids))]
		if err := p.batch(ctx, client, cp, batch); err != nil {
			return err
		}
	}
	if backfill && uidNext > 1 && uidNext-1 > cp.LastUID {
		// Everything below UIDNEXT is now either imported or older than the window.
		cp.LastUID = uidNext - 1
		if err := p.c.in.SaveMailboxCheckpoint(ctx, *cp); err != nil {
			return err
		}
	} else if backfill && len(uids) == 0 {
		if err := p.c.in.SaveMailboxCheckpoint(ctx, *cp); err != nil {
			return err
		}
	}
	return nil
}

// batch fetches, ingests and checkpoints one batch of UIDs (sorted). A message gone
// between search and fetch (expunged) is skipped.
func (p *Poller) batch(ctx context.Context, client *imapclient.Client, cp *inbox.MailboxCheckpoint, uids []imap.UID) error {
	msgs, err := p.fetch(client, uids)
	if err != nil {
		return err
	}
	got := make(map[imap.UID]fetched, len(msgs))
	for _, m := range msgs {
		got[m.uid] = m
	}
	errs := make([]error, len(uids))
	var wg sync.WaitGroup
	sem := make(chan struct{}, ingestWorkers)
	for i, uid := range uids {
		m, ok := got[uid]
		if !ok {
			continue // expunged since the search
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = p.ingest(ctx, m)
		}()
	}
	wg.Wait()
	// Advance the checkpoint to the last UID below the first temporary failure.
	var done imap.UIDSet
	last := cp.LastUID
	var failed error
	for i, uid := range uids {
		if errs[i] != nil {
			failed = errs[i]
			break
		}
		last = uint32(uid)
		if _, ok := got[uid]; ok {
			done.AddNum(uid)
		}
	}
	if last != cp.LastUID {
		cp.LastUID = last
		if err := p.c.in.SaveMailboxCheckpoint(ctx, *cp); err != nil {
			return err
		}
	}
	if len(done) > 0 {
		p.afterIngest(client, done)
	}
	return failed
}

// ingest hands one message to the inbox. A message the inbox refuses for good (no
// usable sender) is skipped, never retried, so that it cannot block the mailbox.
func (p *Poller) ingest(ctx context.Context, m fetched) error {
	_, err := p.c.Receive(ctx, m.raw, Delivery{Account: p.cfg.Name, Team: p.cfg.Team, ReceivedAt: m.date})
	p.c.states.update(p.cfg.Name, func(st *MailboxState) { st.Imported++ })
	if err == nil {
		return nil
	}
	if inbox.IsInvalid(err) {
		p.log.Warn("message skipped: the inbox refuses it", "uid", m.uid, "err", err)
		p.c.fail(p.cfg.Name, fmt.Errorf("uid %d skipped: %w", m.uid, err))
		return nil
	}
	return fmt.Errorf("email: %s: ingest uid %d: %w", p.cfg.Name, m.uid, err)
}

// fetch reads the messages of uids in one UID FETCH, streaming each body and keeping
// at most the configured message size of it.
func (p *Poller) fetch(client *imapclient.Client, uids []imap.UID) ([]fetched, error) {
	var out []fetched
	limit := p.c.cfg.Limits.MaxMessageBytes
	err := p.command(client, fetchTimeout, func() error {
		cmd := client.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
			UID: true, InternalDate: true, RFC822Size: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}},
		})
		for {
			msg := cmd.Next()
			if msg == nil {
				break
			}
			var f fetched
			for {
				item := msg.Next()
				if item == nil {
					break
				}
				switch it := item.(type) {
				case imapclient.FetchItemDataUID:
					f.uid = it.UID
				case imapclient.FetchItemDataInternalDate:
					f.date = it.Time
				case imapclient.FetchItemDataRFC822Size:
					f.size = it.Size
				case imapclient.FetchItemDataBodySection:
					raw, err := io.ReadAll(io.LimitReader(it.Literal, limit+1))
					if err != nil {
						return err
					}
					if _, err := io.Copy(io.Discard, it.Literal); err != nil {
						return err
					}
					f.raw = raw
				}
			}
			if f.uid != 0 && f.raw != nil {
				out = append(out, f)
			}
		}
		return cmd.Close()
	})
	if err != nil {
		return nil, fmt.Errorf("email: %s: fetch %d messages: %w", p.cfg.Name, len(uids), err)
	}
	return out, nil
}

// afterIngest flags or moves durably ingested messages, as configured. Failures are
// reported but do not stop the import: the checkpoint already covers these messages.
func (p *Poller) afterIngest(client *imapclient.Client, uids imap.UIDSet) {
	if p.cfg.MarkSeen {
		err := p.command(client, commandTimeout, func() error {
			return client.Store(uids, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
		})
		if err != nil {
			p.log.Warn("could not mark messages seen", "err", err)
			p.c.fail(p.cfg.Name, fmt.Errorf("mark seen: %w", err))
		}
	}
	if p.cfg.MoveTo != "" {
		err := p.command(client, commandTimeout, func() error {
			_, err := client.Move(uids, p.cfg.MoveTo).Wait()
			return err
		})
		if err != nil {
			p.log.Warn("could not move messages", "to", p.cfg.MoveTo, "err", err)
			p.c.fail(p.cfg.Name, fmt.Errorf("move to %q: %w", p.cfg.MoveTo, err))
		}
	}
}
