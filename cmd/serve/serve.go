// Package serve is `statsctl serve`: the Game Portal's HTTP API, the v1 API
// and, on the embedded store, a whole local stats platform in one process.
package serve

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/embedded"
	"github.com/varcade/statsctl/internal/redisconn"
	"github.com/varcade/statsctl/internal/server"
	"github.com/varcade/statsctl/internal/store"
)

// TaskFactory builds a background task run alongside the HTTP server (the
// in-process stream consumer is one), or none (nil) when it has nothing to
// do on this store. It is called after the store is open, with the
// registry /metrics serves so the task's series appear there; the task it
// returns must stop when its context is cancelled. A task that fails stops
// the server, so a supervisor can restart the whole process.
type TaskFactory func(ctx context.Context, f *cmdutil.Factory, log *slog.Logger, metrics prometheus.Registerer) (*Task, error)

// Task is one background task: Run is the work, Healthy (optional) says
// whether it is working, and /healthz fails while it says no.
type Task struct {
	Run     func(context.Context) error
	Healthy func() error
}

// Options are one invocation: the parsed flags, the factory that opens the
// store, and the task factories. The fields stay unexported: only this
// package's tests read them, through NewCmd's runF.
type Options struct {
	f               *cmdutil.Factory
	tasks           []TaskFactory
	listen          string
	redisListen     string
	redisMaxConns   int
	redisPassword   string
	streamDB        int
	writeToken      string
	adminToken      string
	maxListIDs      int
	maxBody         int64
	maxWrites       int
	maxConns        int
	cacheTTL        time.Duration
	saveInterval    time.Duration
	shutdownTimeout time.Duration
	readyTimeout    time.Duration
	accessLog       bool
	cpuProfile      string
	logFormat       string
}

