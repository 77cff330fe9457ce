// Package leaderboard is `statsctl leaderboard`: a board as a table for
// people, JSON or CSV for programs.
package leaderboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation: the parsed flags and argument, and the
// factory's dependencies the run needs, so a test can check parsing
// through NewCmd's runF without opening anything.
type Options struct {
	IO            cmdutil.IOStreams
	Registry      func() (*handler.Registry, error)
	Store         func(context.Context) (*store.Store, error)
	RenderOptions func() (render.Options, error)
	WantsTable    func() bool
	Now           func() time.Time

	Product string
	Board   string
	Limit   int64
	Offset  int64
	Around  string
	Period  string
	Segment string
	// Periods lists the board's stored periods and segments instead.
	Periods bool

	// Watch, Interval and Count are --watch (watch.go).
	Watch    bool
	Interval time.Duration
	Count    int
	// Users and UsersFile rank a list of players instead (list.go).
	Users     []string
	UsersFile string
}

// NewCmd builds the command. runF, when not nil, runs instead of the
// query with the parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, RenderOptions: f.RenderOptions, WantsTable: f.WantsTable, Now: f.Now}
	c := &cobra.Command{
		Use:   "leaderboard PRODUCT",
		Short: "Show a product's leaderboard",
		Example: `  statsctl leaderboard exrps
  statsctl leaderboard exrps --limit 0 -o csv > board.csv
  statsctl leaderboard exrps --around u42
  statsctl leaderboard exrps --watch
  statsctl leaderboard exrps --watch --count 3 -o json | jq .
  statsctl leaderboard exrps --board weekly --period previous --segment region=eu
  statsctl leaderboard exrps --board weekly --periods
  statsctl leaderboard exrps --users u1,u2,u42 --around u42`,
		Args:              cmdutil.ExactArgs(1, "PRODUCT"),
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			o.Product = args[0]
			if err := o.check(); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	c.Flags().StringVar(&o.Board, "board", "", "board to show (default: the product's first board, \"wins\")")
	c.Flags().Int64Var(&o.Limit, "limit", 10, "number of players to show; 0 shows all")
	c.Flags().Int64Var(&o.Offset, "offset", 0, "skip this many players from the top")
	c.Flags().StringVar(&o.Around, "around", "", "show the players around this user instead of the top")
	addWatchFlags(c, o)
	c.Flags().StringVar(&o.Period, "period", "", "period of a periodic board: current (default), previous or an id such as 2026-W48")
	c.Flags().StringVar(&o.Segment, "segment", "", "segment of a split board, e.g. region=eu (default: the unsplit board)")
	c.Flags().BoolVar(&o.Periods, "periods", false, "list the board's stored periods and segments with their sizes")
	c.Flags().StringSliceVar(&o.Users, "users", nil, fmt.Sprintf("rank only these players (comma-separated, at most %d): global rank and rank within the list", store.DefaultMaxListIDs))
	c.Flags().StringVar(&o.UsersFile, "users-file", "", "rank the players listed in this file, one id per line (- reads stdin)")
	return c
}

// check refuses arguments and flag combinations that cannot be a query,
// before anything is opened.
func (o *Options) check() error {
	if err := cmdutil.CheckProduct(o.Product); err != nil {
		return err
	}
	if o.Limit < 0 || o.Offset < 0 {
		return cmdutil.UsageErrorf("--limit and --offset must not be negative")
	}
	if o.listed() {
		return o.checkList()
	}
	if o.Around != "" && o.Offset != 0 {
		return cmdutil.UsageErrorf("--around and --offset cannot be used together")
	}
	if err := o.checkWatch(); err != nil {
		return err
	}
	if o.Around != "" {
		return cmdutil.CheckUser(o.Around)
	}
	return nil
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
	product := o.Product
	choice, err := cmdutil.Instance(reg, product, o.Board, o.Period, o.Segment, o.Now())
	if err != nil {
		return err
	}
	if o.listed() {
		return runList(ctx, o, product, cmdutil.InstanceName(choice), store.RefAt(reg.Lookup(product), product, choice), ropts)
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	if o.Periods {
		return listInstances(ctx, o, st, reg.Lookup(product), choice, ropts)
	}
	name := cmdutil.InstanceName(choice)
	ref := store.RefAt(reg.Lookup(product), product, choice)
	if o.Watch {
		return runWatch(ctx, o, st, ref, ropts)
	}
	table := o.WantsTable()
	if o.Around == "" && o.Limit == 0 && !table {
		return export(ctx, o, st, ref, ropts)
	}
	var page store.Page
	if o.Around != "" {
		n := o.Limit / 2
		if o.Limit == 0 {
			n = 5
		}
		page, err = st.Around(ctx, ref, o.Around, n)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%s is not on the %s board of %s", o.Around, name, product)
		}
	} else {
		page, err = st.Top(ctx, ref, o.Offset, o.Limit)
	}
	if err != nil {
		return err
	}
	entries := page.Entries
	spec := ref.Spec
	if table {
		for _, b := range reg.Lookup(product).Boards {
			if h := render.BoardHeader(b); b.Name == choice.Board && h != "" {
				fmt.Fprintln(o.IO.Err, h)
			}
		}
	}
	if len(entries) > 0 || !table {
		if err := render.Board(o.IO.Out, entries, spec, ropts); err != nil {
			return err
		}
	}
	if table {
		switch {
		case page.Total == 0:
			fmt.Fprintf(o.IO.Err, "No scores on the %s board of %s yet.\n", name, product)
		case len(entries) == 0:
			fmt.Fprintf(o.IO.Err, "No players past position %d (%s on the board).\n", o.Offset, cmdutil.Plural(page.Total, "player", "players"))
		case int64(len(entries)) < page.Total:
			fmt.Fprintf(o.IO.Err, "Showing %d of %s on the %s board of %s.\n", len(entries), cmdutil.Plural(page.Total, "player", "players"), name, product)
		}
	}
	return nil
}
