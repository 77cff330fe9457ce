// Package consume is `statsctl consume`: the stream daemon that replaces the
// old Stats Tracker worker. The daemon itself lives in internal/consumer;
// this package turns flags and environment into its configuration and adds
// the metrics listener, logging and the live status line.
package consume

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/retry"
	"github.com/varcade/statsctl/internal/streamid"
)

// Options are one invocation: the parsed flags, and the factory that opens
// the stats store and the stream. The fields stay unexported: only this
// package's tests read them, through NewCmd's runF.
type Options struct {
	f           *cmdutil.Factory
	cfg         consumer.Config
	streamRedis string
	metricsAddr string
	logFormat   string
	logLevel    string
	saveEvery   time.Duration
	cpuProfile  string
	closing     closeFlags
}

// NewCmd builds the command. runF, when not nil, runs instead of the
// daemon with the parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	o := &Options{f: f}
	c := &cobra.Command{
		Use:   "consume",
		Short: "Run the stream daemon: apply the game event stream through a consumer group",
		Long: `Read the game event stream through a Redis consumer group and apply every
event to leaderboards and player stats, as the Stats Tracker worker did.

Safe to kill at any instant and to run several times at once: an entry is
acknowledged only after its changes and its dead letter are written, and a
redelivered entry changes nothing (every entry id is applied at most once).
Entries a dead consumer left pending are taken over after --claim-after.

Invalid events are logged once, counted and copied with their reason to the
dead-letter stream, then acknowledged. The shared stream is never trimmed.

Metrics (Prometheus) and /healthz are served on --metrics-addr.`,
		Example: `  statsctl consume --redis redis://localhost:6379/0
  statsctl consume --redis redis://stats:6379 --stream-redis redis://events:6379 --log-format json
  statsctl consume --redis redis://localhost:6379 --drain          # replay/backfill, exit when caught up
  statsctl consume --start legacy                                   # take over from the old worker's cursor`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.cfg.Count <= 0 || o.cfg.Count > 100000 {
				return cmdutil.UsageErrorf("--count %d: want 1 to 100000", o.cfg.Count)
			}
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.cfg.Stream, "stream", consumer.DefaultStream, "stream key to read")
	fl.StringVar(&o.cfg.Group, "group", consumer.DefaultGroup, "consumer group; consumers in one group share the work")
	fl.StringVar(&o.cfg.Consumer, "consumer", "", "this consumer's name in the group (default: host name and pid)")
	fl.StringVar(&o.cfg.DeadLetter, "dead-letter", "", "stream that receives invalid events with their reason (default: <stream>:dead)")
	cmdutil.StringEnumFlag(c, &o.cfg.Start, "start", "", "0", cmdutil.Enum{
		Choices: []string{"0", "$", consumer.StartLegacy}, Other: streamid.Valid, OtherName: "an entry id such as 1700000000000-0",
	}, "where a NEW group starts (0 the whole history, $ new events only, legacy the old worker's cursor)")
	fl.IntVar(&o.cfg.Count, "count", consumer.DefaultCount, "entries per read")
	fl.DurationVar(&o.cfg.Block, "block", 0, "how long one read waits for new entries (default 1s; with --drain 100ms, and a read right after entries came does not wait)")
	fl.DurationVar(&o.cfg.ClaimAfter, "claim-after", consumer.DefaultClaimAfter, "take over entries another consumer left pending this long")
	fl.BoolVar(&o.cfg.Drain, "drain", false, "exit 0 once the group has caught up (nothing pending, nothing undelivered)")
	fl.StringVar(&o.streamRedis, "stream-redis", "", "Redis URL of the stream (env "+cmdutil.EnvStreamRedisURL+"; default: the stats Redis)")
	fl.DurationVar(&o.cfg.ConnectTimeout, "connect-timeout", 0, "fail if Redis does not answer within this long after start (default: keep retrying)")
	fl.DurationVar(&o.cfg.Grace, "grace", consumer.DefaultGrace, "on SIGINT/SIGTERM, how long the batch in hand may take to finish")
	fl.StringVar(&o.metricsAddr, "metrics-addr", ":5002", `listen address of /metrics and /healthz ("" or off: none)`)
	cmdutil.LogFormatFlag(c, &o.logFormat)
	cmdutil.LogLevelFlag(c, &o.logLevel)
	fl.DurationVar(&o.saveEvery, "save-every", 30*time.Second, "embedded store only: how often to snapshot it to the data dir")
	o.closing.register(fl)
	fl.StringVar(&o.cpuProfile, "cpu-profile", "", "write a Go CPU profile to this file (for performance work)")
	_ = fl.MarkHidden("cpu-profile")
	return c
}

