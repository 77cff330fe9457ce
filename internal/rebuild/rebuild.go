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
	// Players is how many players the board holds after the swap.
	Players int64
	// Replayed counts the product's events by outcome.
	Replayed *engine.Summary
	// Unreadable counts history lines that could not be decoded: they name
	// no product, so they are not counted in Replayed.
	Unreadable int64
}

// Run rebuilds o.Board of o.Product from o.History and swaps it in. On
// error the live board is as it was; scratch keys are dropped either way.
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
	if _, layered := handler.LayersOf(only.Scorer); layered {
		// Its instances are many keys named by the events; the swap below
		// knows one board key per board.
		return Result{}, fmt.Errorf("rebuild: board %s of %s is periodic or split, which rebuild cannot swap in yet; "+
			"replay its history with consume or track into a fresh namespace instead", o.Board, o.Product)
	}
	// The rebuild runs the board's scorer alone: stats and other boards
	// must not count history a second time.
	single := handler.Product{Boards: []handler.Board{only}}
	reg := handler.NewRegistry(single)
	if err := reg.Register(o.Product, single); err != nil {
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
	if err := live.SwapIn(ctx, o.Product, scratch, []string{o.Board}); err != nil {
		cleanup()
		return Result{}, err
	}
	cleanup()
	n, err := live.BoardSize(ctx, o.Product, o.Board)
	if err != nil {
		return Result{}, err
	}
	return Result{Players: n, Replayed: sum, Unreadable: fs.unreadable}, nil
}
