package webchat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
	"unicode/utf8"
)

// Frame types sent by the visitor's browser.
const (
	TypeHello      = "hello"
	TypeMessage    = "message"
	TypeTyping     = "typing"
	TypeProfile    = "profile"
	TypeTranscript = "transcript"
	TypePing       = "ping"
)

// Frame types sent by the server (TypeMessage and TypeTyping go both ways).
const (
	TypeWelcome        = "welcome"
	TypeAck            = "ack"
	TypeError          = "error"
	TypePong           = "pong"
	TypeStatus         = "status"
	TypeProfileSaved   = "profile_saved"
	TypeTranscriptSent = "transcript_sent"
)

// ClientFrame is one frame from the visitor's browser. Which fields count depends on
// Type; see docs/webchat-protocol.md.
type ClientFrame struct {
	Type string `json:"type"`
	// hello
	Token string `json:"token,omitempty"`
	Since int64  `json:"since,omitempty"`
	Lang  string `json:"lang,omitempty"`
	// message
	ClientID string `json:"cid,omitempty"`
	Text     string `json:"text,omitempty"`
	// typing
	On bool `json:"on,omitempty"`
	// profile
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
}

// ErrFrame is wrapped by every decoding error; its message is safe to show the client.
var ErrFrame = errors.New("invalid frame")

var clientIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// DecodeFrame parses and checks one client frame. Unknown fields, unknown types,
// several JSON values, invalid UTF-8 and fields out of their limits are refused with an
// error wrapping ErrFrame that says what is wrong. maxText caps the text of a message.
func DecodeFrame(data []byte, maxText int) (ClientFrame, error) {
	var f ClientFrame
	if !utf8.Valid(data) {
		return f, fmt.Errorf("%w: not UTF-8", ErrFrame)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return ClientFrame{}, fmt.Errorf("%w: %s", ErrFrame, jsonProblem(err))
	}
	if dec.More() {
		return ClientFrame{}, fmt.Errorf("%w: more than one JSON value", ErrFrame)
	}
	switch f.Type {
	case TypeHello:
		if f.Token != "" && !validToken(f.Token) {
			return f, fmt.Errorf("%w: token is not a visitor token", ErrFrame)
		}
		if f.Since < 0 {
			return f, fmt.Errorf("%w: since must not be negative", ErrFrame)
		}
		if len(f.Lang) > 16 {
			return f, fmt.Errorf("%w: lang too long", ErrFrame)
		}
	case TypeMessage:
		if !clientIDRe.MatchString(f.ClientID) {
			return f, fmt.Errorf("%w: cid must be 1 to 64 letters, digits, - or _", ErrFrame)
		}
		if len(f.Text) > maxText {
			return f, fmt.Errorf("%w: text longer than %d bytes", errTooLarge, maxText)
		}
		if len(bytes.TrimSpace([]byte(f.Text))) == 0 {
			return f, fmt.Errorf("%w: text is empty", ErrFrame)
		}
	case TypeProfile:
		if len(f.Name) > 200 || len(f.Email) > 200 {
			return f, fmt.Errorf("%w: name and email are at most 200 bytes", ErrFrame)
		}
	case TypeTyping, TypeTranscript, TypePing:
	case "":
		return f, fmt.Errorf("%w: type is missing", ErrFrame)
	default:
		return f, fmt.Errorf("%w: unknown type %q", ErrFrame, f.Type)
	}
	return f, nil
}

// errTooLarge marks a frame refused for its size.
var errTooLarge = fmt.Errorf("%w: too large", ErrFrame)

// jsonProblem describes a JSON error without echoing the client's input.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s has the wrong type", te.Field)
	case err.Error() == "EOF":
		return "empty frame"
	}
	msg := err.Error()
	if len(msg) > 80 {
		msg = msg[:80]
	}
	return msg // "json: unknown field \"x\"" and the like
}

// ServerMessage is a message of the conversation as the visitor sees it.
type ServerMessage struct {
	Type string `json:"type"`
	// Seq is the message id: strictly increasing within a conversation.
	Seq  int64 `json:"seq"`
	Conv int64 `json:"conv"`
	// From is "visitor" or "agent".
	From string `json:"from"`
	// Author is the agent's display name, for agent messages.
	Author string `json:"author,omitempty"`
	Text   string `json:"text"`
	// ClientID is the visitor's client id, on the visitor's own messages.
	ClientID    string           `json:"cid,omitempty"`
	At          time.Time        `json:"at"`
	Attachments []FileDescriptor `json:"attachments,omitempty"`
	// Replay is true for messages sent again after a reconnect.
	Replay bool `json:"replay,omitempty"`
}

// FileDescriptor describes an attachment and where to fetch it.
type FileDescriptor struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Size int64  `json:"size"`
	URL  string `json:"url"`
}

// Welcome answers hello.
type Welcome struct {
	Type    string `json:"type"`
	Token   string `json:"token"`
	Visitor string `json:"visitor"`
	// Conv is the current conversation, 0 before the first message.
	Conv int64 `json:"conv"`
	// Online is true when agents answer now; false: leave a message and an email.
	Online bool `json:"online"`
	// Name and Email are what the visitor gave earlier, to prefill the form.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Limits tell the client what the server refuses.
	MaxMessageBytes int   `json:"max_message_bytes"`
	MaxUploadBytes  int64 `json:"max_upload_bytes"`
	// Replayed is how many message frames follow this one as the replay.
	Replayed int `json:"replayed"`
}

// Ack confirms that the message with ClientID is stored as Seq.
type Ack struct {
	Type     string `json:"type"`
	ClientID string `json:"cid"`
	Seq      int64  `json:"seq"`
	Conv     int64  `json:"conv"`
	// Duplicate is true when the message had been stored before (a resend).
	Duplicate bool      `json:"duplicate,omitempty"`
	At        time.Time `json:"at"`
}

// ErrorFrame tells the client what went wrong; the connection stays open unless
// Fatal.
type ErrorFrame struct {
	Type    string `json:"type"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// ClientID names the message refused, when one was.
	ClientID string `json:"cid,omitempty"`
	// RetryAfterMS says when to try again, for rate limits.
	RetryAfterMS int64 `json:"retry_after_ms,omitempty"`
	// Fatal: the server closes the connection after this frame.
	Fatal bool `json:"fatal,omitempty"`
}

// Error codes.
const (
	CodeInvalidFrame  = "invalid_frame"
	CodeTooLarge      = "too_large"
	CodeRateLimited   = "rate_limited"
	CodeHelloFirst    = "hello_first"
	CodeUnknownSite   = "unknown_site"
	CodeInternal      = "internal"
	CodeNoEmail       = "email_unavailable"
	CodeInvalidEmail  = "invalid_email"
	CodeNoTranscript  = "nothing_to_send"
	CodeUnauthorized  = "unauthorized"
	CodeTooManyClient = "too_many_connections"
)

// TypingFrame says that someone is typing (or stopped).
type TypingFrame struct {
	Type string `json:"type"`
	On   bool   `json:"on"`
	// Name is the agent's display name (server to visitor).
	Name string `json:"name,omitempty"`
}

// StatusFrame says whether agents answer now.
type StatusFrame struct {
	Type   string `json:"type"`
	Online bool   `json:"online"`
}

// simpleFrame is a frame with only a type.
type simpleFrame struct {
	Type string `json:"type"`
}

// encode marshals a server frame. Marshalling our own types cannot fail.
func encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("webchat: encode frame: " + err.Error())
	}
	return b
}
