// Package rebuild is `statsctl rebuild`: recompute one board of a product
// from history into fresh keys and swap it in atomically, so an operator can
// change K or tau (or fix a scorer) without downtime or a half-built board.
package rebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// DefaultStream is the stream the game servers write, per the contract.
const DefaultStream = "game_event_stream"

type options struct {
	board       string
	fromStream  bool
	stream      string
	streamRedis string
	files       []string
	batch       int
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var o options
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
		RunE:              func(c *cobra.Command, args []string) error { return run(c.Context(), f, args[0], o) },
	}
	c.Flags().StringVar(&o.board, "board", "", "board to rebuild (required)")
	c.Flags().BoolVar(&o.fromStream, "from-stream", false, "replay the event stream from its first entry")
	c.Flags().StringVar(&o.stream, "stream", DefaultStream, "stream key to read with --from-stream")
	c.Flags().StringVar(&o.streamRedis, "stream-redis", "", "Redis URL of the stream (env GAME_EVENT_STREAM_REDIS_URL; default: the stats Redis)")
	c.Flags().StringArrayVarP(&o.files, "file", "f", nil, "JSONL file to replay; repeatable; - reads stdin")
	c.Flags().IntVar(&o.batch, "batch", engine.DefaultBatchSize, "events per Redis round trip")
	_ = c.MarkFlagFilename("file", "jsonl", "json")
	return c
}

