package consume

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/standings"
	"github.com/varcade/statsctl/internal/store"
)

// closeFlags configure consume's background job that closes ended periods
// of periodic boards and publishes their standings (internal/standings).
type closeFlags struct {
	stream string
	every  time.Duration
}

func (c *closeFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&c.stream, "standings-stream", store.DefaultStandingsStream, "stream on the stats Redis that gets a period_closed entry with the final standings of each ended period")
	fl.DurationVar(&c.every, "close-every", 10*time.Second, "how often to look for ended periods to close; 0 turns closing off")
}

// start runs the close job beside the consumer: while the group lags, a
// period closes only once later events passed it, so a replay closes
// periods as it passes them. The returned func runs a last pass after a
// --drain (everything is applied then).
func (c *closeFlags) start(ctx context.Context, f *cmdutil.Factory, eng *engine.Engine, cons *consumer.Consumer, log *slog.Logger, wg *sync.WaitGroup) func(context.Context) error {
	if c.every <= 0 {
		return func(context.Context) error { return nil }
	}
	st, err := f.Store(ctx)
	if err != nil {
		return func(context.Context) error { return err }
	}
	cl := &standings.Closer{Store: st, Registry: eng.Registry(), Stream: c.stream, Now: f.Now, Log: log,
		CaughtUp: func() bool { s := cons.Status(); return s.Lag == 0 && s.Pending == 0 }}
	wg.Add(1)
	go func() {
		defer wg.Done()
		cl.Run(ctx, c.every)
	}()
	return func(ctx context.Context) error {
		if !cons.Config().Drain {
			return nil
		}
		last := *cl
		last.CaughtUp = nil
		_, err := last.Pass(ctx)
		return err
	}
}
