package leaderboard

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/watch"
)

func addWatchFlags(c *cobra.Command, o *Options) {
	c.Flags().BoolVar(&o.Watch, "watch", false, "redraw the board as events arrive, with each row's movement since the watch began (q quits); not on a terminal: one snapshot per --interval")
	c.Flags().DurationVar(&o.Interval, "interval", watch.MinInterval, "with --watch: time between two reads (at least 1s)")
	c.Flags().IntVar(&o.Count, "count", 0, "with --watch and stdout not a terminal: stop after this many snapshots (0: until interrupted)")
}

// checkWatch refuses --interval and --count without --watch, and an
// interval faster than the watch redraws.
func (o *Options) checkWatch() error {
	if !o.Watch {
		if o.Count != 0 || (o.Interval != 0 && o.Interval != watch.MinInterval) {
			return cmdutil.UsageErrorf("--interval and --count need --watch")
		}
		return nil
	}
	if o.Interval < watch.MinInterval {
		return cmdutil.UsageErrorf("--interval %s is below the watch's minimum of %s; use --interval 1s or more", o.Interval, watch.MinInterval)
	}
	if o.Count < 0 {
		return cmdutil.UsageErrorf("--count must not be negative")
	}
	return nil
}

// runWatch reads the same view the command shows once (top from --offset,
// or --around), once per interval: redrawn in place on a terminal when the
// output is a table, plain snapshots otherwise.
func runWatch(ctx context.Context, o *Options, st *store.Store, ref store.BoardRef, ropts render.Options) error {
	product, board := o.Product, ref.Instance
	fetch := func(ctx context.Context) (store.Page, error) {
		if o.Around != "" {
			n := o.Limit / 2
			if o.Limit == 0 {
				n = 5
			}
			return st.Around(ctx, ref, o.Around, n)
		}
		return st.Top(ctx, ref, o.Offset, o.Limit)
	}
	wo := watch.Options{
		Title:    fmt.Sprintf("%s / %s", product, board),
		Interval: o.Interval,
		Count:    o.Count,
		Render:   ropts,
	}
	if o.Around != "" {
		wo.NotFound = fmt.Sprintf("%s is not on the %s board of %s yet; waiting", o.Around, board, product)
	}
	if o.WantsTable() && render.IsTerminal(o.IO.Out) {
		return watch.Terminal(ctx, o.IO.In, o.IO.Out, fetch, wo)
	}
	err := watch.Plain(ctx, o.IO.Out, fetch, wo)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
