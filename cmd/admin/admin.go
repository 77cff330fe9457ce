// Package admin is `statsctl admin`: moderation an operator can trust.
// Remove, ban, unban, reset and erase are each one atomic script per
// product (internal/store/moderation.go), idempotent, and recorded in the
// audit stream with who asked and why (docs/moderation.md).
package admin

import (
	"context"
	"errors"
	"fmt"

	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation of an admin subcommand: its parsed flags and
// arguments, and the factory's dependencies, so a test can check parsing
// through NewCmd's runF without opening anything.
type Options struct {
	IO            cmdutil.IOStreams
	Registry      func() (*handler.Registry, error)
	Store         func(context.Context) (*store.Store, error)
	RenderOptions func() (render.Options, error)
	Now           func() time.Time

	Action     string // remove | ban | unban | reset | erase | bans | archives | archive | audit
	Product    string
	User       string
	Board      string
	Archive    string
	Actor      string
	Reason     string
	EraseStats bool
	KeepScores bool
	Limit      int64
	Offset     int64
}

// NewCmd builds `statsctl admin` and its subcommands. runF, when not nil,
// runs instead of the action with the parsed options (for tests).
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "admin",
		Short: "Moderate players and boards: remove, ban, reset, erase (audited)",
		Long: `Moderation. Every action is atomic per product, idempotent (running it again
changes nothing more) and recorded in the audit stream (<namespace>:audit) with
who asked (--actor, default $USER) and why (--reason). See docs/moderation.md.`,
		Args: cmdutil.ExactArgs(0, "(a subcommand)"),
		RunE: func(c *cobra.Command, args []string) error { return c.Help() },
	}
	sub := func(use, short, example string, nargs int, names string, set func(*Options, []string), flags func(*cobra.Command, *Options)) {
		o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, RenderOptions: f.RenderOptions, Now: time.Now}
		sc := &cobra.Command{
			Use: use, Short: short, Example: example,
			Args: cmdutil.ExactArgs(nargs, names),
			RunE: func(c *cobra.Command, args []string) error {
				o.Action = c.Name()
				set(o, args)
				if o.Actor == "" {
					o.Actor = f.Env("USER")
				}
				if err := o.check(); err != nil {
					return err
				}
				if runF != nil {
					return runF(c.Context(), o)
				}
				return run(c.Context(), o)
			},
		}
		if flags != nil {
			flags(sc, o)
		}
		if name := strings.Fields(use)[0]; name != "bans" && name != "archives" && name != "archive" && name != "audit" {
			sc.Flags().StringVar(&o.Actor, "actor", "", "who does this, for the audit stream (default $USER)")
			sc.Flags().StringVar(&o.Reason, "reason", "", "why, for the audit stream (required except for unban)")
		}
		c.AddCommand(sc)
	}
	productUser := func(o *Options, a []string) { o.Product, o.User = a[0], a[1] }
	sub("remove PRODUCT USER", "Take a player off every board of a product",
		"  statsctl admin remove exrps u42 --reason 'score injection' --erase-stats", 2, "PRODUCT USER", productUser,
		func(c *cobra.Command, o *Options) {
			c.Flags().BoolVar(&o.EraseStats, "erase-stats", false, "delete the player's stats in the product too")
		})
	sub("ban PRODUCT USER", "Ban a player: later events naming them are refused (reason banned)",
		"  statsctl admin ban exrps u42 --reason 'aimbot, ticket 1234'", 2, "PRODUCT USER", productUser,
		func(c *cobra.Command, o *Options) {
			c.Flags().BoolVar(&o.KeepScores, "keep-scores", false, "leave the player's current scores on the boards")
			c.Flags().BoolVar(&o.EraseStats, "erase-stats", false, "delete the player's stats in the product too")
		})
	sub("unban PRODUCT USER", "Lift a ban (removed scores do not come back; rebuild recomputes them)",
		"  statsctl admin unban exrps u42 --reason 'appeal granted'", 2, "PRODUCT USER", productUser, nil)
	sub("reset PRODUCT", "Archive a board under a name, then clear it",
		"  statsctl admin reset exrps --board wins --archive season-3 --reason 'season end'", 1, "PRODUCT",
		func(o *Options, a []string) { o.Product = a[0] },
		func(c *cobra.Command, o *Options) {
			c.Flags().StringVar(&o.Board, "board", "", "board to reset (required)")
			c.Flags().StringVar(&o.Archive, "archive", "", "name to archive the board's content under: a-z, 0-9, '_', '-' (required)")
		})
	sub("erase USER", "Delete a player from every product: boards, archives, ratings, stats",
		"  statsctl admin erase u42 --reason 'GDPR request 2026-118'", 1, "USER",
		func(o *Options, a []string) { o.User = a[0] }, nil)
	sub("bans PRODUCT", "List a product's banned players", "  statsctl admin bans exrps -o json", 1, "PRODUCT",
		func(o *Options, a []string) { o.Product = a[0] }, nil)
	sub("archives PRODUCT", "List a product's archived boards", "  statsctl admin archives exrps", 1, "PRODUCT",
		func(o *Options, a []string) { o.Product = a[0] }, nil)
	sub("archive PRODUCT NAME", "Show an archived board as it was (its order and tie rule)",
		"  statsctl admin archive exrps season-1 --limit 10", 2, "PRODUCT NAME",
		func(o *Options, a []string) { o.Product, o.Archive = a[0], a[1] },
		func(c *cobra.Command, o *Options) {
			c.Flags().Int64Var(&o.Limit, "limit", 10, "show N entries; 0 shows all")
			c.Flags().Int64Var(&o.Offset, "offset", 0, "skip the first N entries")
		})
	sub("audit", "Show the audit stream of moderation actions, oldest first", "  statsctl admin audit --limit 20", 0, "",
		func(*Options, []string) {},
		func(c *cobra.Command, o *Options) {
			c.Flags().Int64Var(&o.Limit, "limit", 50, "show the last N entries; 0 shows all")
		})
	return c
}

