// Package watch is `leaderboard --watch`: a board polled once per interval
// and redrawn in place on a terminal (bubbletea), or printed as one plain
// snapshot per interval when stdout is not a terminal. Every row carries
// its movement since the watch began. The package never speaks Redis: the
// command hands it one Fetch function per refresh.
package watch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Fetch reads the view being watched once (top N, or around a player).
// ErrNotFound means "not on the board yet": the watch shows a note and
// keeps polling rather than failing.
type Fetch func(ctx context.Context) (store.Page, error)

// Options are one watch.
type Options struct {
	// Title names the board on the frame's first line ("exrps / wins").
	Title string
	// Interval is the time between two reads; at least MinInterval.
	Interval time.Duration
	// Count stops a plain (non-terminal) watch after this many snapshots;
	// 0 runs until the context ends. A terminal watch ignores it.
	Count int
	// NotFound is the note shown while Fetch reports ErrNotFound.
	NotFound string
	// Render is how plain snapshots are written (format and colour).
	Render render.Options
	// Now is the clock the frame's time comes from; nil means time.Now.
	Now func() time.Time
}

// MinInterval is the fastest a watch redraws: the issue's "at most every
// second", so a watch costs its store one read a second at most.
const MinInterval = time.Second

// Tracker remembers each player's rank in the first frame, so later frames
// say how far each row moved since the watch began.
type Tracker struct {
	start map[string]int64
}

// Mark gives every entry its movement against the first frame it saw; the
// first call sets that baseline (an empty one when the watch began on an
// empty board, or before the --around player played), so its rows are
// "same". A player not in view then is "new" for the whole watch.
func (t *Tracker) Mark(entries []store.Entry) []render.MovedEntry {
	if t.start == nil {
		t.start = make(map[string]int64, len(entries))
		for _, e := range entries {
			t.start[e.UserID] = e.Rank
		}
	}
	out := make([]render.MovedEntry, len(entries))
	for i, e := range entries {
		out[i].Entry = e
		was, ok := t.start[e.UserID]
		switch {
		case !ok:
			out[i].Move = render.Move{Kind: "new"}
		case e.Rank < was:
			out[i].Move = render.Move{Kind: "up", By: was - e.Rank}
		case e.Rank > was:
			out[i].Move = render.Move{Kind: "down", By: e.Rank - was}
		default:
			out[i].Move = render.Move{Kind: "same"}
		}
	}
	return out
}

// frame reads one snapshot through fetch and marks its movement.
func frame(ctx context.Context, fetch Fetch, tr *Tracker, o Options) (render.Snapshot, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	page, err := fetch(ctx)
	s := render.Snapshot{At: now(), Title: o.Title}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.Note = o.NotFound
		tr.Mark(nil) // the watch began with nobody in view
		return s, nil
	case err != nil:
		return s, err
	}
	s.Total = page.Total
	s.Entries = tr.Mark(page.Entries)
	return s, nil
}

// Plain prints one snapshot per interval to w until Count snapshots are
// out or ctx ends (then it returns nil: an interrupted watch is a normal
// end). A failing read ends it with the error, so a script following a
// board learns the store is gone instead of reading silence.
func Plain(ctx context.Context, w io.Writer, fetch Fetch, o Options) error {
	o.Interval = max(o.Interval, MinInterval)
	var tr Tracker
	tick := time.NewTicker(o.Interval)
	defer tick.Stop()
	for n := 0; o.Count == 0 || n < o.Count; n++ {
		if n > 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
		s, err := frame(ctx, fetch, &tr, o)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watch %s: %w", o.Title, err)
		}
		if err := render.WatchSnapshot(w, s, o.Render, n == 0); err != nil {
			return err
		}
	}
	return nil
}
