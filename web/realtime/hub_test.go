package realtime

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/frontdeskhq/frontdesk/inbox"
	"github.com/frontdeskhq/frontdesk/router/queue"
)

type messages map[int64]inbox.Message

func (m messages) Message(_ context.Context, id int64) (inbox.Message, error) {
	if msg, ok := m[id]; ok {
		return msg, nil
	}
	return inbox.Message{}, inbox.ErrNotFound
}

type sink struct {
	mu  sync.Mutex
	got []string
}

func (s *sink) SetPresence(_ context.Context, id int64, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, status)
	return nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var (
	accueil = inbox.User{ID: 1, Name: "Camille", Role: inbox.RoleAgent, TeamIDs: []int64{10}}
	compta  = inbox.User{ID: 2, Name: "Nadia", Role: inbox.RoleAgent, TeamIDs: []int64{20}}
	sup     = inbox.User{ID: 3, Name: "Sophie", Role: inbox.RoleSupervisor}
)

func delivery(id uint64, typ string, e inbox.BusEvent) queue.Delivery {
	p, _ := json.Marshal(e)
	return queue.Delivery{Message: queue.Message{ID: id, Type: typ, Payload: p}, Attempt: 1}
}

// drain returns the events queued for c.
func drain(c *Conn) []Event {
	var out []Event
	for {
		select {
		case b, ok := <-c.Send:
			if !ok {
				return out
			}
			var e Event
			json.Unmarshal(b, &e)
			out = append(out, e)
		default:
			return out
		}
	}
}

func ids(es []Event) []uint64 {
	var out []uint64
	for _, e := range es {
		if e.ID != 0 {
			out = append(out, e.ID)
		}
	}
	return out
}

func TestFanoutRespectsVisibility(t *testing.T) {
	h := New(Config{}, messages{}, nil, quiet)
	ca, _, _ := h.Join(accueil, 0)
	cc, _, _ := h.Join(compta, 0)
	cs, _, _ := h.Join(sup, 0)
	drain(ca)
	drain(cc)
	drain(cs)
	h.Handle(context.Background(), []queue.Delivery{
		delivery(1, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: 5, TeamID: 10, MessageID: 50}),
		delivery(2, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: 6, TeamID: 20, MessageID: 60}),
		delivery(3, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: 7, MessageID: 70}),                   // shared queue
		delivery(4, inbox.TopicConversationUpdated, inbox.BusEvent{ConversationID: 6, TeamID: 20, AssigneeID: 1}),  // assigned to Camille
		delivery(5, inbox.TopicConversationUpdated, inbox.BusEvent{ConversationID: 5, TeamID: 20, PrevTeamID: 10}), // moved away from accueil
		delivery(5, inbox.TopicConversationUpdated, inbox.BusEvent{ConversationID: 5, TeamID: 20, PrevTeamID: 10}), // redelivered
	})
	tests := []struct {
		c    *Conn
		want []uint64
	}{
		{ca, []uint64{1, 3, 4, 5}},
		{cc, []uint64{2, 3, 4, 5}},
		{cs, []uint64{1, 2, 3, 4, 5}},
	}
	for _, tt := range tests {
		if got := ids(drain(tt.c)); !slices.Equal(got, tt.want) {
			t.Errorf("%s received %v, want %v", tt.c.User.Name, got, tt.want)
		}
	}
}