// check refuses arguments that cannot be an action, before anything is
// opened.
func (o *Options) check() error {
	if o.Product != "" {
		if err := cmdutil.CheckProduct(o.Product); err != nil {
			return err
		}
	}
	if o.User != "" {
		if err := cmdutil.CheckUser(o.User); err != nil {
			return err
		}
	}
	switch o.Action {
	case "bans", "archives":
		return nil
	case "audit":
		if o.Limit < 0 {
			return cmdutil.UsageErrorf("--limit must not be negative")
		}
		return nil
	case "archive":
		if o.Limit < 0 || o.Offset < 0 {
			return cmdutil.UsageErrorf("--limit and --offset must not be negative")
		}
		if err := store.CheckArchiveName(o.Archive); err != nil {
			return cmdutil.UsageErrorf("archive NAME: %v", err)
		}
		return nil
	case "reset":
		if o.Board == "" || o.Archive == "" {
			return cmdutil.UsageErrorf("reset needs --board and --archive NAME (the board's content is kept under NAME)")
		}
		if err := store.CheckArchiveName(o.Archive); err != nil {
			return cmdutil.UsageErrorf("--archive: %v", err)
		}
	}
	if o.Actor == "" {
		return cmdutil.UsageErrorf("no actor: pass --actor NAME (or set $USER) so the audit stream says who did it")
	}
	if o.Reason == "" && o.Action != "unban" {
		return cmdutil.UsageErrorf("%s needs --reason TEXT, for the audit stream", o.Action)
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
	if o.Action == "reset" {
		if _, err := cmdutil.Board(reg, o.Product, o.Board); err != nil {
			return err
		}
	}
	st, err := o.Store(ctx)
	if err != nil {
		return err
	}
	who := store.Who{Actor: o.Actor, Reason: o.Reason, Via: "cli"}
	cols := []string{"product_id", "user_id", "board_entries", "rating_states", "stats_erased", "history_erased", "ban_changed"}
	row := func(a store.PlayerAction) []any {
		return []any{a.Product, o.User, a.BoardEntries, a.RatingStates, a.StatsErased, a.HistoryErased, a.BanChanged}
	}
	var a store.PlayerAction
	switch o.Action {
	case "remove":
		a, err = st.RemovePlayer(ctx, reg.Lookup(o.Product), o.Product, o.User, o.EraseStats, who)
	case "ban":
		a, err = st.BanPlayer(ctx, reg.Lookup(o.Product), o.Product, o.User, o.KeepScores, o.EraseStats, who, o.Now())
	case "unban":
		a, err = st.UnbanPlayer(ctx, o.Product, o.User, who)
	case "erase":
		products, perr := allProducts(ctx, st, reg)
		if perr != nil {
			return perr
		}
		as, err := st.ErasePlayer(ctx, reg, products, o.User, who)
		if err != nil {
			return err
		}
		rows := make([][]any, len(as))
		for i, a := range as {
			rows[i] = row(a)
		}
		return render.Records(o.IO.Out, cols, rows, ropts)
	case "reset":
		res, err := st.ResetBoard(ctx, reg.Lookup(o.Product), o.Product, o.Board, o.Archive, who, o.Now())
		if err != nil {
			return err
		}
		return render.Records(o.IO.Out, []string{"product_id", "board", "archive", "players_archived", "already_done"},
			[][]any{{o.Product, o.Board, o.Archive, res.Players, res.Again}}, ropts)
	case "bans":
		bans, err := st.Bans(ctx, o.Product)
		if err != nil {
			return err
		}
		rows := make([][]any, len(bans))
		for i, b := range bans {
			rows[i] = []any{b.UserID, b.Reason, b.Actor, stamp(b.At)}
		}
		return render.Records(o.IO.Out, []string{"user_id", "reason", "actor", "at"}, rows, ropts)
	case "archives":
		arch, err := st.Archives(ctx, o.Product)
		if err != nil {
			return err
		}
		rows := make([][]any, len(arch))
		for i, a := range arch {
			sp := a.ReadSpec()
			rows[i] = []any{a.Name, a.Board, sp.Order.String(), sp.Ties.String(), a.Actor, stamp(a.At)}
		}
		return render.Records(o.IO.Out, []string{"archive", "board", "order", "ties", "actor", "at"}, rows, ropts)
	case "archive":
		p, a, err := st.ArchivedTop(ctx, o.Product, o.Archive, "", o.Offset, o.Limit)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("product %s has no archive %s (statsctl admin archives %s lists them)", o.Product, o.Archive, o.Product)
		}
		if err != nil {
			return err
		}
		if err := render.Board(o.IO.Out, p.Entries, a.ReadSpec(), ropts); err != nil {
			return err
		}
		if ropts.Format == render.FormatTable || ropts.Format == "" {
			fmt.Fprintf(o.IO.Err, "Archive %s of board %s (%s, ties %s): %s.\n", a.Name, a.Board, a.ReadSpec().Order, a.ReadSpec().Ties,
				cmdutil.Plural(p.Total, "player", "players"))
		}
		return nil
	case "audit":
		es, err := st.Audit(ctx, o.Limit)
		if err != nil {
			return err
		}
		rows := make([][]any, len(es))
		for i, e := range es {
			target := e.Product
			if e.User != "" {
				target += " " + e.User
			}
			if e.Board != "" {
				target += " board " + e.Board
			}
			if e.Archive != "" {
				target += " as " + e.Archive
			}
			what := e.Reason
			if e.Status != "requested" {
				what = e.Result
			}
			rows[i] = []any{e.ID, stamp(e.At), e.Status, e.Actor, e.Via, e.Action, target, what}
		}
		return render.Records(o.IO.Out, []string{"id", "at", "status", "actor", "via", "action", "target", "reason_or_result"}, rows, ropts)
	}
	if err != nil {
		return err
	}
	return render.Records(o.IO.Out, cols, [][]any{row(a)}, ropts)
}

// allProducts is every product erase must cover: those with data and
// those the configuration registers.
func allProducts(ctx context.Context, st *store.Store, reg *handler.Registry) ([]string, error) {
	ps, err := st.Products(ctx)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range append(ps, reg.Known()...) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out, nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
