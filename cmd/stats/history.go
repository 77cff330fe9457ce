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
	c.Flags().BoolVar(&o.History, "history", false, "chart the player's score after each game on a board (boards with history: in the games config); -o json|csv gives the points")
	c.Flags().StringVar(&o.Board, "board", "", "with --history: the board (default: the product's first board)")
}

// runHistory prints the player's history on the chosen board: a chart for
// people, the points for programs. A board that keeps no history is an
// error that says how to turn it on.
func runHistory(ctx context.Context, o *Options, reg *handler.Registry, st *store.Store, ropts render.Options) error {
	board, err := cmdutil.Board(reg, o.Product, o.Board)
	if err != nil {
		return err
	}
	if !reg.Lookup(o.Product).KeepsHistory(board) {
		return fmt.Errorf("board %s of %s keeps no history: add `history: {points: 100}` to the board in the games config (docs/config.md), then new games are recorded", board, o.Product)
	}
	points, err := st.History(ctx, o.Product, board, o.User)
	if err != nil {
		return err
	}
	if len(points) == 0 && o.WantsTable() {
		fmt.Fprintf(o.IO.Err, "No history for %s on the %s board of %s yet.\n", o.User, board, o.Product)
		return nil
	}
	return render.History(o.IO.Out, fmt.Sprintf("%s on %s / %s", o.User, o.Product, board), points, ropts)
}
