package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/varcade/statsctl/internal/event"
)

// Source yields events for a replay. A *event.LineError is a bad line to
// report and skip; io.EOF ends the source; any other error stops the run.
type Source interface {
	Next() (event.Event, error)
}

// Offsetter is a Source that can say how far it has read (bytes), for a
// progress line. Run asks it on the reading goroutine, so it needs no lock.
type Offsetter interface {
	Offset() int64
}

// DefaultBatchSize is how many events go to Redis in one round trip: large
// enough that the round trip is noise, small enough to keep memory flat.
const DefaultBatchSize = 2000

// RunOptions tunes a replay.
type RunOptions struct {
	BatchSize int
	// OnSkip is called (on the run's goroutine) for every line or event that
	// is skipped as invalid, with where it came from.
	OnSkip func(src event.Source, o Outcome)
	// OnBatch is called after each committed batch with the running total and
	// how far the source had read when the batch was cut (0 if the source is
	// not an Offsetter).
	OnBatch func(s *Summary, offset int64)
	// DryRun runs the handlers but writes nothing: --strict's first pass.
	DryRun bool
}

type preparedBatch struct {
	p      *Prepared
	srcs   []event.Source
	offset int64
}

// Run replays a source through the apply path. Decoding and handlers run on
// one goroutine while the previous batch is written to Redis on another, so
// neither waits on the other; at most two batches are in memory at once.
func (e *Engine) Run(ctx context.Context, src Source, opts RunOptions) (*Summary, error) {
	size := opts.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan preparedBatch, 1)
	readErr := make(chan error, 1)
	go func() {
		defer close(batches)
		evs := make([]event.Event, 0, size)
		bad := make([]*event.LineError, 0, size)
		srcs := make([]event.Source, 0, size)
		flush := func() bool {
			pb := preparedBatch{p: e.prepare(evs, bad, !opts.DryRun), srcs: srcs}
			if o, ok := src.(Offsetter); ok {
				pb.offset = o.Offset()
			}
			evs = make([]event.Event, 0, size)
			bad = make([]*event.LineError, 0, size)
			srcs = make([]event.Source, 0, size)
			select {
			case batches <- pb:
				return true
			case <-ctx.Done():
				return false
			}
		}
		for {
			ev, err := src.Next()
			var le *event.LineError
			switch {
			case err == io.EOF:
				if len(evs) > 0 && !flush() {
					readErr <- ctx.Err()
					return
				}
				readErr <- nil
				return
			case errors.As(err, &le):
				evs = append(evs, event.Event{})
				bad = append(bad, le)
				srcs = append(srcs, le.Src)
			case err != nil:
				readErr <- err
				return
			default:
				evs = append(evs, ev)
				bad = append(bad, nil)
				srcs = append(srcs, ev.Src)
			}
			if len(evs) == size && !flush() {
				readErr <- ctx.Err()
				return
			}
		}
	}()

	sum := NewSummary()
	for pb := range batches {
		outs := pb.p.Outcomes
		if !opts.DryRun {
			var err error
			outs, err = e.Commit(ctx, pb.p)
			if err != nil {
				cancel()
				for range batches {
				}
				return sum, fmt.Errorf("write batch ending at %s: %w", pb.srcs[len(pb.srcs)-1], err)
			}
		}
		for i, o := range outs {
			sum.Add(o)
			if o.Status == Invalid && opts.OnSkip != nil {
				opts.OnSkip(pb.srcs[i], o)
			}
		}
		if opts.OnBatch != nil {
			opts.OnBatch(sum, pb.offset)
		}
	}
	if err := <-readErr; err != nil {
		return sum, fmt.Errorf("read events: %w", err)
	}
	return sum, nil
}
