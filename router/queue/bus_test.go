package queue_test

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdeskhq/frontdesk/router/queue"
)

func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name    string
		opts    queue.Options
		wantErr string // "" for valid
	}{
		{"zero takes defaults", queue.Options{}, ""},
		{"set", queue.Options{VisibilityTimeout: time.Minute, MaxAttempts: 3}, ""},
		{"negative timeout", queue.Options{VisibilityTimeout: -time.Second}, "visibility timeout"},
		{"sub-millisecond timeout", queue.Options{VisibilityTimeout: time.Microsecond}, "visibility timeout"},
		{"negative attempts", queue.Options{MaxAttempts: -1}, "max attempts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.opts.Validate()
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("Validate(%+v) = %v, want nil", c.opts, err)
			case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
				t.Fatalf("Validate(%+v) = %v, want an error mentioning %q", c.opts, err, c.wantErr)
			}
		})
	}
}
