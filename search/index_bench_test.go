package search

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/channels"
	"github.com/frontdeskhq/frontdesk/inbox"
)

// BenchmarkIndexWrite measures what the indexer pays bleve per document: batches of
// 500 web chat messages (French and English, with their conversation and contact
// fields), written as the running hub writes them.
//
//	go test ./search -run XXX -bench IndexWrite -benchtime 20x
func BenchmarkIndexWrite(b *testing.B) {
	idx, err := Open(filepath.Join(b.TempDir(), "index"), Options{Logger: testLog})
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	texts := []string{
		"Bonjour, je voudrais renouveler ma carte d'identité. Quels documents faut-il apporter ?",
		"Hello, I would like to book an appointment to renew my passport next week, thank you.",
		"Je n'ai toujours pas reçu de réponse à ma réclamation concernant la facture de cantine.",
	}
	const batch = 500
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	id := int64(0)
	b.ResetTimer()
	for b.Loop() {
		docs := make(map[string]Document, batch)
		for range batch {
			id++
			c := inbox.Conversation{ID: id / 20, Channel: "webchat", ContactID: id / 20, Status: inbox.StatusOpen,
				Category: "etat-civil", Language: "fr", TeamID: 2, Tags: []string{"web"}, Priority: 40}
			ct := inbox.Contact{ID: id / 20, Name: fmt.Sprintf("Visiteur %d", id/20),
				Identities: []inbox.Identity{{Kind: channels.KindEmail, Value: fmt.Sprintf("visiteur%d@example.fr", id/20)}}}
			m := inbox.Message{ID: id, ConversationID: c.ID, Kind: inbox.KindIn, Channel: "webchat",
				Text: texts[id%3], CreatedAt: at.Add(time.Duration(id) * time.Millisecond)}
			docs[docID(id)] = NewDocument(m, c, ct, "33")
		}
		if err := idx.write(docs, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "docs/s")
}
