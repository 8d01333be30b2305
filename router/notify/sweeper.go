package notify

import (
	"context"
	"log/slog"
	"time"
)

// Marker flags overdue callbacks: inbox.Service.MarkOverduePhoneMessages.
type Marker interface {
	MarkOverduePhoneMessages(ctx context.Context) (int, error)
}

// Sweeper flags overdue callbacks periodically. Run it in one goroutine.
type Sweeper struct {
	marker Marker
	every  time.Duration
	log    *slog.Logger
}

// NewSweeper returns a sweeper calling marker every interval.
func NewSweeper(marker Marker, every time.Duration, logger *slog.Logger) *Sweeper {
	if every <= 0 {
		every = DefaultOverdueCheck
	}
	return &Sweeper{marker: marker, every: every, log: logger.With("component", "notify")}
}

// Run sweeps at once and then every interval until ctx ends; a failed sweep is logged
// and tried again at the next tick. It returns nil when ctx ends.
func (s *Sweeper) Run(ctx context.Context) error {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		n, err := s.marker.MarkOverduePhoneMessages(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("overdue sweep failed; will retry", "err", err)
		case n > 0:
			s.log.Info("callbacks overdue", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
