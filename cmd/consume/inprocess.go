package consume

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
)

// InProcessConsumer names the consumer `statsctl serve` runs on its own
// embedded store. The name is stable across restarts, so a restarted serve
// re-reads its own pending entries at once instead of waiting --claim-after.
const InProcessConsumer = "serve-embedded"

// InProcess is the stream consumer `statsctl serve` runs beside its API when
// it owns the embedded store, so that one command is a whole stats tracker:
// game servers XADD to the embedded Redis and the boards follow. On a real
// Redis (or an embedded store another process owns) it returns no task: run
// `statsctl consume` there, so the daemon scales and restarts on its own.
func InProcess(ctx context.Context, f *cmdutil.Factory, log *slog.Logger) (func(context.Context) error, error) {
	emb := f.EmbeddedStore()
	if emb == nil || emb.Remote() {
		return nil, nil
	}
	eng, err := f.Engine(ctx)
	if err != nil {
		return nil, err
	}
	rdb, err := f.Redis(ctx)
	if err != nil {
		return nil, err
	}
	cons, err := consumer.New(consumer.Config{
		Consumer:  InProcessConsumer,
		Start:     "0",
		Namespace: f.Flags.Namespace,
		Logger:    log.With("component", "consumer"),
		Now:       f.Now,
	}, eng, rdb)
	if err != nil {
		return nil, fmt.Errorf("in-process consumer: %w", err)
	}
	log.Info("consuming the embedded stream in-process", "stream", consumer.DefaultStream, "group", consumer.DefaultGroup, "consumer", InProcessConsumer)
	return cons.Run, nil
}
