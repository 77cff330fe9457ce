// Package standings closes the periods of periodic boards: when a period
// has ended (its end plus the board's grace), its final top N is frozen
// and written once to an outbound stream as a period_closed entry, so a
// rewards service can pay from it. It is one background job of consume
// (docs/boards.md "Standings").
package standings

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Closer finds due periods and closes them. Any number of closers may run
// at once (one per consumer): freezing is idempotent and publishing is
// checked and done in one script, so each period is published once.
type Closer struct {
	Store    *store.Store
	Registry *handler.Registry
	Stream   string           // outbound stream; store.DefaultStandingsStream when empty
	Now      func() time.Time // nil: time.Now
	// Watermark is the event time before which every event has been
	// applied: for a consumer group, the oldest pending entry's time, else
	// the last delivered entry's, else (caught up) now. A replay therefore
	// closes past periods as it passes them, and an entry a killed
	// consumer left pending holds its period open. nil: now.
	Watermark func(context.Context) (time.Time, error)
	Log       *slog.Logger // nil: discard
}

// Due reports whether a period that ends at end is due: its grace is over
// by the clock and every event before end + grace has been applied.
func Due(end time.Time, grace time.Duration, now, watermark time.Time) bool {
	at := end.Add(grace)
	return !now.Before(at) && !watermark.Before(at)
}

// Pass closes every due period of the periodic boards with standings of
// every configured product and of every product with data that uses the
// default: product's boards, and returns how many it published.
func (c *Closer) Pass(ctx context.Context) (int, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	wm := now()
	if c.Watermark != nil {
		var err error
		if wm, err = c.Watermark(ctx); err != nil {
			return 0, fmt.Errorf("closing periods: %w", err)
		}
	}
	// An unreadable products set does not hold up the configured
	// products: they are closed, and the error is returned after.
	products, listErr := c.products(ctx)
	published := 0
	for _, product := range products {
		for _, b := range c.Registry.Lookup(product).Boards {
			if !closes(b) {
				continue
			}
			l, _ := handler.LayersOf(b.Scorer)
			infos, err := c.Store.Instances(ctx, product, b.Name)
			if err != nil {
				return published, err
			}
			for _, in := range infos {
				if in.Segment != "" || in.Period == "" {
					continue
				}
				start := time.UnixMilli(in.Start).In(l.Period.Loc)
				if !Due(l.Period.Next(start), l.Period.Grace, now(), wm) {
					continue
				}
				_, added, err := c.Close(ctx, product, l, in.Period)
				if err != nil {
					return published, err
				}
				if added {
					published++
				}
			}
		}
	}
	if listErr != nil {
		return published, fmt.Errorf("closing periods of the products on the default: product's boards: %w", listErr)
	}
	return published, nil
}

// closes reports whether b is a periodic board that publishes standings.
func closes(b handler.Board) bool {
	l, ok := handler.LayersOf(b.Scorer)
	return ok && l.Period != nil && l.Standings > 0
}

// products lists the products whose periods a pass closes: the configured
// ones with periodic boards, and, when the default: product has a periodic
// board with standings, every other product with data. Those are read from
// the store's products set (one SMEMBERS per pass, no keyspace scan): the
// store adds a product to it before applying its first batch, so no
// product with a period to close is missing from it.
func (c *Closer) products(ctx context.Context) ([]string, error) {
	known := c.Registry.Known()
	fallback := false
	for _, b := range c.Registry.Fallback().Boards {
		fallback = fallback || closes(b)
	}
	if !fallback {
		return known, nil
	}
	all, err := c.Store.Products(ctx)
	if err != nil {
		return known, err
	}
	isKnown := make(map[string]bool, len(known))
	for _, p := range known {
		isKnown[p] = true
	}
	out := known
	for _, p := range all {
		if !isKnown[p] && event.CheckProduct(p) == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Close freezes one period of a board and publishes its standings (once:
// a period published before is not published again). It returns the
// standings and whether this call published them.
func (c *Closer) Close(ctx context.Context, product string, l handler.Layered, period string) (store.Final, bool, error) {
	f, err := Final(ctx, c.Store, c.Registry.Lookup(product), product, l, period, true)
	if err != nil {
		return f, false, err
	}
	stream := c.Stream
	if stream == "" {
		stream = store.DefaultStandingsStream
	}
	id, added, err := c.Store.Publish(ctx, stream, f)
	if err != nil {
		return f, false, err
	}
	if added && c.Log != nil {
		c.Log.Info("period closed", "product", product, "board", l.Board, "period", period, "entries", len(f.Entries), "stream", stream, "id", id)
	}
	return f, added, nil
}

// Final reads a period's standings: frozen first when freeze is set (the
// close job), as they stand now otherwise (`statsctl standings` of an open
// period). They are ranked with the board's spec from prod (its order and
// ties), as every other read of the board is, so an asc board's winners
// are its lowest scores.
func Final(ctx context.Context, st *store.Store, prod handler.Product, product string, l handler.Layered, period string, freeze bool) (store.Final, error) {
	start, err := l.Period.ParseID(period)
	if err != nil {
		return store.Final{}, fmt.Errorf("standings of %s/%s: %w", product, l.Board, err)
	}
	f := store.Final{Product: product, Board: l.Board, Period: period,
		Start: start.Format(time.RFC3339), End: l.Period.Next(start).Format(time.RFC3339)}
	ref := store.RefOf(prod, product, handler.Instance(l.Board, period, ""))
	if freeze {
		f.Entries, f.Total, err = st.Freeze(ctx, ref, l.Board, period, l.Standings)
	} else {
		var p store.Page
		p, err = st.Top(ctx, ref, 0, int64(l.Standings))
		f.Entries, f.Total = p.Entries, p.Total
	}
	return f, err
}

// Run runs Pass every interval until ctx ends, logging failures (the next
// pass retries them).
func (c *Closer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := c.Pass(ctx); err != nil && ctx.Err() == nil && c.Log != nil {
			c.Log.Warn("closing periods failed; retrying next pass", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
