package embedded

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"
)

// SaveEvery saves a snapshot every interval until ctx ends, so a
// long-running process (serve, consume) loses at most one interval of writes
// in a crash. A failed save is logged and the loop goes on: the data is still
// in memory and the next save may succeed. It makes no final save; Close
// does that. A non-positive every only waits for ctx. Both commands run this
// one loop so they save and report failures the same way.
func (s *Store) SaveEvery(ctx context.Context, every time.Duration, log *slog.Logger) {
	s.SaveEveryThen(ctx, every, log, nil)
}

// SaveEveryThen is SaveEvery that calls after (if not nil) following each
// save attempt, so serve can re-check what the saved data says (streams in
// databases nobody consumes) at the pace the data is saved.
func (s *Store) SaveEveryThen(ctx context.Context, every time.Duration, log *slog.Logger, after func()) {
	if every <= 0 {
		<-ctx.Done()
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			// Once ctx has ended the process is shutting down and Close
			// makes (and reports) the final save.
			if err := s.Save(); err != nil && !errors.Is(ctx.Err(), context.Canceled) {
				log.Error("save embedded snapshot", "err", strings.TrimSpace(err.Error()))
			}
			if after != nil {
				after()
			}
		}
	}
}
