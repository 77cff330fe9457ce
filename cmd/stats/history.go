package stats

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

func addHistoryFlags(c *cobra.Command, o *Options) {
	c.Flags().BoolVar(&o.History, "history", false, "chart the player's history on a board: the score after each game (all-time boards with history: in the games config), or the rank in each kept period (periodic boards); -o json|csv gives the points")
	c.Flags().StringVar(&o.Board, "board", "", "with --history: the board (default: the product's first board)")
	c.Flags().StringVar(&o.Segment, "segment", "", "with --history on a split board: the segment (region=eu), default the unsplit board")
}

// runHistory prints the player's history on the chosen board: a chart for
// people, the points for programs. A periodic board's history is the
// player's rank in each kept period (derived from the periods' instances,
// so every periodic board has one); an all-time board's is the score after
// each game, and one that keeps none is an error that says how to turn it
// on.
func runHistory(ctx context.Context, o *Options, reg *handler.Registry, st *store.Store, ropts render.Options) error {
	prod := reg.Lookup(o.Product)
	c, err := cmdutil.Instance(reg, o.Product, o.Board, "", o.Segment, o.Now())
	if err != nil {
		return err
	}
	title := fmt.Sprintf("%s on %s / %s", o.User, o.Product, c.Board)
	if c.Segment != "" {
		title += " / " + c.Segment
	}
	if l, _ := prod.Layers(c.Board); l.Period != nil {
		points, err := st.PeriodHistory(ctx, prod, o.Product, c, o.User, o.Now())
		if err != nil {
			return err
		}
		if len(points) == 0 && o.WantsTable() {
			fmt.Fprintf(o.IO.Err, "No periods of the %s board of %s are kept yet.\n", c.Board, o.Product)
			return nil
		}
		return render.PeriodHistory(o.IO.Out, title, points, ropts)
	}
	if !prod.KeepsHistory(c.Board) {
		return fmt.Errorf("board %s of %s keeps no history: add `history: {points: 100}` to the board in the games config (docs/config.md), then new games are recorded", c.Board, o.Product)
	}
	points, err := st.History(ctx, o.Product, c.Instance, o.User)
	if err != nil {
		return err
	}
	if len(points) == 0 && o.WantsTable() {
		fmt.Fprintf(o.IO.Err, "No history for %s on the %s board of %s yet.\n", o.User, cmdutil.InstanceName(c), o.Product)
		return nil
	}
	return render.History(o.IO.Out, title, points, ropts)
}
