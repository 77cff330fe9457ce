// Package cmdutil is what every statsctl command shares: the I/O streams,
// the global flags, and a factory that opens the store lazily, so commands
// are testable with buffers and any Redis (or the embedded default).
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/embedded"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// IOStreams are the process's standard streams, replaceable in tests.
type IOStreams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Globals are the flags every command takes.
type Globals struct {
	RedisURL  string
	Namespace string
	Output    string
	NoColor   bool
	DataDir   string
	Config    string // games configuration file; "" = STATSCTL_CONFIG, then built-in games
}

// Factory hands commands their dependencies. Nothing is opened until a
// command asks, so `statsctl --help` never touches Redis or the data dir.
type Factory struct {
	IO     IOStreams
	Getenv func(string) (string, bool)
	Now    func() time.Time
	Flags  Globals

	// NewRegistry builds the handler registry; replaceable so configuration
	// (or a test) can supply its own games.
	NewRegistry func() (*handler.Registry, error)

	// EmbeddedListen, when set before the store is first opened, makes the
	// embedded store serve Redis on this address (and advertise it in the
	// data dir), so game servers can XADD to it: `statsctl serve` sets it.
	// Empty keeps the private random port every other command uses.
	EmbeddedListen string

	mu       sync.Mutex
	rdb      redis.UniversalClient
	emb      *embedded.Store
	st       *store.Store
	eng      *engine.Engine
	registry *handler.Registry
}

// New makes a factory over the given streams and environment.
func New(io IOStreams, getenv func(string) (string, bool)) *Factory {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	f := &Factory{
		IO: io, Getenv: getenv, Now: time.Now,
	}
	f.NewRegistry = f.configRegistry
	return f
}

// ConfigPath is the games configuration in force: --config, then
// STATSCTL_CONFIG; "" means the built-in games.
func (f *Factory) ConfigPath() string {
	if f.Flags.Config != "" {
		return f.Flags.Config
	}
	return f.Env("STATSCTL_CONFIG")
}

// configRegistry builds the registry from the config file, or the built-in
// games when none is given. A bad file is an error naming line and reason.
func (f *Factory) configRegistry() (*handler.Registry, error) {
	path := f.ConfigPath()
	if path == "" {
		return handler.Builtin(), nil
	}
	reg, err := config.LoadRegistry(path)
	if err != nil {
		return nil, fmt.Errorf("games config (fix it, or check it with 'statsctl config check %s'):\n%w", path, err)
	}
	return reg, nil
}

// Env returns an environment variable ("" when unset).
func (f *Factory) Env(name string) string {
	v, _ := f.Getenv(name)
	return v
}

// RedisURL is the stats Redis to use: the flag, then STATSCTL_REDIS_URL,
// then the old service's STATS_TRACKER_REDIS_URL. Empty means embedded.
func (f *Factory) RedisURL() string {
	for _, v := range []string{f.Flags.RedisURL, f.Env("STATSCTL_REDIS_URL"), f.Env("STATS_TRACKER_REDIS_URL")} {
		if v != "" {
			return v
		}
	}
	return ""
}

// DataDir is where the embedded store keeps its data: the flag, then
// STATSCTL_DATA_DIR, then the XDG data home.
func (f *Factory) DataDir() (string, error) {
	if f.Flags.DataDir != "" {
		return f.Flags.DataDir, nil
	}
	if v := f.Env("STATSCTL_DATA_DIR"); v != "" {
		return v, nil
	}
	return embedded.DefaultDir()
}

// Embedded reports whether commands run on the embedded store.
func (f *Factory) Embedded() bool { return f.RedisURL() == "" }

// Registry returns the handler registry, built once.
func (f *Factory) Registry() (*handler.Registry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.registry == nil {
		r, err := f.NewRegistry()
		if err != nil {
			return nil, err
		}
		f.registry = r
	}
	return f.registry, nil
}

// Redis returns the stats Redis client, connecting (or starting the
// embedded store) on first use.
func (f *Factory) Redis(ctx context.Context) (redis.UniversalClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rdb != nil {
		return f.rdb, nil
	}
	url := f.RedisURL()
	if url == "" {
		dir, err := f.DataDir()
		if err != nil {
			return nil, fmt.Errorf("embedded store: %w (set --data-dir or --redis)", err)
		}
		emb, err := embedded.Open(embedded.Options{Dir: dir, Listen: f.EmbeddedListen, Notify: f.IO.Err, Now: f.Now})
		if err != nil {
			return nil, err
		}
		f.emb = emb
		url = "redis://" + emb.Addr()
	}
	rdb, err := OpenRedis(url)
	if err != nil {
		return nil, err
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("connect to redis at %s: %w (is the server running? check --redis)", RedactURL(url), err)
	}
	if f.emb == nil {
		if rdb, err = SeedIfCluster(ctx, rdb, url); err != nil {
			return nil, err
		}
	}
	f.rdb = rdb
	return rdb, nil
}

// SeedIfCluster takes a client that has answered a PING. If it is a plain
// client to one node of a cluster (redis://host:port naming a node), which
// would fail with MOVED on most keys, it is closed and replaced by a
// cluster client using that node as the seed; otherwise rdb is returned.
// Both the stats Redis and the stream's (--stream-redis) go through it.
func SeedIfCluster(ctx context.Context, rdb redis.UniversalClient, url string) (redis.UniversalClient, error) {
	if _, plain := rdb.(*redis.Client); !plain || !IsClusterNode(ctx, rdb) {
		return rdb, nil
	}
	_ = rdb.Close()
	cc, err := OpenClusterSeed(url)
	if err != nil {
		return nil, err
	}
	if err := cc.Ping(ctx).Err(); err != nil {
		_ = cc.Close()
		return nil, fmt.Errorf("connect to redis cluster at %s: %w", RedactURL(url), err)
	}
	return cc, nil
}

