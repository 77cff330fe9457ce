// Package standingscmd is `statsctl standings`: a period's final (or, while
// it is open, current) standings, the same entries its period_closed entry
// carries.
package standingscmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/standings"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation: parsed flags and the factory's dependencies.
type Options struct {
	IO            cmdutil.IOStreams
	Registry      func() (*handler.Registry, error)
	Store         func(context.Context) (*store.Store, error)
	RenderOptions func() (render.Options, error)
	WantsTable    func() bool
	Now           func() time.Time

	Product, Board, Period string
}

// NewCmd builds the command; runF, when not nil, runs instead (tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, RenderOptions: f.RenderOptions, WantsTable: f.WantsTable, Now: time.Now}
	c := &cobra.Command{
		Use:   "standings PRODUCT --board B [--period P]",
		Short: "Show a period's standings: the top N a period_closed entry carries",
		Example: `  statsctl standings exrps --board weekly --period previous
  statsctl standings exrps --board weekly --period 2026-W48 -o json`,
		Args: cmdutil.ExactArgs(1, "PRODUCT"),
		RunE: func(c *cobra.Command, args []string) error {
			o.Product = args[0]
			if err := cmdutil.CheckProduct(o.Product); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	c.Flags().StringVar(&o.Board, "board", "", "periodic board (default: the product's first board)")
	c.Flags().StringVar(&o.Period, "period", "previous", "period: previous (default), current or an id such as 2026-W48")
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
	ch, err := cmdutil.Instance(reg, o.Product, o.Board, o.Period, "", o.Now())
	if err != nil {
		return err
	}
	l, ok := reg.Lookup(o.Product).Layers(ch.Board)
	if !ok || l.Period == nil {
		return cmdutil.UsageErrorf("board %s of %s is not periodic, so it has no standings; pick a board with period: in the config", ch.Board, o.Product)
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	closed, err := st.ClosedPeriods(ctx, o.Product, ch.Board)
	if err != nil {
		return err
	}
	f, err := standings.Final(ctx, st, reg.Lookup(o.Product), o.Product, l, ch.Period, false)
	if err != nil {
		return err
	}
	if err := render.Leaderboard(o.IO.Out, f.Entries, ropts); err != nil {
		return err
	}
	if o.WantsTable() {
		state := "open: these are the standings so far"
		if closed[ch.Period] {
			state = "closed: final, as published"
		}
		fmt.Fprintf(o.IO.Err, "%s %s, period %s (%s to %s), top %d of %s; %s.\n", o.Product, ch.Board, ch.Period, f.Start, f.End,
			l.Standings, cmdutil.Plural(f.Total, "player", "players"), state)
	}
	return nil
}
