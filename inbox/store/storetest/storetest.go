// Package storetest is the contract suite every inbox.Store implementation passes: the
// SQLite store now, a PostgreSQL one later.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// Run runs the contract suite; open returns a new, empty store (closed by the suite).
func Run(t *testing.T, open func(t *testing.T) inbox.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s inbox.Store)
	}{
		{"ConversationRoundTrip", testConversationRoundTrip},
		{"MessageUniqueExternalID", testMessageUnique},
		{"ThreadLookups", testThreadLookups},
		{"ContactIdentities", testContactIdentities},
		{"FailedWriteRollsBackAlone", testFailedWriteIsolated},
		{"PanickingWriteRollsBackAlone", testPanickingWrite},
		{"ConcurrentWrites", testConcurrentWrites},
		{"OutboxOrderAndDelete", testOutbox},
		{"ListFiltersAndVisibility", testList},
		{"ListCursorPages", testListPages},
		{"UsersTeamsTokens", testUsers},
		{"DeliveryUpdate", testDelivery},
		{"NotFound", testNotFound},
		{"Sessions", testSessions},
		{"ReadMarkers", testReadMarkers},
		{"SlackEvents", testSlackEvents},
		{"SlackLinks", testSlackLinks},
		{"MailboxCheckpoints", testMailboxCheckpoints},
		{"Visitors", testVisitors},
		{"ConversationsChangedPages", testConversationsChanged},
		{"BulkReads", testBulkReads},
		{"SavedSearches", testSavedSearches},
		{"EraseContact", testEraseContact},
		{"AuditLog", testAuditLog},
	}
	tests = append(tests, phoneMessageCases...)
	tests = append(tests, pipelineCases...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tt.fn(t, s)
		})
	}
	RunRouting(t, open)
}

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func write(t *testing.T, s inbox.Store, fn func(ctx context.Context, tx inbox.Tx) error) {
	t.Helper()
	if err := s.Write(context.Background(), fn); err != nil {
		t.Fatalf("Write() = %v", err)
	}
}

// seed creates a contact and a conversation and returns them.
func seed(t *testing.T, s inbox.Store, channel, thread string) (inbox.Contact, inbox.Conversation) {
	t.Helper()
	var ct inbox.Contact
	var c inbox.Conversation
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		ct = inbox.Contact{Name: "Marie Dupont", Identities: []inbox.Identity{{Kind: channels.KindEmail, Value: fmt.Sprintf("marie+%d@example.fr", rand.Int64())}}, CreatedAt: t0, UpdatedAt: t0}
		if err := tx.CreateContact(ctx, &ct); err != nil {
			return err
		}
		c = inbox.Conversation{Channel: channel, ThreadKey: thread, ContactID: ct.ID, Subject: "Rendez-vous", Status: inbox.StatusOpen, Tags: []string{}, LastMessageAt: t0, CreatedAt: t0, UpdatedAt: t0}
		return tx.CreateConversation(ctx, &c)
	})
	return ct, c
}

func testConversationRoundTrip(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	due := t0.Add(4 * time.Hour)
	c.Status, c.Priority, c.Category, c.Language, c.Tension = inbox.StatusSnoozed, 70, "complaint", "fr", "tense"
	c.Tags = []string{"facture", "urgent"}
	c.SnoozedUntil, c.FirstResponseDue, c.WaitingSince = &due, &due, &t0
	c.MessageCount = 3
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateConversation(ctx, &c) })
	got, err := s.Conversation(ctx, c.ID)
	if err != nil {
		t.Fatalf("Conversation(%d) = %v", c.ID, err)
	}
	if got.Status != c.Status || got.Priority != 70 || got.Category != "complaint" || !slices.Equal(got.Tags, c.Tags) ||
		got.SnoozedUntil == nil || !got.SnoozedUntil.Equal(due) || got.WaitingSince == nil || !got.WaitingSince.Equal(t0) ||
		got.MessageCount != 3 || !got.CreatedAt.Equal(t0) || got.ResolvedAt != nil {
		t.Fatalf("Conversation(%d) = %+v, want the fields written: %+v", c.ID, got, c)
	}
}

