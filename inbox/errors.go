package inbox

import (
	"errors"
	"fmt"
)

// Expected states, checked with errors.Is.
var (
	// ErrNotFound: no such record, or one the caller may not see.
	ErrNotFound = errors.New("inbox: not found")
	// ErrDuplicate: a unique key (channel + external id, user email) is taken.
	ErrDuplicate = errors.New("inbox: duplicate")
	// ErrForbidden: the caller may see the record but not do this to it.
	ErrForbidden = errors.New("inbox: forbidden")
	// ErrUnauthorized: unknown, revoked or disabled credentials.
	ErrUnauthorized = errors.New("inbox: unauthorized")
)

// InvalidError says which input field is wrong and why. It wraps nothing: it is the
// caller's mistake, never retried.
type InvalidError struct {
	Field   string
	Message string
}

func (e *InvalidError) Error() string {
	if e.Field == "" {
		return "inbox: invalid input: " + e.Message
	}
	return fmt.Sprintf("inbox: invalid %s: %s", e.Field, e.Message)
}

// invalid builds an *InvalidError.
func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// IsInvalid reports whether err is, or wraps, an *InvalidError.
func IsInvalid(err error) bool {
	var e *InvalidError
	return errors.As(err, &e)
}
