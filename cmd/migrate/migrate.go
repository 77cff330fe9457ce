// Package migrate is `statsctl migrate legacy`: carry the old Stats
// Tracker's boards and stats over into statsctl, so the swap keeps every
// score (the stream cursor alone would start every board at zero).
package migrate

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/migrate"
	"github.com/varcade/statsctl/internal/redisconn"
	"github.com/varcade/statsctl/internal/render"
)

// NewCmd builds `migrate` and its one subcommand, `legacy`.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "migrate",
		Short: "Import data kept by another service",
	}
	c.AddCommand(newLegacy(f))
	return c
}

type options struct {
	from    string
	dryRun  bool
	merge   bool
	skipBad bool
	page    int64
}

func newLegacy(f *cmdutil.Factory) *cobra.Command {
	var o options
	c := &cobra.Command{
		Use:   "legacy [PRODUCT...]",
		Short: "Import the old Stats Tracker's boards and stats, once per product",
		Long: `Import the old Stats Tracker's boards (_lb:wins:<product>) and player stats
(_pstats:<user>:<product>) into statsctl's keys: board "wins" and the stats
hash of each player, in the target (--redis, or the embedded store).

Each product lands whole or not at all (staged in scratch keys page by page,
then moved into place by one script with a marker), and only once: a second
run reports "already_migrated" and changes nothing. The old keys are only
read. A product that already has data in statsctl is refused unless --merge
(old values are then added to the current ones). A value that is not a
number refuses its product (listed by key and field) unless --skip-bad.

Stop the old worker first: if its cursor moves during the import, nothing
is imported. Then start 'statsctl consume --start legacy'. See docs/migrate.md.`,
		Example: `  statsctl migrate legacy --from redis://redis-db:6379/2 --dry-run
  statsctl --redis redis://redis-db:6379/0 migrate legacy --from redis://redis-db:6379/2
  statsctl migrate legacy exrps --merge -o json`,
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE:              func(c *cobra.Command, args []string) error { return run(c, f, args, o) },
	}
	fl := c.Flags()
	fl.StringVar(&o.from, "from", "", "Redis URL of the old service's stats database (env STATS_TRACKER_REDIS_URL), e.g. redis://redis-db:6379/2")
	fl.BoolVar(&o.dryRun, "dry-run", false, "read and count everything, write nothing")
	fl.BoolVar(&o.merge, "merge", false, "add old values to a product that already has data in statsctl")
	fl.BoolVar(&o.skipBad, "skip-bad", false, "import a product without its bad values (listed) instead of refusing it")
	fl.Int64Var(&o.page, "page", 1000, "keys or entries per SCAN/ZSCAN/HSCAN page and per staged chunk")
	return c
}

func run(c *cobra.Command, f *cmdutil.Factory, products []string, o options) error {
	for _, p := range products {
		if err := cmdutil.CheckProduct(p); err != nil {
			return err
		}
	}
	if o.page <= 0 {
		return cmdutil.UsageErrorf("--page must be positive")
	}
	fm, err := f.Format()
	if err != nil {
		return err
	}
	from := o.from
	if from == "" {
		from = f.Env(cmdutil.EnvLegacyRedisURL)
	}
	if from == "" {
		return cmdutil.UsageErrorf("say where the old service kept its data: --from redis://HOST:6379/2 (or set STATS_TRACKER_REDIS_URL)")
	}
	ctx := c.Context()
	src, err := f.Connect(ctx, from, redisconn.Options{Name: "the old stats Redis", Flag: "--from"})
	if err != nil {
		return err
	}
	defer src.Close()
	reg, err := f.Registry()
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	rep, err := migrate.Run(ctx, migrate.Options{
		KeepsWins: func(p string) bool { return reg.Lookup(p).HasBoard("wins") },
		Source:    src, Target: st, Only: products, DryRun: o.dryRun, Merge: o.merge, SkipBad: o.skipBad,
		Page: o.page, Now: f.Now, SourceName: redisconn.RedactURL(from),
	})
	if err != nil {
		return fmt.Errorf("migrate legacy: %w", err)
	}
	if err := write(f.IO.Out, fm, rep); err != nil {
		return err
	}
	if n := rep.Refused(); n > 0 {
		what := "not imported; nothing of them changed"
		if n == 1 {
			what = "not imported; nothing of it changed"
		}
		if o.dryRun {
			what = "would be refused"
		}
		fmt.Fprintf(f.IO.Err, "statsctl: %s %s (see above)\n", cmdutil.Plural(int64(n), "product", "products"), what)
		return &cmdutil.SilentError{Code: cmdutil.ExitFailure}
	}
	return nil
}

// shownPerProduct caps the bad values a table lists per product (-o json
// lists up to migrate.MaxBadListed).
const shownPerProduct = 10

func write(w io.Writer, fm render.Format, rep migrate.Report) error {
	switch fm {
	case render.FormatJSON:
		e := json.NewEncoder(w)
		e.SetIndent("", "  ")
		return e.Encode(rep)
	case render.FormatCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"product", "status", "players", "stats_hashes", "fields", "bad_values", "current_players", "current_stats_hashes", "message"})
		for _, p := range rep.Products {
			_ = cw.Write([]string{p.Product, string(p.Status), itoa(p.Players), itoa(p.StatsHashes), itoa(p.Fields),
				itoa(p.BadValues), itoa(p.CurrentPlayers), itoa(p.CurrentStats), p.Message})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(rep.Products) == 0 {
		fmt.Fprintln(w, "No _lb:wins:* or _pstats:* keys in the old database: nothing to import (check --from and its database number).")
	} else {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "PRODUCT\tSTATUS\tPLAYERS\tSTATS\tFIELDS\tBAD\tCURRENT")
		for _, p := range rep.Products {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d/%d\n", p.Product, p.Status, p.Players, p.StatsHashes, p.Fields,
				p.BadValues, p.CurrentPlayers, p.CurrentStats)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, p := range rep.Products {
		if p.Message != "" {
			fmt.Fprintf(w, "%s: %s\n", p.Product, p.Message)
		}
		for i, b := range p.Bad {
			if i == shownPerProduct {
				fmt.Fprintf(w, "  ... and %d more (-o json lists up to %d)\n", p.BadValues-shownPerProduct, migrate.MaxBadListed)
				break
			}
			if b.Field != "" {
				fmt.Fprintf(w, "  %s field %q: %s\n", b.Key, b.Field, b.Reason)
			} else {
				fmt.Fprintf(w, "  %s: %s\n", b.Key, b.Reason)
			}
		}
	}
	switch {
	case rep.Cursor == "":
		fmt.Fprintln(w, "The old worker's cursor (_stats_tracker.workers.event_stream_index) is not set in the old database.")
	case rep.DryRun:
		fmt.Fprintf(w, "The old worker's cursor is at %s.\n", rep.Cursor)
	default:
		fmt.Fprintf(w, "The old worker's cursor is at %s: next, 'statsctl consume --start legacy' (or --start %s).\n", rep.Cursor, rep.Cursor)
	}
	if rep.DryRun {
		fmt.Fprintln(w, "Dry run: nothing was written. CURRENT is players/stats hashes statsctl already holds.")
	}
	return nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
