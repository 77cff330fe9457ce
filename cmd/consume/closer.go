package consume

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
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
func (c *closeFlags) start(ctx context.Context, f *cmdutil.Factory, eng *engine.Engine, cons *consumer.Consumer, stream redis.UniversalClient, log *slog.Logger, wg *sync.WaitGroup) func(context.Context) error {
	if c.every <= 0 {
		return func(context.Context) error { return nil }
	}
	st, err := f.Store(ctx)
	if err != nil {
		return func(context.Context) error { return err }
	}
	cfg := cons.Config()
	cl := &standings.Closer{Store: st, Registry: eng.Registry(), Stream: c.stream, Now: f.Now, Log: log,
		Watermark: func(ctx context.Context) (time.Time, error) {
			return watermark(ctx, stream, cfg.Stream, cfg.Group, f.Now)
		}}
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
		last.Watermark = nil
		_, err := last.Pass(ctx)
		return err
	}
}

// watermark is the event time before which the group has applied every
// entry: the oldest pending entry's id time, else the last delivered
// entry's if newer entries wait, else now (caught up). Entries are
// delivered in id order, so nothing older than that is unapplied.
func watermark(ctx context.Context, rdb redis.UniversalClient, stream, group string, now func() time.Time) (time.Time, error) {
	p, err := rdb.XPending(ctx, stream, group).Result()
	if err != nil {
		return time.Time{}, err
	}
	if p.Count > 0 {
		return idTime(p.Lower), nil
	}
	gs, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return time.Time{}, err
	}
	last := ""
	for _, g := range gs {
		if g.Name == group {
			last = g.LastDeliveredID
		}
	}
	top, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil {
		return time.Time{}, err
	}
	if len(top) == 0 || top[0].ID == last {
		return now(), nil
	}
	return idTime(last), nil
}

func idTime(id string) time.Time {
	ms, _, _ := strings.Cut(id, "-")
	n, _ := strconv.ParseInt(ms, 10, 64)
	return time.UnixMilli(n)
}
