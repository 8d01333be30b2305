package slack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slack-go/slack"

	"github.com/frontdeskhq/frontdesk/channels"
)

// errTooLarge stops a download past the size cap.
var errTooLarge = errors.New("file over the size limit")

// capped is a writer that refuses to grow past max bytes.
type capped struct {
	buf bytes.Buffer
	max int64
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(c.buf.Len()+len(p)) > c.max {
		return 0, errTooLarge
	}
	return c.buf.Write(p)
}

// files downloads the files of a message with the bot token, within the count and size
// caps. Files that cannot be kept (too large, deleted, external, refused) become
// warnings on the message; an error is returned only for what a retry may fix.
func (h *Hub) files(ctx context.Context, w *workspace, fs []File) ([]channels.Attachment, []string, error) {
	var out []channels.Attachment
	var warnings []string
	for i, f := range fs {
		if i >= h.cfg.MaxFiles {
			warnings = append(warnings, fmt.Sprintf("%d files over the limit of %d not kept", len(fs)-i, h.cfg.MaxFiles))
			break
		}
		name := firstNonEmpty(f.Name, f.Title, f.ID)
		switch {
		case f.Mode == "tombstone" || f.Mode == "hidden_by_limit" || f.Mode == "external":
			warnings = append(warnings, fmt.Sprintf("file %q not available (%s)", name, f.Mode))
			continue
		case f.Size > h.cfg.MaxFileBytes:
			warnings = append(warnings, fmt.Sprintf("file %q (%d bytes) over the limit of %d bytes not kept", name, f.Size, h.cfg.MaxFileBytes))
			continue
		}
		url := firstNonEmpty(f.URLPrivateDownload, f.URLPrivate)
		if url == "" && f.ID != "" {
			info, err := w.fileInfo(ctx, f.ID)
			if channels.IsPermanent(err) {
				warnings = append(warnings, fmt.Sprintf("file %q not available: %v", name, err))
				continue
			}
			if err != nil {
				return nil, nil, err
			}
			url = firstNonEmpty(info.URLPrivateDownload, info.URLPrivate)
			f.Mimetype = firstNonEmpty(f.Mimetype, info.Mimetype)
		}
		if url == "" {
			warnings = append(warnings, fmt.Sprintf("file %q has no download address", name))
			continue
		}
		buf := &capped{max: h.cfg.MaxFileBytes}
		err := w.call(ctx, "files download", func(ctx context.Context) error {
			buf.buf.Reset()
			return w.api.GetFileContext(ctx, url, buf)
		})
		switch {
		case errors.Is(err, errTooLarge):
			warnings = append(warnings, fmt.Sprintf("file %q over the limit of %d bytes not kept", name, h.cfg.MaxFileBytes))
			continue
		case channels.IsPermanent(err):
			warnings = append(warnings, fmt.Sprintf("file %q could not be downloaded: %v", name, err))
			continue
		case err != nil && isRefusedURL(err):
			warnings = append(warnings, fmt.Sprintf("file %q has an address outside Slack; not fetched", name))
			continue
		case err != nil:
			return nil, nil, err
		}
		out = append(out, channels.Attachment{Filename: name, ContentType: f.Mimetype, Data: bytes.Clone(buf.buf.Bytes())})
	}
	return out, warnings, nil
}

// isRefusedURL reports slack-go's refusal to send the token to a foreign host.
func isRefusedURL(err error) bool {
	return err != nil && strings.Contains(err.Error(), "refusing to send the token")
}

// fileInfo asks files.info about a file the event gave only by id.
func (w *workspace) fileInfo(ctx context.Context, id string) (*slack.File, error) {
	var f *slack.File
	err := w.call(ctx, "files.info", func(ctx context.Context) error {
		var err error
		f, _, _, err = w.api.GetFileInfoContext(ctx, id, 0, 0)
		return err
	})
	return f, err
}

var _ io.Writer = (*capped)(nil)
