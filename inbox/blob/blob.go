// Package blob keeps attachment content in a folder, addressed by its SHA-256: the same
// file attached to a hundred messages is stored once, and a stored file is never
// rewritten. Writes go to a temporary file that is synced and renamed into place, so a
// crash leaves either the whole file or nothing.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotFound is returned by Open for an unknown or malformed sum; it is an
// fs.ErrNotExist.
var ErrNotFound = fmt.Errorf("blob: not found: %w", fs.ErrNotExist)

// Dir is a content-addressed blob folder. Safe for concurrent use.
type Dir struct {
	root string
}

// Open prepares the folder root (creating it if needed).
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(root, 0o750); err != nil {
		return nil, fmt.Errorf("blob: create %s: %w", root, err)
	}
	return &Dir{root: root}, nil
}

// path returns where the blob of hex sum lives: two levels of fan-out keep folders small.
func (d *Dir) path(sum string) string {
	return filepath.Join(d.root, sum[:2], sum[2:4], sum)
}

// Put stores data and returns its hex SHA-256.
func (d *Dir) Put(ctx context.Context, data []byte) (string, error) {
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	p := d.path(sum)
	if _, err := os.Stat(p); err == nil {
		return sum, nil
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return "", fmt.Errorf("blob: put %s: %w", sum, err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("blob: put %s: %w", sum, err)
	}
	defer os.Remove(f.Name()) // no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", fmt.Errorf("blob: put %s: %w", sum, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", fmt.Errorf("blob: put %s: sync: %w", sum, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("blob: put %s: %w", sum, err)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return "", fmt.Errorf("blob: put %s: %w", sum, err)
	}
	return sum, nil
}

// Open returns the content stored under hex sum.
func (d *Dir) Open(_ context.Context, sum string) (io.ReadCloser, error) {
	if !validSum(sum) {
		return nil, ErrNotFound
	}
	f, err := os.Open(d.path(sum))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", sum, err)
	}
	return f, nil
}

// Delete removes the blob stored under hex sum; deleting a missing blob is not an error.
// Callers delete only blobs no message refers to any more.
func (d *Dir) Delete(_ context.Context, sum string) error {
	if !validSum(sum) {
		return ErrNotFound
	}
	if err := os.Remove(d.path(sum)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", sum, err)
	}
	return nil
}

func validSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
