package redistest_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/frontdeskhq/frontdesk/router/queue/redistest"
)

func TestRestartKeepsDataOnlyWithAppendOnly(t *testing.T) {
	cases := []struct {
		name string
		opts redistest.Options
		want int64 // keys after the restart
	}{
		{"append-only", redistest.Options{AppendOnly: true}, 1},
		{"no persistence", redistest.Options{}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := redistest.NewOwn(t, c.opts)
			rc := s.Client(t)
			key := s.Prefix + "k"
			if err := rc.Set(t.Context(), key, "v", 0).Err(); err != nil {
				t.Fatalf("SET %s = %v", key, err)
			}
			s.Restart(t)
			n, err := rc.Exists(t.Context(), key).Result()
			if err != nil || n != c.want {
				t.Fatalf("EXISTS %s after Restart = %d, %v; want %d, nil", key, n, err, c.want)
			}
		})
	}
}

// TestNewOnSharedServerCleansItsPrefix runs New against a "shared" server (a private one
// named by the environment variable) and checks that only the test's keys go at cleanup.
func TestNewOnSharedServerCleansItsPrefix(t *testing.T) {
	shared := redistest.NewOwn(t, redistest.Options{})
	rc := shared.Client(t)
	if err := rc.Set(t.Context(), "someone-else", "v", 0).Err(); err != nil {
		t.Fatalf("SET = %v", err)
	}
	t.Setenv(redistest.EnvURL, shared.URL)

	var prefix string
	t.Run("user", func(t *testing.T) {
		s := redistest.New(t)
		if s.URL != shared.URL {
			t.Fatalf("New().URL = %q, want %q from %s", s.URL, shared.URL, redistest.EnvURL)
		}
		prefix = s.Prefix
		c := s.Client(t)
		for i := range 1200 { // more than one SCAN and UNLINK batch
			if err := c.Set(t.Context(), fmt.Sprintf("%sk%d", s.Prefix, i), "v", 0).Err(); err != nil {
				t.Fatalf("SET = %v", err)
			}
		}
	})
	left, err := rc.Keys(t.Context(), prefix+"*").Result()
	if err != nil || len(left) != 0 {
		t.Fatalf("keys under %q after cleanup = %d, %v; want none", prefix, len(left), err)
	}
	if n, err := rc.Exists(t.Context(), "someone-else").Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS someone-else after cleanup = %d, %v; want 1: cleanup must keep to its prefix", n, err)
	}
}

func TestPrefixesDiffer(t *testing.T) {
	a, b := redistest.New(t), redistest.New(t)
	if a.Prefix == b.Prefix {
		t.Fatalf("two Servers share the prefix %q", a.Prefix)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and stops the goroutine,
// to check what a helper says when it gives up.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func (f *fatalRecorder) Helper() {}

func TestNoServerSaysHowToInstall(t *testing.T) {
	t.Setenv(redistest.EnvURL, "")
	t.Setenv("PATH", t.TempDir()) // no redis-server there
	rec := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		redistest.New(rec)
	}()
	<-done
	for _, want := range []string{"apt-get install redis-server", "make test", redistest.EnvURL} {
		if !strings.Contains(rec.msg, want) {
			t.Errorf("New() without redis-server failed with %q, want it to mention %q", rec.msg, want)
		}
	}
}