func run(ctx context.Context, f *cmdutil.Factory, product string, o options) error {
	if err := cmdutil.Product(product); err != nil {
		return err
	}
	if o.board == "" {
		return cmdutil.UsageErrorf("--board is required: name the board to rebuild")
	}
	if o.fromStream == (len(o.files) > 0) {
		return cmdutil.UsageErrorf("give exactly one history: --from-stream or -f FILE.jsonl")
	}
	if o.batch <= 0 {
		return cmdutil.UsageErrorf("--batch must be positive")
	}
	board, err := cmdutil.Board(f, product, o.board)
	if err != nil {
		return err
	}
	reg, err := f.Registry()
	if err != nil {
		return err
	}
	var only handler.Board
	for _, b := range reg.Lookup(product).Boards {
		if b.Name == board {
			only = b
		}
	}
	// The rebuild runs the board's scorer alone: stats and other boards
	// must not count history a second time.
	single := handler.Product{Boards: []handler.Board{only}}
	rbReg := handler.NewRegistry(single)
	if err := rbReg.Register(product, single); err != nil {
		return err
	}

	live, err := f.Store(ctx)
	if err != nil {
		return err
	}
	scratch := ".rebuild" + strconv.FormatInt(f.Now().UnixNano(), 36)
	tmp := live.Scratch(scratch)

	var src engine.Source
	var closeSrc func()
	if o.fromStream {
		srdb, err := f.Redis(ctx)
		if err != nil {
			return err
		}
		if url := firstNonEmpty(o.streamRedis, f.Env("GAME_EVENT_STREAM_REDIS_URL")); url != "" {
			c, err := cmdutil.OpenRedis(url)
			if err != nil {
				return err
			}
			srdb = c
			closeSrc = func() { _ = c.Close() }
		}
		src = &StreamSource{Ctx: ctx, RDB: srdb, Key: o.stream}
	} else {
		ms, closer, err := openFiles(f, o.files)
		if err != nil {
			return err
		}
		src, closeSrc = ms, closer
	}
	if closeSrc != nil {
		defer closeSrc()
	}
	fs := &filtered{src: src, product: product, warn: f.IO.Err}
	cleanup := func() {
		if err := tmp.DropScratch(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(f.IO.Err, "warning: %v\n", err)
		}
	}
	sum, err := engine.New(rbReg, tmp).Run(ctx, fs, engine.RunOptions{BatchSize: o.batch})
	if err != nil {
		cleanup()
		return fmt.Errorf("rebuild %s/%s (live board untouched): %w", product, board, err)
	}
	if err := live.SwapIn(ctx, product, scratch, []string{board}); err != nil {
		cleanup()
		return err
	}
	cleanup()
	n, err := live.BoardSize(ctx, product, board)
	if err != nil {
		return err
	}
	unreadable := ""
	if fs.unreadable > 0 {
		unreadable = fmt.Sprintf("; skipped %s (product unknown)", cmdutil.Plural(fs.unreadable, "unreadable line", "unreadable lines"))
	}
	fmt.Fprintf(f.IO.Out, "rebuilt %s/%s: %s on the board; replayed %s%s\n", product, board, cmdutil.Plural(n, "player", "players"), sum, unreadable)
	return nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// maxShown caps the unreadable lines listed on stderr; the rest are counted.
const maxShown = 10

// filtered passes on only the product's events (the scratch store itself
// remembers which keys it wrote, for the cleanup). An unreadable
// JSONL line names no product, so it is not the rebuilt board's business:
// it is listed (up to maxShown) and counted apart, instead of swelling the
// board's invalid count with every other product's bad lines.
type filtered struct {
	src        engine.Source
	product    string
	warn       io.Writer
	unreadable int64
}

func (s *filtered) Next() (event.Event, error) {
	for {
		ev, err := s.src.Next()
		var le *event.LineError
		if errors.As(err, &le) {
			if s.unreadable < maxShown {
				fmt.Fprintf(s.warn, "%s: skipped (unreadable): %v\n", le.Src, le.Err)
			}
			s.unreadable++
			continue
		}
		if err != nil {
			return ev, err
		}
		if ev.Product() != s.product {
			continue
		}
		return ev, nil
	}
}

// StreamSource reads a Redis stream from its first entry to its end with
// XRANGE, page by page; it ends when a read finds nothing newer, so entries
// added while it runs are included up to that last read.
type StreamSource struct {
	Ctx  context.Context
	RDB  redis.UniversalClient
	Key  string
	Page int64 // entries per XRANGE; 0 = 1000

	last string
	buf  []redis.XMessage
}

// Next returns the next stream entry as an event.
func (s *StreamSource) Next() (event.Event, error) {
	if len(s.buf) == 0 {
		start := "-"
		if s.last != "" {
			start = "(" + s.last
		}
		page := s.Page
		if page <= 0 {
			page = 1000
		}
		msgs, err := s.RDB.XRangeN(s.Ctx, s.Key, start, "+", page).Result()
		if err != nil {
			return event.Event{}, fmt.Errorf("read stream %s after %q: %w", s.Key, s.last, err)
		}
		if len(msgs) == 0 {
			return event.Event{}, io.EOF
		}
		s.buf = msgs
	}
	m := s.buf[0]
	s.buf = s.buf[1:]
	s.last = m.ID
	return event.FromStream(m.ID, m.Values), nil
}

// multiSource decodes JSONL files one after the other.
type multiSource struct {
	decs []*event.Decoder
}

func (m *multiSource) Next() (event.Event, error) {
	for len(m.decs) > 0 {
		ev, err := m.decs[0].Next()
		if err == io.EOF {
			m.decs = m.decs[1:]
			continue
		}
		return ev, err
	}
	return event.Event{}, io.EOF
}

func openFiles(f *cmdutil.Factory, names []string) (*multiSource, func(), error) {
	ms := &multiSource{}
	var files []*os.File
	closeAll := func() {
		for _, fh := range files {
			_ = fh.Close()
		}
	}
	for _, n := range names {
		if n == "-" {
			ms.decs = append(ms.decs, event.NewDecoder(f.IO.In, "-"))
			continue
		}
		fh, err := os.Open(n)
		if err != nil {
			closeAll()
			return nil, nil, cmdutil.UsageErrorf("open %s: %v", n, err)
		}
		files = append(files, fh)
		ms.decs = append(ms.decs, event.NewDecoder(fh, n))
	}
	return ms, closeAll, nil
}