func TestResume(t *testing.T) {
	h := New(Config{Buffer: 3}, messages{}, nil, quiet)
	for i := uint64(1); i <= 5; i++ {
		h.Handle(context.Background(), []queue.Delivery{delivery(i, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: int64(i), MessageID: int64(i)})})
	}
	tests := []struct {
		last      uint64
		want      []uint64
		wantReset bool
	}{
		{0, nil, false}, // a fresh page loads everything from the API
		{5, nil, false}, // up to date
		{3, []uint64{4, 5}, false},
		{2, []uint64{3, 4, 5}, false}, // 3 is the oldest kept: no gap
		{1, nil, true},                // 2 has left the buffer
		{9, nil, true},                // ahead of the hub: it restarted
	}
	for _, tt := range tests {
		c, missed, reset := h.Join(sup, tt.last)
		var got []uint64
		for _, b := range missed {
			var e Event
			json.Unmarshal(b, &e)
			got = append(got, e.ID)
		}
		if reset != tt.wantReset || !slices.Equal(got, tt.want) {
			t.Errorf("Join(last %d) = %v reset %v, want %v reset %v", tt.last, got, reset, tt.want, tt.wantReset)
		}
		h.Leave(c)
	}
	restarted := New(Config{}, messages{}, nil, quiet)
	if _, _, reset := restarted.Join(sup, 4); !reset {
		t.Error("Join(last 4) on a hub that saw nothing: want reset")
	}
}

func TestViewersGetMessagesAndTyping(t *testing.T) {
	note := inbox.Message{ID: 50, ConversationID: 5, Kind: inbox.KindNote, Text: "<b>rappeler</b>"}
	h := New(Config{}, messages{50: note}, nil, quiet)
	viewer, _, _ := h.Join(accueil, 0)
	other, _, _ := h.Join(sup, 0)
	h.Viewing(viewer, 5, 0, 0)
	drain(viewer)
	drain(other)
	h.Handle(context.Background(), []queue.Delivery{delivery(1, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: 5, TeamID: 10, MessageID: 50, Kind: inbox.KindNote})})
	v := drain(viewer)
	if len(v) != 1 || v[0].Message == nil || v[0].Message.Text != note.Text {
		t.Fatalf("viewer got %+v, want the event with the message attached", v)
	}
	o := drain(other)
	if len(o) != 1 || o[0].Message != nil {
		t.Fatalf("non-viewer got %+v, want the event without the message", o)
	}
	h.Viewing(other, 5, 10, 0)
	if got := drain(viewer); len(got) != 1 || got[0].Type != TypeViewing || got[0].UserID != sup.ID || got[0].State != "on" {
		t.Fatalf("viewer told %+v when the supervisor opened the conversation", got)
	}
	if got := drain(other); len(got) != 1 || got[0].UserID != accueil.ID {
		t.Fatalf("newcomer told %+v, want who was already viewing", got)
	}
	h.Typing(other, 5, true)
	if got := drain(viewer); len(got) != 1 || got[0].Type != TypeTyping || got[0].State != "on" {
		t.Fatalf("viewer told %+v when the other typed", got)
	}
	h.Typing(other, 6, true) // not viewing 6: ignored
	h.VisitorTyping(5, true)
	if got := drain(viewer); len(got) != 1 || got[0].UserID != 0 || got[0].State != "on" {
		t.Fatalf("viewer told %+v when the visitor typed", got)
	}
	// An agent opening the conversation while the visitor types learns it at once.
	late, _, _ := h.Join(compta, 0)
	drain(late)
	h.Viewing(late, 5, 0, 0)
	if got := drain(late); len(got) < 1 || got[len(got)-1].Type != TypeTyping || got[len(got)-1].State != "on" {
		t.Fatalf("agent opening during the visitor's typing got %+v, want typing on", got)
	}
	h.VisitorTyping(5, false)
	drain(viewer)
	h.Leave(late)
	drain(viewer)
	h.Leave(other)
	got := drain(viewer)
	if len(got) < 1 || got[0].Type != TypeTyping || got[0].State != "off" {
		t.Fatalf("after the typing agent left, viewer got %+v, want typing off first", got)
	}
}

func TestSlowConnectionDropped(t *testing.T) {
	h := New(Config{SendQueue: 2}, messages{}, nil, quiet)
	c, _, _ := h.Join(sup, 0)
	for i := uint64(1); i <= 5; i++ {
		h.Handle(context.Background(), []queue.Delivery{delivery(i, inbox.TopicMessageCreated, inbox.BusEvent{ConversationID: 1})})
	}
	n := 0
	for range c.Send {
		n++
	}
	if n != 2 {
		t.Fatalf("slow connection got %d queued events before being closed, want 2", n)
	}
	if h.Status(sup.ID) != Offline {
		t.Fatalf("dropped agent is %s, want offline", h.Status(sup.ID))
	}
	h.Leave(c) // closing twice must not panic
}

