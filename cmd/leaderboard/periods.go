package leaderboard

import (
	"context"
	"fmt"
	"time"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// listInstances is --periods: the board's stored periods and segments with
// their sizes, oldest first (--segment is ignored: every segment is shown).
func listInstances(ctx context.Context, o *Options, st *store.Store, prod handler.Product, c handler.Choice, ropts render.Options) error {
	l, ok := prod.Layers(c.Board)
	if !ok {
		return cmdutil.UsageErrorf("board %s of %s is neither periodic nor split, so it has one instance; leave --periods out", c.Board, o.Product)
	}
	rows, err := st.Instances(ctx, o.Product, c.Board)
	if err != nil {
		return err
	}
	if len(rows) == 0 && o.WantsTable() {
		fmt.Fprintf(o.IO.Err, "No periods or segments of the %s board of %s are stored yet.\n", c.Board, o.Product)
		return nil
	}
	var loc *time.Location
	current := ""
	if l.Period != nil {
		loc = l.Period.Loc
		current = l.Period.ID(l.Period.Start(o.Now()))
	}
	return render.Instances(o.IO.Out, rows, loc, current, ropts)
}
