package queue_test

import (
	"bytes"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

// Benchmarks count one op per message, in batches of benchBatch, and report msgs/s.
const benchBatch = 100

// benchPayload is a typical event body: a small JSON document.
var benchPayload = append([]byte(`{"conversation":"c_01HZX3","message":"m_01HZX4","channel":"email","team":"accueil"}`),
	bytes.Repeat([]byte(" "), 128-83)...)

// benchMessages fills msgs with the messages from id on, reusing the slice.
func benchMessages(msgs []queue.Message, id uint64) []queue.Message {
	for i := range msgs {
		msgs[i] = queue.Message{ID: id + uint64(i), Type: "message.created", Payload: benchPayload}
	}
	return msgs
}

// reportRate reports the messages per second over the timed part of b.
func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
