// Package webchat is the visitor side of the website chat: the embeddable launcher
// (/widget.js), the chat page shown in its iframe (/chat), the visitor websocket
// (/chat/ws), attachment upload and download, and a demo website (/demo/site). The
// protocol is specified in docs/webchat-protocol.md.
//
// # Contract with the rest of the hub
//
// The package imports channels and inbox only. cmd/frontdesk wires it:
//
//   - New(cfg, Deps) builds the Server. Deps.Inbox is inbox.Service (Ingest and the
//     visitor read methods of inbox/visitors.go); Deps.Blobs the attachment folder;
//     Deps.Availability says whether agents of a site are present (the agents'
//     presence; nil: always, so office hours alone decide); Deps.Typing receives
//     visitors' typing (the agents' realtime hub); Deps.Email, optional, sends
//     transcripts and forwards replies to visitors who left an address and went away.
//   - Routes() are mounted on the hub's mux; they carry their own security headers.
//   - Sender() is the channels.Sender the outbound worker calls for channel webchat.
//     It returns "wc-out:<message id>:live" when the reply reached a live socket,
//     ":replay" when no socket was live (the reply waits in the store for the replay
//     of the next connection, and is queued for email when the visitor left an
//     address), ":email" when the visitor had been away longer than email_grace and
//     the reply went by email at once. The worker records "sent" in each case.
//   - AgentTyping(conversation, name, typing) shows "name is typing" to the visitor.
//   - Run(ctx) forwards queued replies by email when due and prunes rate limiters;
//     when it ends, every visitor socket is closed with status 1001.
//
// # Visitors
//
// A visitor is known by a random 256-bit token kept in the iframe's localStorage (one
// per site). Only a one-way hash of it is stored: the visitor id, which is also the
// contact identity (kind visitor) and the thread key of the visitor's conversations
// on that site. A token therefore reaches exactly its visitor's conversations, and
// the ids agents see never reveal a token. Attachment links are signed (HMAC) for the
// visitor, the conversation and the attachment.
//
// # Invariants
//
//   - A visitor message is ingested with the external id "wc:<visitor>:<client id>",
//     so a resend after a cut is the same message (Ingest is idempotent).
//   - Server messages carry the message id as seq: ids grow strictly within a
//     conversation. A hello with since=N replays the visible messages (kinds in and out,
//     never notes or system notices) above N. The replay is written under the socket's
//     write lock, registered before the store is read, so a live push cannot overtake
//     it and a message is never lost between the two; pushes at or below the replayed
//     seq are skipped.
//   - Refusals are error frames naming the code and, for messages, the client id; the
//     socket stays open, except past the hard frame limit (close 1009).
//
// # Concurrency
//
// Server is safe for concurrent use. Each socket has one reading goroutine; writes
// from it and from pushers (Sender, other tabs, typing) are serialised by the
// socket's lock, each with a write deadline; pings come from a timer, not a goroutine.
//
// Limits (one process): live sockets are tracked in this process only; hubs sharing an
// inbox through Redis deliver a reply live only when the visitor's socket is on the
// hub whose outbound worker took it, otherwise by replay.
package webchat
