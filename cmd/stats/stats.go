// Package stats is `statsctl stats`: one player's statistics in a product.
package stats

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation: the parsed arguments and the factory's
// dependencies the run needs, so a test can check parsing through NewCmd's
// runF without opening anything.
type Options struct {
	IO            cmdutil.IOStreams
	Registry      func() (*handler.Registry, error)
	Store         func(context.Context) (*store.Store, error)
	RenderOptions func() (render.Options, error)
	WantsTable    func() bool
	Now           func() time.Time

	Product string
	User    string

	// History, Board and Segment are --history [--board B] [--segment
	// k=v] (history.go).
	History bool
	Board   string
	Segment string
}

// NewCmd builds the command. runF, when not nil, runs instead of the
// query with the parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, RenderOptions: f.RenderOptions, WantsTable: f.WantsTable, Now: f.Now}
	c := &cobra.Command{
		Use:   "stats PRODUCT USER",
		Short: "Show a player's statistics in a product",
		Long: `Show a player's statistics in a product: the counters its stats rules keep
(games, wins, losses...) and, for each rating board, the player's rating
(<board>_rating, <board>_games; Glicko-2 adds <board>_rd and <board>_volatility).`,
		Example: `  statsctl stats exrps u1
  statsctl stats exrps u1 -o json
  statsctl stats exrps u1 --history
  statsctl stats exrps u1 --history --board elo -o csv
  statsctl stats exrps u1 --history --board weekly`,
		Args:              cmdutil.ExactArgs(2, "PRODUCT USER"),
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			o.Product, o.User = args[0], args[1]
			if err := cmdutil.CheckProduct(o.Product); err != nil {
				return err
			}
			if err := cmdutil.CheckUser(o.User); err != nil {
				return err
			}
			if (o.Board != "" || o.Segment != "") && !o.History {
				return cmdutil.UsageErrorf("--board and --segment need --history (stats are per product, not per board)")
			}
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	addHistoryFlags(c, o)
	return c
}

func run(ctx context.Context, o *Options) error {
	ropts, err := o.RenderOptions()
	if err != nil {
		return err
	}
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	if o.History {
		return runHistory(ctx, o, reg, st, ropts)
	}
	prod := reg.Lookup(o.Product)
	m, err := st.PlayerStats(ctx, prod, o.Product, o.User)
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
	if len(rows) == 0 && o.WantsTable() {
		// An empty table says less than a sentence.
		fmt.Fprintf(o.IO.Err, "No stats for %s in %s yet.\n", o.User, o.Product)
		return nil
	}
	return render.Stats(o.IO.Out, rows, ropts)
}