func run(ctx context.Context, o *Options) error {
	f := o.f
	log, err := cmdutil.NewLogger(f.IO.Err, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	o.cfg.Logger = log
	// go-redis logs connection-pool failures through a process-wide logger
	// of its own; route them into ours (at debug: our retry lines already
	// say what happened) so --log-format json stays one JSON object a line.
	redis.SetLogger(redisLogger{log})
	o.cfg.Namespace = f.Flags.Namespace
	o.cfg.Now = f.Now

	eng, err := connectStats(ctx, f, log, o.cfg.ConnectTimeout)
	if err != nil {
		return err
	}
	if eng == nil { // stopped while waiting
		return nil
	}
	// The old worker kept its cursor beside the stats data: --start legacy
	// looks for it there first. Connected above, so this is the same client.
	if o.cfg.LegacyRedis, err = f.Redis(ctx); err != nil {
		return err
	}
	stream, closeStream, err := streamClient(ctx, f, o.streamRedis, log, o.cfg.ConnectTimeout)
	if err != nil {
		return err
	}
	if stream == nil { // stopped while waiting
		return nil
	}
	defer closeStream()

	var reg *prometheus.Registry
	addr := strings.TrimSpace(o.metricsAddr)
	if addr != "" && addr != "off" {
		reg = prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		o.cfg.Metrics = consumer.NewMetrics(reg, eng.Registry().Known())
	}
	cons, err := consumer.New(o.cfg, eng, stream)
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if reg != nil {
		stop, err := serveMetrics(addr, reg, cons.Healthy, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	var wg sync.WaitGroup
	bg, stopBG := context.WithCancel(ctx)
	defer stopBG()
	if emb := f.EmbeddedStore(); emb != nil && o.saveEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emb.SaveEvery(bg, o.saveEvery, log)
		}()
	}
	if render.IsTerminal(f.IO.Err) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			liveStatus(bg, f.IO.Err, cons, f.Now)
		}()
	}
	stopProfile, err := cmdutil.StartCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	defer stopProfile()
	// The live heap is a few MB: a 40 MiB soft limit keeps the resident
	// size well under 50 MB.
	cmdutil.TuneGC(f, 40<<20)
	closeDone := o.closing.start(bg, f, eng, cons, stream, log, &wg)
	err = cons.Run(ctx)
	stopBG()
	wg.Wait()
	if err == nil {
		err = closeDone(ctx)
	}
	return err
}

// connectStats opens the stats store, retrying with backoff while Redis is
// unreachable (up to timeout when > 0). It returns nil, nil if ctx ends.
func connectStats(ctx context.Context, f *cmdutil.Factory, log *slog.Logger, timeout time.Duration) (*engine.Engine, error) {
	var eng *engine.Engine
	err := connectRetry(ctx, log, timeout, "stats redis", func() error {
		var err error
		eng, err = f.Engine(ctx)
		if err != nil && f.Embedded() {
			return retry.Permanent(err)
		}
		return err
	})
	return eng, err
}

// connectRetry runs connect until it succeeds, retrying with capped
// exponential backoff (retry.Do) and a log line per failure, for at most
// timeout when timeout > 0. Usage errors and retry.Permanent errors end it
// at once; a cancelled ctx ends it with nil (the caller sees it was
// stopped).
func connectRetry(ctx context.Context, log *slog.Logger, timeout time.Duration, what string, connect func() error) error {
	start := time.Now()
	err := retry.Do(ctx, retry.Policy{
		Min: consumer.DefaultMinBackoff,
		Max: consumer.DefaultMaxBackoff,
		OnRetry: func(attempt int, wait time.Duration, err error) error {
			if timeout > 0 && time.Since(start) >= timeout {
				log.Error(what+" unavailable; giving up", "attempt", attempt, "connect_timeout", timeout.String(), "err", err.Error())
				return fmt.Errorf("%s did not answer within --connect-timeout %s: %w", what, timeout, err)
			}
			log.Warn(what+" unavailable; retrying", "attempt", attempt, "retry_in", wait.String(), "err", err.Error())
			return nil
		},
		OnRecover: func(attempts int) { log.Info(what+" answered; starting", "attempts", attempts) },
	}, func(context.Context) error {
		err := connect()
		if cmdutil.IsUsage(err) {
			return retry.Permanent(err)
		}
		return err
	})
	if errors.Is(err, retry.ErrStopped) {
		return nil
	}
	return err
}

// streamClient is the stream's Redis (see cmdutil.Factory.StreamRedis),
// waited for as connectStats waits for the stats Redis. It returns a nil
// client if ctx ends meanwhile.
func streamClient(ctx context.Context, f *cmdutil.Factory, flag string, log *slog.Logger, timeout time.Duration) (redis.UniversalClient, func(), error) {
	return f.StreamRedis(ctx, flag, func(ping func() error) error {
		return connectRetry(ctx, log, timeout, "stream redis", ping)
	})
}

func serveMetrics(addr string, g prometheus.Gatherer, healthy func() bool, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics listener on %s: %w (pick another with --metrics-addr, or --metrics-addr off)", addr, err)
	}
	srv := &http.Server{Handler: consumer.HTTPHandler(g, healthy), ReadHeaderTimeout: 5 * time.Second}
	log.Info("metrics listening", "addr", ln.Addr().String(), "paths", "/metrics /healthz")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err.Error())
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// liveStatus redraws one status line on a terminal's stderr every second.
func liveStatus(ctx context.Context, w io.Writer, c *consumer.Consumer, now func() time.Time) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last, lastAt := c.Status().Events, now()
	for {
		select {
		case <-ctx.Done():
			fmt.Fprint(w, "\r\033[K")
			return
		case <-t.C:
			s := c.Status()
			at := now()
			rate := float64(s.Events-last) / at.Sub(lastAt).Seconds()
			last, lastAt = s.Events, at
			fmt.Fprintf(w, "\r\033[K%s\r", StatusLine(s, rate))
		}
	}
}

// StatusLine renders the live status: totals, rate, lag and pending.
func StatusLine(s consumer.Status, rate float64) string {
	lag := "?"
	if s.Lag >= 0 {
		lag = fmt.Sprint(s.Lag)
	}
	return fmt.Sprintf("consume: %d events (%d applied, %d invalid)  %.0f/s  lag %s  pending %d",
		s.Events, s.Applied, s.Invalid, rate, lag, s.Pending)
}

// redisLogger adapts go-redis's internal logging to slog.
type redisLogger struct{ log *slog.Logger }

// Printf logs one go-redis message at debug level.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