// NewCmd builds the command. The tasks the factories build run in the same
// process as the server and stop with it; root.go passes the stream
// consumer here. runF, when not nil, runs instead of the server with the
// parsed options (for tests); root.go passes nil.
func NewCmd(f *cmdutil.Factory, runF func(context.Context, *Options) error, tasks ...TaskFactory) *cobra.Command {
	o := &Options{f: f, tasks: tasks}
	c := &cobra.Command{
		Use:   "serve",
		Short: "Serve the Game Portal's API, the v1 JSON API and metrics over HTTP",
		Long: `Serve leaderboards and player stats over HTTP.

The Game Portal's routes answer exactly as the old Stats Tracker did:
  GET /leaderboards/top_ten/<product_id>
  GET /stats/<product_id>/<user_id>
The v1 API (/v1/..., described at /v1/openapi.json), /healthz, /readyz and
/metrics (Prometheus) are served on the same address.

With no Redis configured, serve runs on the embedded store and also serves
it as a Redis server on --redis-listen, so game servers can XADD events to
it: one command is a whole local stats platform. The embedded data is saved
every --save-interval and at shutdown.

POST /v1/events (JSON or JSONL events) is enabled only with --write-token
or STATSCTL_WRITE_TOKEN.`,
		Example: `  statsctl serve
  statsctl serve --listen :5000 --redis redis://stats-redis:6379/0
  STATSCTL_WRITE_TOKEN=s3cret statsctl serve --listen 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("write-token") {
				o.writeToken = f.Env(cmdutil.EnvWriteToken)
			}
			if !c.Flags().Changed("admin-token") {
				o.adminToken = f.Env(cmdutil.EnvAdminToken)
			}
			if !c.Flags().Changed("redis-password") {
				o.redisPassword = f.Env(cmdutil.EnvRedisPassword)
			}
			if !c.Flags().Changed("listen") {
				if v := f.Env(cmdutil.EnvListen); v != "" {
					o.listen = v
				}
			}
			if runF != nil {
				return runF(c.Context(), o)
			}
			return run(c.Context(), o)
		},
	}
	fl := c.Flags()
	fl.StringVar(&o.listen, "listen", "127.0.0.1:5000", "address of the HTTP API, e.g. :5000 for all interfaces (env "+cmdutil.EnvListen+")")
	fl.StringVar(&o.redisListen, "redis-listen", "127.0.0.1:6379", "with the embedded store: address where it serves Redis for game servers")
	fl.IntVar(&o.redisMaxConns, "redis-max-conns", embedded.DefaultMaxConns, "with the embedded store: most Redis clients served at once on --redis-listen (more are refused with Redis's \"max number of clients reached\")")
	fl.StringVar(&o.redisPassword, "redis-password", "", "with the embedded store: the password game servers AUTH with (env "+cmdutil.EnvRedisPassword+"); default: generated on first start, kept in DATA_DIR/"+embedded.PasswordFile)
	fl.IntVar(&o.streamDB, "stream-db", 0, "with the embedded store: the Redis database whose game_event_stream the in-process consumer reads (the platform's game servers write to 1); stats stay in 0")
	fl.StringVar(&o.writeToken, "write-token", "", "enable POST /v1/events for this bearer token (env "+cmdutil.EnvWriteToken+")")
	fl.StringVar(&o.adminToken, "admin-token", "", "enable the admin API (/v1/admin/...: remove, ban, reset, erase) for this bearer token, distinct from the write token (env "+cmdutil.EnvAdminToken+")")
	fl.IntVar(&o.maxListIDs, "max-list-ids", store.DefaultMaxListIDs, "most player ids one POST /v1/products/{p}/leaderboard/ranked may list")
	fl.Int64Var(&o.maxBody, "max-body", server.DefaultMaxBody, "largest accepted request body in bytes (413 above)")
	fl.IntVar(&o.maxWrites, "max-writes", server.DefaultMaxWrites, "POST /v1/events requests applied at once; more get 503 too_busy with Retry-After")
	fl.IntVar(&o.maxConns, "max-conns", server.DefaultMaxConns, "open HTTP connections at most; at the cap the longest-idle keep-alive one is closed, else new ones wait in the listen backlog")
	fl.DurationVar(&o.cacheTTL, "cache-ttl", server.DefaultCacheTTL, "how long a top ten may be served from memory; 0 disables; must be under 1s")
	fl.DurationVar(&o.saveInterval, "save-interval", 10*time.Second, "with the embedded store: how often to save a snapshot (also saved at shutdown)")
	fl.DurationVar(&o.shutdownTimeout, "shutdown-timeout", server.DefaultShutdownTimeout, "how long in-flight requests may finish after SIGTERM")
	fl.DurationVar(&o.readyTimeout, "ready-timeout", server.DefaultReadyTimeout, "how long /readyz waits for Redis")
	fl.StringVar(&o.cpuProfile, "cpu-profile", "", "write a Go CPU profile of the server's run to this file (for performance work)")
	_ = fl.MarkHidden("cpu-profile")
	fl.BoolVar(&o.accessLog, "access-log", true, "log one line per request to stderr (buffered, flushed every 100 ms)")
	cmdutil.LogFormatFlag(c, &o.logFormat)
	return c
}

func run(ctx context.Context, o *Options) error {
	f := o.f
	// Logs (the access log above all) go through a buffer flushed every
	// 100 ms and at exit; the start line and errors returned to Main are
	// written directly.
	logOut := newLogBuffer(f.IO.Err)
	defer logOut.Flush()
	log, err := cmdutil.NewLogger(logOut, o.logFormat, "")
	if err != nil {
		return err
	}
	if o.maxBody <= 0 {
		return cmdutil.UsageErrorf("--max-body must be positive (bytes)")
	}
	if o.maxWrites <= 0 {
		return cmdutil.UsageErrorf("--max-writes must be at least 1")
	}
	if o.maxConns <= 0 {
		return cmdutil.UsageErrorf("--max-conns must be at least 1")
	}
	ttl := o.cacheTTL
	switch {
	case ttl < 0 || ttl >= server.MaxCacheTTL:
		return cmdutil.UsageErrorf("--cache-ttl %s: use 0 (no cache) up to under %s", ttl, server.MaxCacheTTL)
	case ttl == 0:
		ttl = -1 // server.Config: negative disables
	}
	if o.writeToken != "" && len(o.writeToken) < 16 {
		return cmdutil.UsageErrorf("the write token is %d characters; use at least 16 (e.g. openssl rand -hex 16)", len(o.writeToken))
	}
	if o.adminToken != "" && len(o.adminToken) < 16 {
		return cmdutil.UsageErrorf("the admin token is %d characters; use at least 16 (e.g. openssl rand -hex 16)", len(o.adminToken))
	}
	if o.adminToken != "" && o.adminToken == o.writeToken {
		return cmdutil.UsageErrorf("the admin token equals the write token; give the admin API a token of its own (game servers hold the write token)")
	}
	if o.maxListIDs <= 0 {
		return cmdutil.UsageErrorf("--max-list-ids must be at least 1")
	}
	if o.redisPassword != "" && len(o.redisPassword) < 16 {
		return cmdutil.UsageErrorf("the embedded Redis password is %d characters; use at least 16 (e.g. openssl rand -hex 16), or give none to use the generated one", len(o.redisPassword))
	}
	if o.redisMaxConns <= 0 {
		return cmdutil.UsageErrorf("--redis-max-conns must be positive (clients)")
	}
	if o.streamDB < 0 || o.streamDB >= embedded.NumDatabases {
		return cmdutil.UsageErrorf("--stream-db %d: use a database number from 0 to %d", o.streamDB, embedded.NumDatabases-1)
	}
	if f.Embedded() {
		f.EmbeddedStreamDB = o.streamDB
		f.EmbeddedListen = o.redisListen
		f.EmbeddedMaxConns = o.redisMaxConns
		f.EmbeddedLogger = log
		f.EmbeddedPassword = o.redisPassword
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen for HTTP on %s: %w (pick another with --listen)", o.listen, err)
	}
	defer ln.Close()
	reg, err := f.Registry()
	if err != nil {
		return err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return err
	}
	eng, err := f.Engine(ctx)
	if err != nil {
		return err
	}
	var health healthChecks
	srv, err := server.New(server.Config{
		Store: st, Engine: eng, Registry: reg, Logger: log, Now: f.Now,
		WriteToken: o.writeToken, AdminToken: o.adminToken, MaxListIDs: o.maxListIDs, MaxBody: o.maxBody, MaxWrites: o.maxWrites, CacheTTL: ttl,
		ReadyTimeout: o.readyTimeout, AccessLog: o.accessLog,
		Health: health.check, Ready: readyHook(f),
	})
	if err != nil {
		return err
	}
	bg := []func(context.Context) error{logOut.flushEvery(100 * time.Millisecond)}
	api := "http://" + ln.Addr().String()
	var line string
	switch emb := f.EmbeddedStore(); {
	case emb != nil && !emb.Remote():
		health.add(emb.Healthy)
		line = fmt.Sprintf("statsctl serve: API on %s; embedded Redis on %s (game servers XADD game_event_stream there, connecting with %s, i.e. AUTH with the password in %s); data in %s, saved every %s and at shutdown",
			api, emb.Addr(), emb.GameURL(o.streamDB), filepath.Join(emb.Dir(), embedded.PasswordFile), emb.Dir(), o.saveInterval)
		watch, err := newUnconsumedWatch(emb, o.streamDB, log, srv.Metrics())
		if err != nil {
			return err
		}
		watch.check()
		if o.saveInterval > 0 {
			bg = append(bg, func(ctx context.Context) error { emb.SaveEveryThen(ctx, o.saveInterval, log, watch.check); return nil })
		}
	case emb != nil:
		line = fmt.Sprintf("statsctl serve: API on %s; using the embedded store another statsctl serves on %s (data in %s)", api, emb.Addr(), emb.Dir())
	default:
		line = fmt.Sprintf("statsctl serve: API on %s; stats Redis %s", api, redisconn.RedactURL(f.RedisURL()))
	}
	for _, newTask := range o.tasks {
		task, err := newTask(ctx, f, log, srv.Metrics())
		if err != nil {
			return err
		}
		if task != nil {
			bg = append(bg, task.Run)
			if task.Healthy != nil {
				health.add(task.Healthy)
			}
		}
	}
	if o.writeToken != "" {
		line += "; POST /v1/events enabled"
	}
	if o.adminToken != "" {
		line += "; admin API enabled"
	}
	fmt.Fprintln(f.IO.Err, line)
	stopProfile, err := cmdutil.StartCPUProfile(o.cpuProfile)
	if err != nil {
		return err
	}
	// Under load the default GOGC collected many times a second and cost
	// about a tenth of the rate (docs/serve.md); the soft limit sits well
	// inside the Kubernetes manifest's 128Mi.
	cmdutil.TuneGC(f, 64<<20)
	err = srv.Run(ctx, server.RunOptions{Listener: ln, Background: bg, ShutdownTimeout: o.shutdownTimeout, MaxConns: o.maxConns})
	stopProfile()
	if err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}