func testMessageUnique(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	ct, c := seed(t, s, channels.Email, "")
	m := inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: "<a@x>", ContactID: ct.ID, Text: "Bonjour", CreatedAt: t0,
		Attachments: []inbox.Attachment{{Filename: "plan.pdf", ContentType: "application/pdf", Size: 3, SHA256: "abc"}}}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateMessage(ctx, &m) })
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		dup := inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: "<a@x>", Text: "copy", CreatedAt: t0}
		return tx.CreateMessage(ctx, &dup)
	})
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("CreateMessage(same channel+external id) = %v, want ErrDuplicate", err)
	}
	// Same external id on another channel is another message.
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		other := inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Slack, ExternalID: "<a@x>", Text: "slack", CreatedAt: t0}
		return tx.CreateMessage(ctx, &other)
	})
	// Messages without external id never collide.
	for range 2 {
		write(t, s, func(ctx context.Context, tx inbox.Tx) error {
			n := inbox.Message{ConversationID: c.ID, Kind: inbox.KindNote, Channel: channels.Email, Text: "note", CreatedAt: t0}
			return tx.CreateMessage(ctx, &n)
		})
	}
	msgs, err := s.Messages(ctx, c.ID)
	if err != nil || len(msgs) != 4 {
		t.Fatalf("Messages() = %d messages, %v; want 4", len(msgs), err)
	}
	if msgs[0].Text != "Bonjour" || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Filename != "plan.pdf" {
		t.Fatalf("Messages()[0] = %+v, want the first message with its attachment", msgs[0])
	}
	got, err := s.Message(ctx, m.ID)
	if err != nil || got.ExternalID != "<a@x>" || len(got.Attachments) != 1 {
		t.Fatalf("Message(%d) = %+v, %v", m.ID, got, err)
	}
}

func testThreadLookups(t *testing.T, s inbox.Store) {
	_, c1 := seed(t, s, channels.SMS, "+33612345678")
	_, c2 := seed(t, s, channels.SMS, "+33612345678")
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		got, err := tx.LatestConversationByThread(ctx, channels.SMS, "", "+33612345678")
		if err != nil || got.ID != c2.ID {
			return fmt.Errorf("LatestConversationByThread = %d, %v; want %d", got.ID, err, c2.ID)
		}
		if _, err := tx.LatestConversationByThread(ctx, channels.SMS, "other-number", "+33612345678"); !errors.Is(err, inbox.ErrNotFound) {
			return fmt.Errorf("LatestConversationByThread(other account) = %v, want ErrNotFound", err)
		}
		m := inbox.Message{ConversationID: c1.ID, Kind: inbox.KindOut, Channel: channels.SMS, ExternalID: "SM1", CreatedAt: t0}
		if err := tx.CreateMessage(ctx, &m); err != nil {
			return err
		}
		got, err = tx.ConversationByExternalIDs(ctx, channels.SMS, []string{"unknown", "", "SM1"})
		if err != nil || got.ID != c1.ID {
			return fmt.Errorf("ConversationByExternalIDs = %d, %v; want %d", got.ID, err, c1.ID)
		}
		if _, err := tx.ConversationByExternalIDs(ctx, channels.Email, []string{"SM1"}); !errors.Is(err, inbox.ErrNotFound) {
			return fmt.Errorf("ConversationByExternalIDs(other channel) = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func testContactIdentities(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	ct, _ := seed(t, s, channels.Email, "x")
	phone := inbox.Identity{Kind: channels.KindPhone, Value: "+33612345678", Name: "Marie"}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.AddIdentity(ctx, ct.ID, phone) })
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error { return tx.AddIdentity(ctx, ct.ID, phone) })
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("AddIdentity(twice) = %v, want ErrDuplicate", err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		got, err := tx.ContactByIdentity(ctx, inbox.Identity{Kind: channels.KindPhone, Value: "+33612345678"})
		if err != nil || got.ID != ct.ID || got.Name != "Marie Dupont" {
			return fmt.Errorf("ContactByIdentity(phone) = %+v, %v; want contact %d", got, err, ct.ID)
		}
		if _, err := tx.ContactByIdentity(ctx, inbox.Identity{Kind: channels.KindPhone, Value: "+33600000000"}); !errors.Is(err, inbox.ErrNotFound) {
			return fmt.Errorf("ContactByIdentity(unknown) = %v, want ErrNotFound", err)
		}
		return nil
	})
	got, err := s.Contact(ctx, ct.ID)
	if err != nil || got.Name != "Marie Dupont" || len(got.Identities) != 2 {
		t.Fatalf("Contact(%d) = %+v, %v", ct.ID, got, err)
	}
}

