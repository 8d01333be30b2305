package store

import (
	"slices"
	"strings"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// writerCache keeps rows the writer goroutine read or wrote, so that a message for a
// known thread or sender is ingested without the look-up queries (about 40% of the
// writer's time per message). Only the writer goroutine touches it.
//
// It is exact, never stale:
//   - the tx methods that change a cached row apply the same change to the entry
//     (UpdateActivity, UpdateConversation, UpdateClassification; CreateConversation
//     makes its thread's entry miss);
//   - any other write statement that names conversations, contacts (and their
//     identities), teams or users, the tables whose changes or deletions reach a cached
//     row through its columns or foreign keys, empties the cache (see invalidates);
//   - a rollback, whole or to a savepoint, empties it;
//   - a commit by another connection, such as a CLI command run while serve runs, empties
//     it: the writer reads PRAGMA data_version once its batch holds the write lock.
//
// Entries are copies: a caller changing what it got back changes nothing here.
type writerCache struct {
	max      int
	convs    map[int64]inbox.Conversation
	threads  map[threadRef]int64
	contacts map[identityRef]inbox.Contact
}

type threadRef struct{ channel, account, key string }

type identityRef struct {
	kind  channels.IdentityKind
	value string
}

func newWriterCache(max int) *writerCache {
	c := &writerCache{max: max}
	c.reset()
	return c
}

// reset forgets everything.
func (c *writerCache) reset() {
	if c.max <= 0 {
		return
	}
	if len(c.convs) == 0 && len(c.threads) == 0 && len(c.contacts) == 0 && c.convs != nil {
		return
	}
	c.convs = make(map[int64]inbox.Conversation)
	c.threads = make(map[threadRef]int64)
	c.contacts = make(map[identityRef]inbox.Contact)
}

func (c *writerCache) conversation(id int64) (inbox.Conversation, bool) {
	v, ok := c.convs[id]
	if !ok {
		return v, false
	}
	return cloneConversation(v), true
}

// thread returns the newest conversation of a thread, as LatestConversationByThread.
func (c *writerCache) thread(channel, account, key string) (inbox.Conversation, bool) {
	id, ok := c.threads[threadRef{channel, account, key}]
	if !ok {
		return inbox.Conversation{}, false
	}
	return c.conversation(id)
}

// putConversation remembers v as read from the database in the current transaction.
func (c *writerCache) putConversation(v inbox.Conversation) {
	put(c, c.convs, v.ID, cloneConversation(v))
}

// putThread remembers id as the newest conversation of its thread.
func (c *writerCache) putThread(channel, account, key string, id int64) {
	if key != "" {
		put(c, c.threads, threadRef{channel, account, key}, id)
	}
}

// dropThread forgets which conversation is a thread's newest.
func (c *writerCache) dropThread(channel, account, key string) {
	delete(c.threads, threadRef{channel, account, key})
}

// activity, updated and classified apply to a cached conversation the columns of the
// UPDATE of the same name, each value as the database gives it back (microseconds and
// UTC for times, a JSON round trip for tags), so that the entry equals what a read
// would return. UpdateConversation's columns are the other two's and five more.

// activity mirrors tx.UpdateActivity.
func (c *writerCache) activity(v *inbox.Conversation) { c.patch(v, setActivity) }

// classified mirrors tx.UpdateClassification.
func (c *writerCache) classified(v *inbox.Conversation) { c.patch(v, setClassification) }

// updated mirrors tx.UpdateConversation.
func (c *writerCache) updated(v *inbox.Conversation) {
	c.patch(v, func(cur, v *inbox.Conversation) {
		setClassification(cur, v)
		setActivity(cur, v)
		cur.Subject, cur.Status, cur.AssigneeID = v.Subject, v.Status, v.AssigneeID
		cur.SnoozedUntil, cur.ResolvedAt = storedPtr(v.SnoozedUntil), storedPtr(v.ResolvedAt)
		cur.SLAPausedAt, cur.SLAPausedSeconds = storedPtr(v.SLAPausedAt), v.SLAPausedSeconds
	})
}

func (c *writerCache) patch(v *inbox.Conversation, set func(cur, v *inbox.Conversation)) {
	cur, ok := c.convs[v.ID]
	if !ok {
		return
	}
	set(&cur, v)
	c.convs[v.ID] = cur
}

func setActivity(cur, v *inbox.Conversation) {
	cur.WaitingSince = storedPtr(v.WaitingSince)
	cur.FirstResponseAt = storedPtr(v.FirstResponseAt)
	cur.LastMessageAt = stored(v.LastMessageAt)
	cur.MessageCount = v.MessageCount
	cur.UpdatedAt = stored(v.UpdatedAt)
}

func setClassification(cur, v *inbox.Conversation) {
	cur.Priority, cur.Category, cur.Language, cur.Tension = v.Priority, v.Category, v.Language, v.Tension
	cur.TeamID = v.TeamID
	cur.Tags = parseList(jsonList(v.Tags))
	cur.FirstResponseDue = storedPtr(v.FirstResponseDue)
	cur.NextResponseDue = storedPtr(v.NextResponseDue)
	cur.ResolutionDue = storedPtr(v.ResolutionDue)
	cur.MessageCount = v.MessageCount
	cur.UpdatedAt = stored(v.UpdatedAt)
}

func (c *writerCache) contact(kind channels.IdentityKind, value string) (inbox.Contact, bool) {
	v, ok := c.contacts[identityRef{kind, value}]
	if !ok {
		return v, false
	}
	v.Identities = slices.Clone(v.Identities)
	return v, true
}

func (c *writerCache) putContact(kind channels.IdentityKind, value string, v inbox.Contact) {
	v.Identities = slices.Clone(v.Identities)
	put(c, c.contacts, identityRef{kind, value}, v)
}

// put stores v under k in m, one of c's maps, unless the cache is off; a full map first
// loses an arbitrary entry (Go randomises map iteration): cheap, and good enough for a
// cache whose misses cost one indexed query.
func put[K comparable, V any](c *writerCache, m map[K]V, k K, v V) {
	if c.max <= 0 {
		return
	}
	if _, ok := m[k]; !ok && len(m) >= c.max {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}

func cloneConversation(v inbox.Conversation) inbox.Conversation {
	v.Tags = slices.Clone(v.Tags)
	if v.Tags == nil {
		v.Tags = []string{}
	}
	for _, p := range []**time.Time{&v.SnoozedUntil, &v.FirstResponseDue, &v.NextResponseDue,
		&v.ResolutionDue, &v.FirstResponseAt, &v.WaitingSince, &v.ResolvedAt, &v.SLAPausedAt} {
		if *p != nil {
			t := **p
			*p = &t
		}
	}
	return v
}

// stored is t as it comes back from the database.
func stored(t time.Time) time.Time { return fromMicro(micro(t)) }

func storedPtr(t *time.Time) *time.Time { return ptrMicro(nullMicro(t)) }

// invalidates says whether running query on the writer connection may change a row the
// writer cache holds without the cache knowing: a write statement naming one of the
// tables whose changes reach a cached conversation or contact. It errs on the side of
// yes (a false positive only costs a few look-ups).
func invalidates(query string) bool {
	q := strings.ToLower(strings.TrimSpace(query))
	for _, safe := range []string{"select", "pragma", "begin", "commit", "savepoint", "release"} {
		if strings.HasPrefix(q, safe) {
			return false
		}
	}
	for _, table := range []string{"conversations", "contacts", "contact_identities", "teams", "users"} {
		if containsWord(q, table) {
			return true
		}
	}
	return false
}

// containsWord says whether w occurs in q as a whole SQL identifier: "contacts" is in
// "delete from contacts where", not in "contacts_old" nor in "contact_id".
func containsWord(q, w string) bool {
	for i := 0; ; {
		j := strings.Index(q[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		if (start == 0 || !identChar(q[start-1])) && (end == len(q) || !identChar(q[end])) {
			return true
		}
		i = start + 1
	}
}

func identChar(b byte) bool {
	return b == '_' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
}
