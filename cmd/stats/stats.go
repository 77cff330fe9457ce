// Package stats is `statsctl stats`: one player's statistics in a product.
package stats

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/render"
)

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "stats PRODUCT USER",
		Short: "Show a player's statistics in a product",
		Long: `Show a player's statistics in a product: the counters its stats rules keep
(games, wins, losses...) and, for each rating board, the player's rating
(<board>_rating, <board>_games; Glicko-2 adds <board>_rd and <board>_volatility).`,
		Example: `  statsctl stats exrps u1
  statsctl stats exrps u1 -o json`,
		Args:              cmdutil.ExactArgs(2, "PRODUCT USER"),
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			return run(c, f, args[0], args[1])
		},
	}
}

func run(c *cobra.Command, f *cmdutil.Factory, product, user string) error {
	if err := cmdutil.Product(product); err != nil {
		return err
	}
	if err := cmdutil.User(user); err != nil {
		return err
	}
	ropts, err := f.RenderOptions()
	if err != nil {
		return err
	}
	reg, err := f.Registry()
	if err != nil {
		return err
	}
	st, err := f.Store(c.Context())
	if err != nil {
		return err
	}
	prod := reg.Lookup(product)
	m, err := st.PlayerStats(c.Context(), prod, product, user)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	rows := make([]render.Stat, 0, len(m))
	for _, n := range prod.OrderStats(names) {
		rows = append(rows, render.Stat{Name: n, Value: m[n]})
	}
	if len(rows) == 0 && f.IsPeople() {
		// An empty table says less than a sentence.
		fmt.Fprintf(f.IO.Err, "No stats for %s in %s yet.\n", user, product)
		return nil
	}
	return render.Stats(f.IO.Out, rows, ropts)
}
