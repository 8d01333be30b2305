package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestPutOpenDelete(t *testing.T) {
	ctx := context.Background()
	d, err := Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	data := []byte("facture-2026-11.pdf contents")
	sum, err := d.Put(ctx, data)
	if err != nil {
		t.Fatalf("Put() = %v", err)
	}
	h := sha256.Sum256(data)
	if want := hex.EncodeToString(h[:]); sum != want {
		t.Fatalf("Put() = %q, want the hex SHA-256 %q", sum, want)
	}
	again, err := d.Put(ctx, data)
	if err != nil || again != sum {
		t.Fatalf("Put(same data) = %q, %v; want %q, nil", again, err, sum)
	}
	r, err := d.Open(ctx, sum)
	if err != nil {
		t.Fatalf("Open(%s) = %v", sum, err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != string(data) {
		t.Fatalf("Open(%s) read %q, want %q", sum, got, data)
	}
	entries, _ := os.ReadDir(filepath.Join(d.root, sum[:2], sum[2:4]))
	if len(entries) != 1 {
		t.Fatalf("blob folder holds %d entries after two puts, want 1 (no temp file left)", len(entries))
	}
	if err := d.Delete(ctx, sum); err != nil {
		t.Fatalf("Delete() = %v", err)
	}
	if _, err := d.Open(ctx, sum); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(deleted) = %v, want ErrNotFound", err)
	}
}

func TestOpenRejectsBadSums(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, sum := range []string{"", "../../etc/passwd", "ABCDEF", "zz" + string(make([]byte, 62))} {
		if _, err := d.Open(context.Background(), sum); !errors.Is(err, ErrNotFound) {
			t.Errorf("Open(%q) = %v, want ErrNotFound", sum, err)
		}
	}
}
