package password

import (
	"errors"
	"strings"
	"testing"
)

var fast = Params{Memory: 64, Time: 1, Threads: 1}

func TestHashVerify(t *testing.T) {
	h, err := Hash("correct horse battery", fast)
	if err != nil {
		t.Fatalf("Hash() error = %v", err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("Hash() = %q, want PHC argon2id form", h)
	}
	if err := Verify("correct horse battery", h); err != nil {
		t.Fatalf("Verify(right password) = %v, want nil", err)
	}
	if err := Verify("correct horse batterY", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Verify(wrong password) = %v, want ErrMismatch", err)
	}
	h2, _ := Hash("correct horse battery", fast)
	if h == h2 {
		t.Fatalf("two hashes of one password are equal %q: salt not random", h)
	}
}

func TestVerifyMalformed(t *testing.T) {
	for _, enc := range []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=x,t=1,p=1$c2FsdA$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$!!$a2V5",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdA$",
	} {
		if err := Verify("pw", enc); err == nil || errors.Is(err, ErrMismatch) {
			t.Errorf("Verify(%q) = %v, want a format error", enc, err)
		}
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		pw   string
		good bool
	}{
		{"short", false},
		{"exactly8", true},
		{strings.Repeat("a", MaxLength), true},
		{strings.Repeat("a", MaxLength+1), false},
	}
	for _, tt := range tests {
		if err := Check(tt.pw); (err == nil) != tt.good {
			t.Errorf("Check(len %d) = %v, want ok=%v", len(tt.pw), err, tt.good)
		}
	}
}
