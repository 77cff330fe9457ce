// Package leaderboard is `statsctl leaderboard`: a board as a table for
// people, JSON or CSV for programs.
package leaderboard

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

type options struct {
	board  string
	limit  int64
	offset int64
	around string
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var o options
	c := &cobra.Command{
		Use:   "leaderboard PRODUCT",
		Short: "Show a product's leaderboard",
		Example: `  statsctl leaderboard exrps
  statsctl leaderboard exrps --limit 0 -o csv > board.csv
  statsctl leaderboard exrps --around u42`,
		Args:              cmdutil.ExactArgs(1, "PRODUCT"),
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			return run(c, f, args[0], o)
		},
	}
	c.Flags().StringVar(&o.board, "board", "", "board to show (default: the product's first board, \"wins\")")
	c.Flags().Int64Var(&o.limit, "limit", 10, "number of players to show; 0 shows all")
	c.Flags().Int64Var(&o.offset, "offset", 0, "skip this many players from the top")
	c.Flags().StringVar(&o.around, "around", "", "show the players around this user instead of the top")
	return c
}

func run(c *cobra.Command, f *cmdutil.Factory, product string, o options) error {
	if err := cmdutil.Product(product); err != nil {
		return err
	}
	if o.limit < 0 || o.offset < 0 {
		return cmdutil.UsageErrorf("--limit and --offset must not be negative")
	}
	if o.around != "" && o.offset != 0 {
		return cmdutil.UsageErrorf("--around and --offset cannot be used together")
	}
	ropts, err := f.RenderOptions()
	if err != nil {
		return err
	}
	board, err := cmdutil.Board(f, product, o.board)
	if err != nil {
		return err
	}
	ctx := c.Context()
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	var page store.Page
	if o.around != "" {
		if err := cmdutil.User(o.around); err != nil {
			return err
		}
		n := o.limit / 2
		if o.limit == 0 {
			n = 5
		}
		page, err = st.Around(ctx, product, board, o.around, n)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s is not on the %s board of %s", o.around, board, product)
		}
	} else {
		page, err = st.Top(ctx, product, board, o.offset, o.limit)
	}
	if err != nil {
		return err
	}
	entries := page.Entries
	if len(entries) > 0 || !f.IsPeople() {
		if err := render.Leaderboard(f.IO.Out, entries, ropts); err != nil {
			return err
		}
	}
	if f.IsPeople() {
		switch {
		case page.Total == 0:
			fmt.Fprintf(f.IO.Err, "No scores on the %s board of %s yet.\n", board, product)
		case len(entries) == 0:
			fmt.Fprintf(f.IO.Err, "No players past position %d (%s on the board).\n", o.offset, cmdutil.Plural(page.Total, "player", "players"))
		case int64(len(entries)) < page.Total:
			fmt.Fprintf(f.IO.Err, "Showing %d of %s on the %s board of %s.\n", len(entries), cmdutil.Plural(page.Total, "player", "players"), board, product)
		}
	}
	return nil
}
