package mailparse

// Limits bound what one message may cost to parse. Zero fields take the defaults.
type Limits struct {
	// MaxHeaderBytes caps one header block (the message's or a part's).
	MaxHeaderBytes int
	// MaxLineLength: longer lines are cut into several, with a warning.
	MaxLineLength int
	// MaxParts caps the MIME parts visited; the rest is ignored with a warning.
	MaxParts int
	// MaxDepth caps multipart nesting; deeper parts are ignored with a warning.
	MaxDepth int
	// MaxPartBytes caps the decoded size of one part; a larger attachment is dropped
	// and a larger text cut, with a warning.
	MaxPartBytes int64
}

// Defaults for Limits.
const (
	// DefaultMaxHeaderBytes: 256 KiB holds the longest legitimate header blocks (long
	// Received chains, DKIM, ARC) several times over.
	DefaultMaxHeaderBytes = 256 << 10
	// DefaultMaxLineLength: RFC 5322 says 998; HTML generators exceed it, never by this
	// much.
	DefaultMaxLineLength = 64 << 10
	// DefaultMaxParts: a mail with a hundred parts is a mail bomb or a mailing-list digest.
	DefaultMaxParts = 100
	// DefaultMaxDepth: real mail nests four or five levels (mixed > related >
	// alternative); ten leaves room for forwarded messages.
	DefaultMaxDepth = 10
	// DefaultMaxPartBytes: 25 MiB, the common provider cap for one message.
	DefaultMaxPartBytes = 25 << 20
)

// WithDefaults returns l with zero fields set to their defaults.
func (l Limits) WithDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxLineLength <= 0 {
		l.MaxLineLength = DefaultMaxLineLength
	}
	if l.MaxParts <= 0 {
		l.MaxParts = DefaultMaxParts
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	if l.MaxPartBytes <= 0 {
		l.MaxPartBytes = DefaultMaxPartBytes
	}
	return l
}
