// Package predict is `statsctl predict`: who is likely to win a match and
// how even it is, from a rating board, for people (a table) and programs
// (JSON, CSV); what a matchmaker asks before pairing players.
package predict

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/predict"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation: the parsed flags and arguments, and the
// factory's dependencies the run needs, so a test can check parsing
// through NewCmd's runF without opening anything.
type Options struct {
	IO            cmdutil.IOStreams
	Registry      func() (*handler.Registry, error)
	Store         func(context.Context) (*store.Store, error)
	RenderOptions func() (render.Options, error)

	Product string
	Board   string
	Teams   [][]string
}

// NewCmd builds the command. runF, when not nil, runs instead of the
// prediction with the parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, RenderOptions: f.RenderOptions}
	c := &cobra.Command{
		Use:   "predict PRODUCT TEAM TEAM...",
		Short: "Predict a match: each team's win chance, the draw chance and the match quality",
		Long: `Predict a match between teams from a rating board (openskill, elo or glicko2):
each team's chance to finish first, the chance of a draw where the model has one
(openskill), and a match quality from 0 to 1 (higher is more even). A team is its
players joined by commas; players without a rating count as new.`,
		Example: `  statsctl predict exarena --board skill u1,u2 u3,u4
  statsctl predict exarena u1 u2 u3 u4 -o json      # a four-player free-for-all`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) < 3 {
				return cmdutil.UsageErrorf("%s takes a product and at least 2 teams: PRODUCT TEAM TEAM... (got %d argument(s))", c.CommandPath(), len(args))
			}
			return nil
		},
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			o.Product = args[0]
			if err := cmdutil.CheckProduct(o.Product); err != nil {
				return err
			}
			teams, err := predict.ParseTeams(args[1:])
			if err != nil {
				return cmdutil.UsageErrorf("%v", err)
			}
			o.Teams = teams
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	c.Flags().StringVar(&o.Board, "board", "", "rating board to predict from (default: the product's first board)")
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
	board, err := cmdutil.Board(reg, o.Product, o.Board)
	if err != nil {
		return err
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	res, err := predict.Predict(ctx, st, reg.Lookup(o.Product), o.Product, board, o.Teams)
	if err != nil {
		return err
	}
	return render.Prediction(o.IO.Out, res, ropts)
}
