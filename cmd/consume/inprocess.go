package consume

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varcade/statsctl/cmd/serve"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/redisconn"
)

// InProcessConsumer names the consumer `statsctl serve` runs on its own
// embedded store. The name is stable across restarts, so a restarted serve
// re-reads its own pending entries at once instead of waiting --claim-after.
const InProcessConsumer = "serve-embedded"

// unhealthyAfter is how long the in-process consumer may be away from the
// store (starting up, or retrying an outage) before /healthz fails on it.
const unhealthyAfter = 5 * time.Second

// InProcess is the stream consumer `statsctl serve` runs beside its API when
// it owns the embedded store, so that one command is a whole stats tracker:
// game servers XADD to the embedded Redis and the boards follow. On a real
// Redis (or an embedded store another process owns) it returns no task: run
// `statsctl consume` there, so the daemon scales and restarts on its own.
// Its statsctl_consumer_* series go on serve's /metrics, and serve's
// /healthz fails while it cannot reach the store.
func InProcess(ctx context.Context, f *cmdutil.Factory, log *slog.Logger, metrics prometheus.Registerer) (*serve.Task, error) {
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
	stream, closeStream := rdb, func() {}
	if db := f.EmbeddedStreamDB; db != 0 {
		// The stream lives in another database (serve --stream-db); the
		// stats the engine writes stay in database 0.
		c, err := f.Connect(ctx, emb.URLDB(db), redisconn.Options{Name: "embedded stream", Flag: "--stream-db", NoSeed: true})
		if err != nil {
			return nil, fmt.Errorf("in-process consumer: embedded database %d: %w", db, err)
		}
		stream, closeStream = c, func() { _ = c.Close() }
	}
	cfg := consumer.Config{
		Consumer:  InProcessConsumer,
		Start:     "0",
		Namespace: f.Flags.Namespace,
		Logger:    log.With("component", "consumer"),
		Now:       f.Now,
	}
	if metrics != nil {
		cfg.Metrics = consumer.NewMetrics(metrics, eng.Registry().Known())
	}
	cons, err := consumer.New(cfg, eng, stream)
	if err != nil {
		closeStream()
		return nil, fmt.Errorf("in-process consumer: %w", err)
	}
	log.Info("consuming the embedded stream in-process", "stream", consumer.DefaultStream, "db", f.EmbeddedStreamDB, "group", consumer.DefaultGroup, "consumer", InProcessConsumer)
	run := func(ctx context.Context) error {
		defer closeStream()
		return cons.Run(ctx)
	}
	return &serve.Task{Run: run, Healthy: sustained(cons.Healthy, unhealthyAfter, time.Now)}, nil
}

// sustained turns the consumer's momentary "connected" into a health
// check that fails only once it has been false for longer than grace, so
// start-up and a retried blip do not make a supervisor restart serve.
func sustained(ok func() bool, grace time.Duration, now func() time.Time) func() error {
	var since atomic.Int64 // unix nanos of the first false; 0: ok
	return func() error {
		if ok() {
			since.Store(0)
			return nil
		}
		t := now().UnixNano()
		since.CompareAndSwap(0, t)
		if d := time.Duration(t - since.Load()); d > grace {
			return errors.New("in-process consumer: not connected to the embedded store for " + d.Round(time.Second).String() + "; see the log for its last error")
		}
		return nil
	}
}