func testFailedWriteIsolated(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
				m := inbox.Message{ConversationID: c.ID, Kind: inbox.KindIn, Channel: channels.Email, ExternalID: fmt.Sprintf("m%d", i), CreatedAt: t0}
				if err := tx.CreateMessage(ctx, &m); err != nil {
					return err
				}
				if i%3 == 0 {
					return boom // written, then abandoned: must not be kept
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%3 == 0 && !errors.Is(err, boom) {
			t.Errorf("Write(%d) = %v, want boom", i, err)
		}
		if i%3 != 0 && err != nil {
			t.Errorf("Write(%d) = %v, want nil", i, err)
		}
	}
	msgs, err := s.Messages(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var i int
		fmt.Sscanf(m.ExternalID, "m%d", &i)
		if i%3 == 0 {
			t.Errorf("message %s of a failed write was kept", m.ExternalID)
		}
	}
	if want := 40 - 14; len(msgs) != want {
		t.Errorf("Messages() = %d, want %d", len(msgs), want)
	}
}

func testPanickingWrite(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		tm := inbox.Team{Slug: "ghost", Name: "Ghost"}
		if err := tx.CreateTeam(ctx, &tm); err != nil {
			return err
		}
		panic("bug")
	})
	if err == nil {
		t.Fatal("Write(panicking fn) = nil, want an error")
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		tm := inbox.Team{Slug: "accueil", Name: "Accueil"}
		return tx.CreateTeam(ctx, &tm)
	})
	teams, err := s.Teams(ctx)
	if err != nil || len(teams) != 1 || teams[0].Slug != "accueil" {
		t.Fatalf("Teams() = %+v, %v; want only accueil (the panicking write rolled back, the store still works)", teams, err)
	}
}

