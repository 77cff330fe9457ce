package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/embedded"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/redisconn"
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
	// EmbeddedMaxConns and EmbeddedLogger, set with EmbeddedListen, cap
	// the Redis clients the embedded store serves and let it log accept
	// errors; zero values keep its defaults.
	EmbeddedMaxConns int
	EmbeddedLogger   *slog.Logger
	// EmbeddedPassword, set with EmbeddedListen, is the game servers'
	// Redis password; empty keeps (or generates) the one in the data dir.
	EmbeddedPassword string
	// EmbeddedStreamDB is the database of the embedded store whose stream
	// serve's in-process consumer reads (serve's --stream-db; game
	// servers of the platform write to 1). The stats data stays in 0.
	EmbeddedStreamDB int

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
	return f.Env(EnvConfig)
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
	for _, v := range []string{f.Flags.RedisURL, f.Env(EnvRedisURL), f.Env(EnvLegacyRedisURL)} {
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
	if v := f.Env(EnvDataDir); v != "" {
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
		emb, err := embedded.Open(embedded.Options{Dir: dir, Listen: f.EmbeddedListen, Notify: f.IO.Err, Now: f.Now,
			MaxConns: f.EmbeddedMaxConns, Logger: f.EmbeddedLogger, Password: f.EmbeddedPassword})
		if err != nil {
			return nil, err
		}
		f.emb = emb
		url = emb.URL()
	}
	rdb, err := f.connect(ctx, url, redisconn.Options{Name: "redis", Flag: "--redis", NoSeed: f.emb != nil})
	if err != nil {
		return nil, err
	}
	f.rdb = rdb
	return rdb, nil
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

// WantsTable reports whether -o asks for a table, the format for people:
// notes like "no scores yet" are written (to stderr) only then, since a
// program reading JSON or CSV wants an empty result, not a sentence.
func (f *Factory) WantsTable() bool {
	fm, _ := render.ParseFormat(f.Flags.Output)
	return fm == render.FormatTable
}