// IsClusterNode reports whether a server runs in cluster mode (INFO cluster
// says cluster_enabled:1), so a URL naming one node still reaches the whole
// cluster. Servers that do not answer INFO cluster (miniredis) are not.
func IsClusterNode(ctx context.Context, rdb redis.UniversalClient) bool {
	info, err := rdb.Info(ctx, "cluster").Result()
	return err == nil && strings.Contains(info, "cluster_enabled:1")
}

// Store returns the store over the stats Redis.
func (f *Factory) Store(ctx context.Context) (*store.Store, error) {
	rdb, err := f.Redis(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st == nil {
		f.st = store.New(rdb, store.Options{Namespace: f.Flags.Namespace})
	}
	return f.st, nil
}

// Engine returns the apply path over the store and registry.
func (f *Factory) Engine(ctx context.Context) (*engine.Engine, error) {
	reg, err := f.Registry()
	if err != nil {
		return nil, err
	}
	st, err := f.Store(ctx)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.eng == nil {
		f.eng = engine.New(reg, st)
	}
	return f.eng, nil
}

// EmbeddedStore is the embedded store if one was opened (nil otherwise),
// for commands that save it periodically or report where it lives.
func (f *Factory) EmbeddedStore() *embedded.Store {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.emb
}

// Close releases what the factory opened; the embedded store saves here.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var errs []error
	if f.rdb != nil {
		errs = append(errs, f.rdb.Close())
		f.rdb = nil
	}
	if f.emb != nil {
		errs = append(errs, f.emb.Close())
		f.emb = nil
	}
	return errors.Join(errs...)
}

// Format parses -o; a bad value is a usage error.
func (f *Factory) Format() (render.Format, error) {
	fm, err := render.ParseFormat(f.Flags.Output)
	if err != nil {
		return "", UsageErrorf("%v", err)
	}
	return fm, nil
}

// RenderOptions is how to render to stdout: format from -o, color only for
// a terminal without NO_COLOR or --no-color.
func (f *Factory) RenderOptions() (render.Options, error) {
	fm, err := f.Format()
	if err != nil {
		return render.Options{}, err
	}
	return render.Options{Format: fm, Color: render.ColorEnabled(f.IO.Out, f.Flags.NoColor, f.Getenv)}, nil
}

// IsPeople reports whether stdout is read by a person (a table on a
// terminal), so notes like "no scores yet" go there rather than break JSON.
func (f *Factory) IsPeople() bool {
	fm, _ := render.ParseFormat(f.Flags.Output)
	return fm == render.FormatTable
}

// OpenRedis connects to a redis:// or rediss:// URL. A URL listing several
// hosts (redis://h1:7000,h2:7001) or addr= parameters is a Redis Cluster.
func OpenRedis(url string) (redis.UniversalClient, error) {
	if !strings.HasPrefix(url, "redis://") && !strings.HasPrefix(url, "rediss://") && !strings.HasPrefix(url, "unix://") {
		return nil, UsageErrorf("redis URL %q must start with redis://, rediss:// or unix:// (e.g. redis://localhost:6379/0)", RedactURL(url))
	}
	if host := hostPart(url); strings.Contains(host, ",") || strings.Contains(url, "addr=") {
		u := url
		if strings.Contains(host, ",") {
			hosts := strings.Split(host, ",")
			u = strings.Replace(url, host, hosts[0], 1)
			sep := "?"
			if strings.Contains(u, "?") {
				sep = "&"
			}
			for _, h := range hosts[1:] {
				u += sep + "addr=" + h
				sep = "&"
			}
		}
		return OpenClusterSeed(u)
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, UsageErrorf("redis URL %q: %v", RedactURL(url), err)
	}
	return redis.NewClient(opts), nil
}

// OpenClusterSeed opens a Redis Cluster client from a URL whose host (and
// any addr= parameters) are seed nodes; the client learns the rest of the
// cluster from them. A cluster has only database 0, so a URL asking for
// another one is refused rather than silently written to database 0.
func OpenClusterSeed(url string) (*redis.ClusterClient, error) {
	if db := dbPart(url); db != "" && db != "0" {
		return nil, UsageErrorf("redis cluster URL %q selects database %s: a Redis Cluster has only database 0 (drop /%s)", RedactURL(url), db, db)
	}
	opts, err := redis.ParseClusterURL(url)
	if err != nil {
		return nil, UsageErrorf("redis cluster URL %q: %v", RedactURL(url), err)
	}
	return redis.NewClusterClient(opts), nil
}

// dbPart is the path of a redis URL without its slash ("" when none).
func dbPart(url string) string {
	rest := url[strings.Index(url, "://")+3:]
	if i := strings.Index(rest, "?"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.Index(rest, "/"); i >= 0 {
		return strings.Trim(rest[i:], "/")
	}
	return ""
}

func hostPart(url string) string {
	rest := url[strings.Index(url, "://")+3:]
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	return rest
}

// RedactURL hides a password in a URL before it reaches a log or an error.
func RedactURL(url string) string {
	i := strings.Index(url, "://")
	if i < 0 {
		return url
	}
	rest := url[i+3:]
	at := strings.LastIndex(rest, "@")
	slash := strings.IndexAny(rest, "/?")
	if at < 0 || (slash >= 0 && at > slash) {
		return url
	}
	cred := rest[:at]
	if u, _, ok := strings.Cut(cred, ":"); ok {
		return url[:i+3] + u + ":xxxxx" + rest[at:]
	}
	return url
}
