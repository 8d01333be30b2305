package search

import (
	"encoding/json"
	"hash/maphash"

	"github.com/frontdeskhq/frontdesk/inbox"
)

// Conversations indexed from one state.
//
// A message's document carries its conversation's fields, so a change of them (team,
// status, category…) rewrites the document of every message of the conversation. Many
// of these rewrites changed nothing: the router classifies a new conversation
// milliseconds after its first message, and when the indexer builds that message's
// document (its batches wait up to batch_wait) it mostly reads the classified
// conversation already; the router's update event then rewrote the same document
// (bench pipeline: 1.41 documents written per message ingested).
//
// So the indexer remembers, for each conversation whose documents it last wrote all
// together, a hash of the state they were written from: the fields a document takes
// from the conversation and its contact, the priority aside (see reindexes). An update
// event whose conversation still hashes the same needs no rewrite. The memory is
// bounded and starts empty, which costs rewrites, never a stale document.
type uniformStates struct {
	seed    maphash.Seed
	country string
	byConv  map[int64]uint64
}

// maxUniform bounds the conversations remembered; past it the memory starts again.
const maxUniform = 100_000

func newUniformStates(country string) *uniformStates {
	return &uniformStates{seed: maphash.MakeSeed(), country: country, byConv: map[int64]uint64{}}
}

// hash is the state of c and ct as the documents of c's messages carry it.
func (u *uniformStates) hash(c inbox.Conversation, ct inbox.Contact) uint64 {
	c.Priority = 0
	b, err := json.Marshal(NewDocument(inbox.Message{}, c, ct, u.country))
	if err != nil {
		return 0 // never equal to a remembered state: the documents are rewritten
	}
	return maphash.Bytes(u.seed, b) | 1
}

// written records the states of a batch just written: every document of the
// conversations in whole was written from states[id]; of the others, some documents
// were, which keeps them uniform only if that is the state remembered.
func (u *uniformStates) written(states map[int64]uint64, whole map[int64]bool) {
	for id, h := range states {
		switch {
		case whole[id]:
			if len(u.byConv) >= maxUniform {
				clear(u.byConv)
			}
			u.byConv[id] = h
		case u.byConv[id] != h:
			delete(u.byConv, id)
		}
	}
}

// same reports whether every document of conversation id was written from state h.
func (u *uniformStates) same(id int64, h uint64) bool {
	old, ok := u.byConv[id]
	return ok && old == h
}

func (u *uniformStates) known(id int64) bool {
	_, ok := u.byConv[id]
	return ok
}
