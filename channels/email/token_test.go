package email

import (
	"testing"
	"time"
)

func TestTokens(t *testing.T) {
	tk := NewTokens(testSecret, "Mairie.Example")
	id := tk.MessageID(12, 345)
	if id != tk.MessageID(12, 345) {
		t.Fatal("MessageID is not stable: retries would not be recognised")
	}
	if conv, ok := tk.ConversationOfID(id); !ok || conv != 12 {
		t.Fatalf("ConversationOfID(%s) = %d, %v", id, conv, ok)
	}
	other := NewTokens([]byte("another secret of 32 bytes......"), "mairie.example")
	bad := []string{
		other.MessageID(12, 345),                    // another key
		id[:len(id)-20] + "@mairie.example>",        // truncated MAC
		"<fd.c13.m345." + id[len("<fd.c12.m345."):], // conversation changed
		"<abc@mairie.example>",
		"",
	}
	for _, b := range bad {
		if _, ok := tk.ConversationOfID(b); ok {
			t.Errorf("ConversationOfID(%q) accepted a forged id", b)
		}
	}
	notice := tk.NoticeID("phone-message:4:created")
	if notice != tk.NoticeID("phone-message:4:created") || notice == tk.NoticeID("phone-message:4:overdue") {
		t.Fatalf("NoticeID is not stable per key and distinct across keys: %s", notice)
	}
	if !tk.IsOurs(notice) || !tk.IsOurs(id) || tk.IsOurs("<fd.n.short@mairie.example>") || tk.IsOurs("<abc@mairie.example>") {
		t.Fatalf("IsOurs misjudges ids: notice %v, message %v", tk.IsOurs(notice), tk.IsOurs(id))
	}
	if _, ok := tk.ConversationOfID(notice); ok {
		t.Fatal("a notice id names a conversation")
	}
	plus := tk.PlusAddress("accueil@mairie.example", 7)
	if conv, ok := tk.ConversationOfAddress(plus); !ok || conv != 7 {
		t.Fatalf("ConversationOfAddress(%s) = %d, %v", plus, conv, ok)
	}
	for _, b := range []string{"accueil+fd-c8-" + plus[len("accueil+fd-c7-"):], "accueil@mairie.example", "accueil+fd-c7@mairie.example", other.PlusAddress("accueil@mairie.example", 7)} {
		if _, ok := tk.ConversationOfAddress(b); ok {
			t.Errorf("ConversationOfAddress(%q) accepted a forged tag", b)
		}
	}
}

func TestLoopGuard(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	g := newLoopGuard(3, time.Hour, 10*time.Minute, func() time.Time { return now })
	steps := []struct {
		advance time.Duration
		want    bool
	}{
		{0, true}, {time.Minute, false}, {10 * time.Minute, true}, {10 * time.Minute, true},
		{10 * time.Minute, false}, // fourth within the hour
		{31 * time.Minute, true},  // the first left the window
	}
	for i, s := range steps {
		now = now.Add(s.advance)
		if got := g.allowAck("Marie@Example.fr"); got != s.want {
			t.Fatalf("step %d: allowAck() = %v, want %v", i, got, s.want)
		}
	}
	if !g.allowAck("other@example.fr") || g.allowAck("") {
		t.Fatal("limits must be per sender, and an empty sender never answered")
	}
}

func TestGuessLanguage(t *testing.T) {
	for in, want := range map[string]string{
		"Hello, I would like to know the opening hours please": "en",
		"Bonjour, je voudrais connaître vos horaires":          "fr",
		"": "fr",
	} {
		if got := guessLanguage(in); got != want {
			t.Errorf("guessLanguage(%q) = %s, want %s", in, got, want)
		}
	}
}
