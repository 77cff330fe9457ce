// Package rebuild is `statsctl rebuild`: recompute one board of a product
// from history into fresh keys and swap it in atomically, so an operator can
// change K or tau (or fix a scorer) without downtime or a half-built board.
// The procedure is internal/rebuild's; this package turns flags into its
// options, opens the history and prints the result.
package rebuild

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one invocation: the parsed flags and argument, and the
// factory's dependencies the run needs, so a test can check parsing
// through NewCmd's runF without opening anything.
type Options struct {
	IO          cmdutil.IOStreams
	Registry    func() (*handler.Registry, error)
	Store       func(context.Context) (*store.Store, error)
	StreamRedis func(ctx context.Context, flag string, wait func(ping func() error) error) (redis.UniversalClient, func(), error)
	Now         func() time.Time

	Product    string
	Board      string
	FromStream bool
	Stream     string
	StreamURL  string // --stream-redis
	Files      []string
	Batch      int
}

// NewCmd builds the command. runF, when not nil, runs instead of the
// rebuild with the parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{IO: f.IO, Registry: f.Registry, Store: f.Store, StreamRedis: f.StreamRedis, Now: func() time.Time { return f.Now() }}
	c := &cobra.Command{
		Use:   "rebuild PRODUCT --board NAME (--from-stream | -f FILE.jsonl ...)",
		Short: "Recompute a board from history and swap it in atomically",
		Long: `Recompute one board of a product from history (the event stream, or JSONL
files) with the scorer the current configuration gives it, into fresh keys,
then swap it in with one atomic script: readers see the old board until the
new one is complete. Player stats and other boards are not touched.

Events the stream consumers apply to the live board between the rebuild's
last read and the swap are not in the rebuilt board; rebuild reads until it
has caught up to the end of the stream to keep that window to one round
trip. See docs/ratings.md.`,
		Example: `  statsctl --config games.yaml rebuild exrps --board elo --from-stream
  statsctl rebuild exrps --board elo -f 2026-10.jsonl -f 2026-11.jsonl`,
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
	c.Flags().StringVar(&o.Board, "board", "", "board to rebuild (required)")
	c.Flags().BoolVar(&o.FromStream, "from-stream", false, "replay the event stream from its first entry")
	c.Flags().StringVar(&o.Stream, "stream", consumer.DefaultStream, "stream key to read with --from-stream")
	c.Flags().StringVar(&o.StreamURL, "stream-redis", "", "Redis URL of the stream (env "+cmdutil.EnvStreamRedisURL+"; default: the stats Redis)")
	c.Flags().StringArrayVarP(&o.Files, "file", "f", nil, "JSONL file to replay; repeatable; - reads stdin")
	c.Flags().IntVar(&o.Batch, "batch", engine.DefaultBatchSize, "events per Redis round trip")
	_ = c.MarkFlagFilename("file", "jsonl", "json")
	return c
}

// check refuses flag combinations that cannot be a rebuild, before
// anything is opened.
func (o *Options) check() error {
	if err := cmdutil.CheckProduct(o.Product); err != nil {
		return err
	}
	if o.Board == "" {
		return cmdutil.UsageErrorf("--board is required: name the board to rebuild")
	}
	if o.FromStream == (len(o.Files) > 0) {
		return cmdutil.UsageErrorf("give exactly one history: --from-stream or -f FILE.jsonl")
	}
	if o.Batch <= 0 {
		return cmdutil.UsageErrorf("--batch must be positive")
	}
	return nil
}

func run(ctx context.Context, o *Options) error {
	reg, err := o.Registry()
	if err != nil {
		return err
	}
	board, err := cmdutil.Board(reg, o.Product, o.Board)
	if err != nil {
		return err
	}
	live, err := o.Store(ctx)
	if err != nil {
		return err
	}
	history, closeHistory, err := o.history(ctx)
	if err != nil {
		return err
	}
	defer closeHistory()
	res, err := rebuild.Run(ctx, rebuild.Options{
		Product: o.Product, Board: board, Registry: reg, Live: live,
		History: history, BatchSize: o.Batch, Now: o.Now, Warn: o.IO.Err,
	})
	if err != nil {
		return err
	}
	unreadable := ""
	if res.Unreadable > 0 {
		unreadable = fmt.Sprintf("; skipped %s (product unknown)", cmdutil.Plural(res.Unreadable, "unreadable line", "unreadable lines"))
	}
	size := cmdutil.Plural(res.Players, "player", "players") + " on the board"
	if l, ok := reg.Lookup(o.Product).Layers(board); ok && (l.Period != nil || l.Split != nil) {
		size = cmdutil.Plural(res.Instances, "instance", "instances") + " (periods and segments)"
	}
	fmt.Fprintf(o.IO.Out, "rebuilt %s/%s: %s; replayed %s%s\n", o.Product, board, size, res.Replayed, unreadable)
	return nil
}

// history opens what --from-stream or -f names.
func (o *Options) history(ctx context.Context) (engine.Source, func(), error) {
	if o.FromStream {
		rdb, closeRDB, err := o.StreamRedis(ctx, o.StreamURL, nil)
		if err != nil {
			return nil, nil, err
		}
		return &rebuild.StreamSource{Ctx: ctx, RDB: rdb, Key: o.Stream}, closeRDB, nil
	}
	files, err := event.OpenFiles(o.Files, o.IO.In)
	if err != nil {
		return nil, nil, &cmdutil.UsageError{Err: err}
	}
	return files, func() { _ = files.Close() }, nil
}
