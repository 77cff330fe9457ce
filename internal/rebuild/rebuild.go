package rebuild

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Options are one rebuild. The caller has checked Product and Board (the
// CLI turns mistakes there into usage errors); Run still refuses a board
// the registry does not give the product.
type Options struct {
	Product string
	Board   string
	// Registry gives the board its scorer: the current configuration's,
	// which is the point of a rebuild.
	Registry *handler.Registry
	// Live is the store whose board is replaced.
	Live *store.Store
	// History is replayed from its first event to its end: a StreamSource
	// or event files. Other products' events in it are skipped.
	History engine.Source
	// BatchSize is events per Redis round trip; 0 = engine.DefaultBatchSize.
	BatchSize int
	// Now names the scratch keys, so two rebuilds never share them; nil =
	// time.Now.
	Now func() time.Time
	// Warn receives the unreadable lines of the history (up to maxShown);
	// nil discards them.
	Warn io.Writer
}

// Result is what a rebuild did, for the caller to report.
type Result struct {
	// Players is how many players the board holds after the swap (an
	// all-time unsplit board; 0 for a periodic or split one).
	Players int64
	// Instances is how many instances (periods x segments) a periodic or
	// split board has after the swap.
	Instances int64
	// Replayed counts the product's events by outcome.
	Replayed *engine.Summary
	// Unreadable counts history lines that could not be decoded: they name
	// no product, so they are not counted in Replayed.
	Unreadable int64
}

// Run rebuilds o.Board of o.Product from o.History and swaps it in, every
// period and segment of it: each event goes to the period it happened in,
// retention and segment bounds apply as on a live replay, and a live
// instance the history does not produce is removed. On error the live
// board is as it was; scratch keys are dropped either way.
func Run(ctx context.Context, o Options) (Result, error) {
	var only handler.Board
	found := false
	for _, b := range o.Registry.Lookup(o.Product).Boards {
		if b.Name == o.Board {
			only, found = b, true
		}
	}
	if !found {
		return Result{}, fmt.Errorf("rebuild: product %s has no board %q", o.Product, o.Board)
	}
	_, layered := handler.LayersOf(only.Scorer)
	// The replay runs every board of the product, into scratch keys: an
	// event another board refuses (its period expired, a segment beyond
	// max_segments, no time) is refused whole, as on the live run, so the
	// rebuilt board is what a fresh replay of the product gives it. Only
	// o.Board is swapped in; the others' scratch keys are dropped. Stats
	// are not run: they must not count history a second time.
	referees := handler.Product{Boards: o.Registry.Lookup(o.Product).Boards}
	reg := handler.NewRegistry(referees)
	if err := reg.Register(o.Product, referees); err != nil {
		return Result{}, fmt.Errorf("rebuild %s/%s: %w", o.Product, o.Board, err)
	}
	now, warn, batch := o.Now, o.Warn, o.BatchSize
	if now == nil {
		now = time.Now
	}
	if warn == nil {
		warn = io.Discard
	}
	if batch <= 0 {
		batch = engine.DefaultBatchSize
	}

	live := o.Live
	scratch := ".rebuild" + strconv.FormatInt(now().UnixNano(), 36)
	tmp := live.Scratch(scratch)
	fs := &filtered{src: o.History, product: o.Product, warn: warn}
	cleanup := func() {
		if err := tmp.DropScratch(context.WithoutCancel(ctx)); err != nil {
			fmt.Fprintf(warn, "warning: %v\n", err)
		}
	}
	sum, err := engine.New(reg, tmp).Run(ctx, fs, engine.RunOptions{BatchSize: batch})
	if err != nil {
		cleanup()
		return Result{}, fmt.Errorf("rebuild %s/%s (live board untouched): %w", o.Product, o.Board, err)
	}
	if err := live.SwapIn(ctx, o.Product, scratch, o.Board); err != nil {
		cleanup()
		return Result{}, err
	}
	cleanup()
	res := Result{Replayed: sum, Unreadable: fs.unreadable}
	if layered {
		infos, err := live.Instances(ctx, o.Product, o.Board)
		if err != nil {
			return Result{}, err
		}
		res.Instances = int64(len(infos))
		return res, nil
	}
	if res.Players, err = live.BoardSize(ctx, o.Product, o.Board); err != nil {
		return Result{}, err
	}
	return res, nil
}