func testConcurrentWrites(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	const writers, each = 16, 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	var ids []uint64
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
					id, err := tx.AddOutbox(ctx, inbox.OutboxRecord{Stream: "events", Type: "t", Payload: fmt.Appendf(nil, "%d-%d", w, i), CreatedAt: t0})
					if err == nil {
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
					return err
				})
				if err != nil {
					t.Errorf("Write() = %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	recs, err := s.OutboxAfter(ctx, 0, 10000)
	if err != nil || len(recs) != writers*each {
		t.Fatalf("OutboxAfter(0) = %d records, %v; want %d", len(recs), err, writers*each)
	}
	slices.Sort(ids)
	if len(slices.Compact(ids)) != writers*each {
		t.Fatalf("AddOutbox returned duplicate ids")
	}
}

func testOutbox(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	add := func(n int) {
		for range n {
			write(t, s, func(ctx context.Context, tx inbox.Tx) error {
				_, err := tx.AddOutbox(ctx, inbox.OutboxRecord{Stream: "events", Type: "message.created", Payload: []byte(`{}`), CreatedAt: t0})
				return err
			})
		}
	}
	add(5)
	recs, err := s.OutboxAfter(ctx, 0, 3)
	if err != nil || len(recs) != 3 || recs[0].ID >= recs[1].ID || recs[1].ID >= recs[2].ID {
		t.Fatalf("OutboxAfter(0, 3) = %+v, %v; want 3 increasing records", recs, err)
	}
	rest, err := s.OutboxAfter(ctx, recs[2].ID, 10)
	if err != nil || len(rest) != 2 || rest[0].ID <= recs[2].ID {
		t.Fatalf("OutboxAfter(%d) = %+v, %v; want the 2 later records", recs[2].ID, rest, err)
	}
	last := rest[1].ID
	n, err := s.DeleteOutboxBelow(ctx, last+1)
	if err != nil || n != 5 {
		t.Fatalf("DeleteOutboxBelow(%d) = %d, %v; want 5", last+1, n, err)
	}
	add(1)
	again, err := s.OutboxAfter(ctx, 0, 10)
	if err != nil || len(again) != 1 || again[0].ID <= last {
		t.Fatalf("after deleting everything, new record = %+v, %v; want an id above %d (ids never reused)", again, err, last)
	}
}

func testList(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var teamA, teamB inbox.Team
	var agent inbox.User
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		teamA, teamB = inbox.Team{Slug: "a", Name: "A"}, inbox.Team{Slug: "b", Name: "B"}
		if err := tx.CreateTeam(ctx, &teamA); err != nil {
			return err
		}
		if err := tx.CreateTeam(ctx, &teamB); err != nil {
			return err
		}
		agent = inbox.User{Email: "agent@x.fr", Name: "Agent", Role: inbox.RoleAgent, TeamIDs: []int64{teamA.ID}, CreatedAt: t0}
		return tx.CreateUser(ctx, &agent)
	})
	mk := func(team, assignee int64, status inbox.Status, channel string, tags ...string) int64 {
		_, c := seed(t, s, channel, "")
		c.TeamID, c.AssigneeID, c.Status, c.Tags = team, assignee, status, append([]string{}, tags...)
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateConversation(ctx, &c) })
		return c.ID
	}
	inA := mk(teamA.ID, 0, inbox.StatusOpen, channels.Email, "facture")
	inB := mk(teamB.ID, 0, inbox.StatusOpen, channels.Webchat)
	inBMine := mk(teamB.ID, agent.ID, inbox.StatusPending, channels.Email)
	noTeam := mk(0, 0, inbox.StatusResolved, channels.SMS)
	ids := func(q inbox.ConversationQuery) []int64 {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 100
		}
		list, err := s.Conversations(ctx, q)
		if err != nil {
			t.Fatalf("Conversations(%+v) = %v", q, err)
		}
		var out []int64
		for _, c := range list {
			out = append(out, c.ID)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		name string
		q    inbox.ConversationQuery
		want []int64
	}{
		{"all", inbox.ConversationQuery{}, []int64{inA, inB, inBMine, noTeam}},
		{"agent visibility", inbox.ConversationQuery{Visible: &inbox.Visibility{UserID: agent.ID, TeamIDs: agent.TeamIDs}}, []int64{inA, inBMine, noTeam}},
		{"no teams agent", inbox.ConversationQuery{Visible: &inbox.Visibility{UserID: 999}}, []int64{noTeam}},
		{"status", inbox.ConversationQuery{Statuses: []inbox.Status{inbox.StatusOpen, inbox.StatusPending}}, []int64{inA, inB, inBMine}},
		{"channel", inbox.ConversationQuery{Channel: channels.Email}, []int64{inA, inBMine}},
		{"team", inbox.ConversationQuery{TeamID: teamB.ID}, []int64{inB, inBMine}},
		{"assignee", inbox.ConversationQuery{AssigneeID: agent.ID}, []int64{inBMine}},
		{"unassigned", inbox.ConversationQuery{Unassigned: true, TeamID: teamB.ID}, []int64{inB}},
		{"tag", inbox.ConversationQuery{Tag: "facture"}, []int64{inA}},
	}
	for _, tt := range tests {
		if got := ids(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: Conversations() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func testListPages(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	const n = 23
	for i := range n {
		_, c := seed(t, s, channels.Email, fmt.Sprint(i))
		c.Priority = (i % 4) * 20
		c.LastMessageAt = t0.Add(time.Duration(i%5) * time.Minute) // ties on purpose
		ws := t0.Add(time.Duration(i%3) * time.Minute)
		c.WaitingSince = &ws
		write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateConversation(ctx, &c) })
	}
	for _, sort := range []string{inbox.SortRecent, inbox.SortPriority} {
		full, err := s.Conversations(ctx, inbox.ConversationQuery{Sort: sort, Limit: 100})
		if err != nil || len(full) != n {
			t.Fatalf("%s: Conversations(all) = %d, %v", sort, len(full), err)
		}
		var paged []inbox.Conversation
		var after *inbox.Cursor
		for range n {
			page, err := s.Conversations(ctx, inbox.ConversationQuery{Sort: sort, Limit: 5, After: after})
			if err != nil {
				t.Fatalf("%s: page after %+v: %v", sort, after, err)
			}
			paged = append(paged, page...)
			if len(page) < 5 {
				break
			}
			last := page[len(page)-1]
			after = &inbox.Cursor{ID: last.ID, Time: last.LastMessageAt.UnixMicro()}
			if sort == inbox.SortPriority {
				after.Priority, after.Time = last.Priority, last.WaitingSince.UnixMicro()
			}
		}
		if len(paged) != n {
			t.Fatalf("%s: pages hold %d conversations, want %d", sort, len(paged), n)
		}
		for i := range full {
			if full[i].ID != paged[i].ID {
				t.Fatalf("%s: page order differs at %d: %d vs %d", sort, i, paged[i].ID, full[i].ID)
			}
		}
		if sort == inbox.SortPriority {
			for i := 1; i < n; i++ {
				if full[i].Priority > full[i-1].Priority {
					t.Fatalf("priority sort: %d before %d", full[i-1].Priority, full[i].Priority)
				}
			}
		}
	}
}