func TestPresence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &sink{}
		h := New(Config{}, messages{}, s, quiet)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- h.Run(ctx) }()
		watcher, _, _ := h.Join(sup, 0)
		tab1, _, _ := h.Join(accueil, 0)
		tab2, _, _ := h.Join(accueil, 0)
		if !h.AgentsAvailable(ctx, "demo") || h.Status(accueil.ID) != Online {
			t.Fatal("agent with two tabs not online")
		}
		h.SetStatus(tab1, Away)
		if h.Status(accueil.ID) != Online {
			t.Fatal("one tab away, one online: want online")
		}
		h.SetStatus(tab2, Away)
		if h.Status(accueil.ID) != Away {
			t.Fatalf("both tabs away: status %s", h.Status(accueil.ID))
		}
		h.Leave(tab1)
		h.Leave(tab2)
		if h.Status(accueil.ID) != Offline {
			t.Fatal("no tab: want offline")
		}
		var states []string
		for _, e := range drain(watcher) {
			if e.Type == TypePresence && e.UserID == accueil.ID {
				states = append(states, e.State)
			}
		}
		if !slices.Equal(states, []string{Online, Away, Offline}) {
			t.Fatalf("watcher saw presence %v, want online, away, offline", states)
		}
		synctest.Wait()
		time.Sleep(PresenceRefresh + time.Second)
		synctest.Wait()
		s.mu.Lock()
		got := append([]string(nil), s.got...)
		s.mu.Unlock()
		// sup online, accueil online, away, offline, then a refresh of sup.
		if len(got) < 5 || got[len(got)-1] != Online {
			t.Fatalf("sink got %v", got)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	})
}

func TestUndecodableEventsSkipped(t *testing.T) {
	h := New(Config{}, messages{}, nil, quiet)
	c, _, _ := h.Join(sup, 0)
	drain(c)
	errs := h.Handle(context.Background(), []queue.Delivery{{Message: queue.Message{ID: 1, Type: "x", Payload: []byte("{")}}})
	if errs != nil || len(drain(c)) != 0 {
		t.Fatalf("Handle(garbage) = %v", errs)
	}

}

func TestPhoneMessageAudience(t *testing.T) {
	h := New(Config{}, messages{}, nil, quiet)
	ca, _, _ := h.Join(accueil, 0)
	cc, _, _ := h.Join(compta, 0)
	cs, _, _ := h.Join(sup, 0)
	drain(ca)
	drain(cc)
	drain(cs)
	pm := func(id uint64, e inbox.PhoneMessageEvent) queue.Delivery {
		p, _ := json.Marshal(e)
		return queue.Delivery{Message: queue.Message{ID: id, Type: inbox.TopicPhoneMessageCreated, Payload: p}}
	}
	h.Handle(context.Background(), []queue.Delivery{
		pm(1, inbox.PhoneMessageEvent{PhoneMessageID: 9, AuthorID: accueil.ID, RecipientTeamID: 20}),  // for compta, by Camille
		pm(2, inbox.PhoneMessageEvent{PhoneMessageID: 10, AuthorID: 99, RecipientUserID: accueil.ID}), // for Camille
		{Message: queue.Message{ID: 3, Type: "contact.erased", Payload: []byte(`{}`)}},                // not for browsers
	})
	for _, tt := range []struct {
		c    *Conn
		want []uint64
	}{{ca, []uint64{1, 2}}, {cc, []uint64{1}}, {cs, []uint64{1, 2}}} {
		if got := ids(drain(tt.c)); !slices.Equal(got, tt.want) {
			t.Errorf("%s received %v, want %v", tt.c.User.Name, got, tt.want)
		}
	}
}