func testUsers(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	var u inbox.User
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		tm := inbox.Team{Slug: "accueil", Name: "Accueil"}
		if err := tx.CreateTeam(ctx, &tm); err != nil {
			return err
		}
		u = inbox.User{Email: "lea@mairie.fr", Name: "Léa", Role: inbox.RoleAgent, PasswordHash: "h", TeamIDs: []int64{tm.ID}, Languages: []string{"fr", "en"}, CreatedAt: t0}
		return tx.CreateUser(ctx, &u)
	})
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		dup := inbox.User{Email: "lea@mairie.fr", Name: "Autre", Role: inbox.RoleAgent, CreatedAt: t0}
		return tx.CreateUser(ctx, &dup)
	})
	if !errors.Is(err, inbox.ErrDuplicate) {
		t.Fatalf("CreateUser(same email) = %v, want ErrDuplicate", err)
	}
	got, err := s.UserByEmail(ctx, "lea@mairie.fr")
	if err != nil || got.ID != u.ID || len(got.TeamIDs) != 1 || !slices.Equal(got.Languages, []string{"fr", "en"}) || got.PasswordHash != "h" {
		t.Fatalf("UserByEmail() = %+v, %v", got, err)
	}
	hash := []byte("0123456789abcdef0123456789abcdef")
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		tk := inbox.APIToken{UserID: u.ID, Name: "cli", Prefix: "fdk_abcdef", CreatedAt: t0}
		return tx.CreateToken(ctx, &tk, hash)
	})
	gu, tk, err := s.UserByTokenHash(ctx, hash)
	if err != nil || gu.ID != u.ID || string(tk.Hash) != string(hash) {
		t.Fatalf("UserByTokenHash() = %+v, %+v, %v", gu, tk, err)
	}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		n, err := tx.RevokeTokens(ctx, u.ID, "fdk_abcdef", t0)
		if err == nil && n != 1 {
			err = fmt.Errorf("RevokeTokens() = %d, want 1", n)
		}
		return err
	})
	if _, _, err := s.UserByTokenHash(ctx, hash); !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("UserByTokenHash(revoked) = %v, want ErrNotFound", err)
	}
	got.Disabled, got.TeamIDs = true, nil
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.UpdateUser(ctx, &got) })
	again, err := s.User(ctx, u.ID)
	if err != nil || !again.Disabled || len(again.TeamIDs) != 0 {
		t.Fatalf("User() after UpdateUser = %+v, %v; want disabled with no team", again, err)
	}
}

func testDelivery(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	_, c := seed(t, s, channels.Email, "")
	m := inbox.Message{ConversationID: c.ID, Kind: inbox.KindOut, Channel: channels.Email, DeliveryStatus: inbox.DeliveryQueued, CreatedAt: t0}
	write(t, s, func(ctx context.Context, tx inbox.Tx) error { return tx.CreateMessage(ctx, &m) })
	write(t, s, func(ctx context.Context, tx inbox.Tx) error {
		return tx.UpdateDelivery(ctx, m.ID, inbox.DeliverySent, "<out-1@hub>", "")
	})
	got, err := s.Message(ctx, m.ID)
	if err != nil || got.DeliveryStatus != inbox.DeliverySent || got.ExternalID != "<out-1@hub>" {
		t.Fatalf("Message() after UpdateDelivery = %+v, %v", got, err)
	}
	err = s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		return tx.UpdateDelivery(ctx, m.ID+1000, inbox.DeliverySent, "", "")
	})
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Fatalf("UpdateDelivery(unknown) = %v, want ErrNotFound", err)
	}
}

func testNotFound(t *testing.T, s inbox.Store) {
	ctx := context.Background()
	checks := map[string]error{}
	_, checks["Conversation"] = s.Conversation(ctx, 42)
	_, checks["Message"] = s.Message(ctx, 42)
	_, checks["Contact"] = s.Contact(ctx, 42)
	_, checks["User"] = s.User(ctx, 42)
	_, checks["UserByEmail"] = s.UserByEmail(ctx, "nobody@x.fr")
	_, _, checks["UserByTokenHash"] = s.UserByTokenHash(ctx, []byte("nope"))
	for name, err := range checks {
		if !errors.Is(err, inbox.ErrNotFound) {
			t.Errorf("%s(unknown) = %v, want ErrNotFound", name, err)
		}
	}
	err := s.Write(ctx, func(ctx context.Context, tx inbox.Tx) error {
		c := inbox.Conversation{ID: 42, Status: inbox.StatusOpen, LastMessageAt: t0, UpdatedAt: t0}
		return tx.UpdateConversation(ctx, &c)
	})
	if !errors.Is(err, inbox.ErrNotFound) {
		t.Errorf("UpdateConversation(unknown) = %v, want ErrNotFound", err)
	}
}
