// Package server is `statsctl serve`'s HTTP side: the Game Portal's two
// routes (byte-compatible in shape with the old Flask service), a versioned
// JSON API, operations endpoints, the optional write route, and the server
// lifecycle. It is an http.Handler over a store, so tests drive it with
// httptest against a real redis-server.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Defaults for Config fields left zero; each is a flag of `statsctl serve`.
const (
	DefaultMaxBody         = 1 << 20
	DefaultReadyTimeout    = time.Second
	DefaultRequestTimeout  = 5 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
	DefaultCacheTTL        = 250 * time.Millisecond
	// MaxCacheTTL is the staleness promise: a cached top ten is never older
	// than this.
	MaxCacheTTL = time.Second
)

// Config is what a Server needs. Store and Registry are required; Engine is
// required only when WriteToken is set.
type Config struct {
	Store    *store.Store
	Engine   *engine.Engine
	Registry *handler.Registry
	Logger   *slog.Logger // nil: discard
	// Metrics is the registry the server's collectors register on; nil
	// makes a private one. Never the prometheus default registry.
	Metrics *prometheus.Registry
	Now     func() time.Time // nil: time.Now

	// WriteToken enables POST /v1/events for requests carrying
	// "Authorization: Bearer <WriteToken>". Empty: the route answers 404.
	WriteToken string
	// AdminToken enables the admin API (/v1/admin/...) for requests
	// carrying "Authorization: Bearer <AdminToken>"; it must differ from
	// WriteToken. Empty: those routes answer 404.
	AdminToken string
	// MaxListIDs bounds the ids of one ranked-list request; 0 means
	// store.DefaultMaxListIDs.
	MaxListIDs int
	// MaxBody bounds a request body (bytes); 0 means DefaultMaxBody.
	MaxBody int64
	// MaxWrites bounds the POST /v1/events requests applied at once; more
	// get 503 too_busy with Retry-After. 0 means DefaultMaxWrites.
	MaxWrites int
	// CacheTTL is how long a top ten may be served from memory; 0 means
	// DefaultCacheTTL, negative disables the cache. Must be < MaxCacheTTL.
	CacheTTL time.Duration
	// ReadyTimeout bounds /readyz's Redis ping; 0 means DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// RequestTimeout bounds the Redis work of one request; 0 means
	// DefaultRequestTimeout.
	RequestTimeout time.Duration
	// AccessLog logs one line per request at Info level.
	AccessLog bool
	// Health, if set, is asked by /healthz: an error answers 503 with its
	// text, so a supervisor restarts a process whose embedded store or
	// in-process consumer has stopped working. nil: always healthy.
	Health func() error
	// Ready, when set, is asked by /readyz after Redis answered: a non-nil
	// error (e.g. the embedded store cannot write its snapshots) makes the
	// server not ready, with the error as the reason. It must return within
	// the context's deadline (ReadyTimeout).
	Ready func(context.Context) error
}

// Server is the HTTP handler. It is safe for concurrent use and holds no
// data beyond a sub-second cache of what Redis holds.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	mux     *http.ServeMux
	metrics *metrics
	top     *topCache
	labels  *productLabels
	writes  writeSlots
	probe   readyProbe
	muxOnly bool // tests: route every request through the mux
}

// New builds the handler.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil || cfg.Registry == nil {
		return nil, errors.New("server: Store and Registry are required")
	}
	if cfg.WriteToken != "" && cfg.Engine == nil {
		return nil, errors.New("server: a write token needs an Engine to apply events")
	}
	if cfg.AdminToken != "" && cfg.AdminToken == cfg.WriteToken {
		return nil, errSameTokens
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.MaxWrites <= 0 {
		cfg.MaxWrites = DefaultMaxWrites
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.CacheTTL >= MaxCacheTTL {
		return nil, fmt.Errorf("server: cache TTL %s must be under %s so the portal never sees older results", cfg.CacheTTL, MaxCacheTTL)
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	m, err := newMetrics(cfg.Metrics)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: cfg.Now, mux: http.NewServeMux(), metrics: m,
		labels: newProductLabels(cfg.Registry), writes: newWriteSlots(cfg.MaxWrites)}
	s.top = newTopCache(cfg.CacheTTL, cfg.RequestTimeout, cfg.Now, s.loadTopTen)
	hit, miss, shared := m.cache.WithLabelValues("hit"), m.cache.WithLabelValues("miss"), m.cache.WithLabelValues("shared")
	s.top.onHit = hit.Inc
	s.top.onMiss = func(sh bool) {
		if sh {
			shared.Inc()
		} else {
			miss.Inc()
		}
	}
	s.routes()
	return s, nil
}

// Metrics is the registry /metrics serves, so a caller can add its own
// collectors (the consumer's counters) to the same endpoint.
func (s *Server) Metrics() *prometheus.Registry { return s.cfg.Metrics }

func (s *Server) routes() {
	// The hot path bounds its own Redis read (topCache), so it skips the
	// per-request deadline and its timer.
	s.handleFast(topTenPattern, http.MethodGet, s.portalTopTen)
	s.handle("/stats/{product}/{user}", http.MethodGet, s.portalStats)

	s.handle("/v1/openapi.json", http.MethodGet, s.openAPI)
	s.handle("/v1/products", http.MethodGet, s.v1Products)
	s.handle("/v1/products/{product}/leaderboard", http.MethodGet, s.v1Leaderboard)
	s.handle("/v1/products/{product}/leaderboard/around/{user}", http.MethodGet, s.v1Around)
	s.handle("/v1/products/{product}/players/{user}", http.MethodGet, s.v1Player)
	s.handle("/v1/products/{product}/predict", http.MethodGet, s.v1Predict)
	s.handle("/v1/products/{product}/players/{user}/history", http.MethodGet, s.v1History)
	s.handle("/v1/products/{product}/boards/{board}/periods", http.MethodGet, s.v1Periods)
	s.handle("/v1/products/{product}/leaderboard/ranked", http.MethodPost, s.v1Ranked)
	s.handle("/v1/events", http.MethodPost, s.v1Events)
	s.adminRoutes()

	s.handleFast("/healthz", http.MethodGet, s.healthz)
	s.handle("/readyz", http.MethodGet, s.readyz)
	s.handle("/metrics", http.MethodGet, s.serveMetrics)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		infoOf(w).route = "unmatched"
		writeError(w, http.StatusNotFound, "not_found", "no route "+r.URL.Path+"; see /v1/openapi.json for the API")
	})
}

// handle registers a route for one method (GET also answers HEAD); other
// methods get 405 with Allow. The pattern becomes the metrics route label.
// The handler's context carries a deadline of RequestTimeout for its Redis
// work.
func (s *Server) handle(pattern, method string, h http.HandlerFunc) {
	s.handleFast(pattern, method, func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		h(w, r.WithContext(ctx))
	})
}

// handleFast is handle without the per-request deadline, for handlers that
// do no I/O or bound it themselves.
func (s *Server) handleFast(pattern, method string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		infoOf(w).route = pattern
		if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on "+pattern+"; use "+method)
			return
		}
		h(w, r)
	})
}

// reqInfo is filled in by handlers for the access log and metrics labels.
type reqInfo struct {
	route   string
	product string // already a bounded label value
}

// infoOf finds the request's reqInfo through the ResponseWriter ServeHTTP
// wrapped, which costs nothing per request (no context copy).
func infoOf(w http.ResponseWriter) *reqInfo {
	if sw, ok := w.(*statusWriter); ok {
		return &sw.info
	}
	return &reqInfo{}
}

// statusWriter records the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	info   reqInfo
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ServeHTTP runs a request through recovery, metrics and the access log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	sw := &statusWriter{ResponseWriter: w, info: reqInfo{route: "unmatched"}}
	info := &sw.info
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if sw.status == 0 {
				writeError(sw, http.StatusInternalServerError, "internal", "internal error; it has been logged")
			}
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := s.now().Sub(start)
		s.metrics.observe(info.route, info.product, sw.status, elapsed)
		if s.cfg.AccessLog {
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.String("route", info.route), slog.Int("status", sw.status),
				slog.Int64("bytes", sw.bytes), slog.Duration("duration", elapsed),
				slog.String("remote", r.RemoteAddr))
		}
	}()
	if p, ok := s.fastRoute(r); ok {
		info.route = topTenPattern
		s.topTenOf(sw, r, p)
		return
	}
	s.mux.ServeHTTP(sw, r)
}

const topTenPattern = "/leaderboards/top_ten/{product}"

// fastRoute picks out the portal's top-ten requests, most of serve's
// traffic, before the mux: a GET or HEAD whose path is the route's prefix
// and one plain segment, which the mux would route to portalTopTen with
// that segment as the product. Anything else (an escaped or unclean path,
// another method) goes through the mux as before. Under wrk the mux's
// matching was about a tenth of serve's CPU on this route;
// TestFastRouteSameAsMux holds the two to the same answers.
func (s *Server) fastRoute(r *http.Request) (string, bool) {
	if s.muxOnly || (r.Method != http.MethodGet && r.Method != http.MethodHead) || r.URL.RawPath != "" {
		return "", false
	}
	p, ok := strings.CutPrefix(r.URL.Path, "/leaderboards/top_ten/")
	if !ok || p == "" || p == "." || p == ".." || strings.IndexByte(p, '/') >= 0 {
		return "", false
	}
	return p, true
}

// RunOptions configures Run.
type RunOptions struct {
	// Listener to serve on; required (Run closes it).
	Listener net.Listener
	// Background daemons run alongside the HTTP server (the stream consumer,
	// periodic snapshot saving). They get a context cancelled when the server
	// stops; one returning an error (other than context.Canceled) stops the
	// server and Run returns that error.
	Background []func(ctx context.Context) error
	// ShutdownTimeout bounds how long in-flight requests may finish after
	// ctx is cancelled; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// ReadTimeout, WriteTimeout, IdleTimeout, ReadHeaderTimeout of the
	// http.Server; zero picks 10s, 10s, 120s, 5s.
	ReadTimeout, WriteTimeout, IdleTimeout, ReadHeaderTimeout time.Duration
	// MaxHeaderBytes bounds the request head (request line, headers and
	// the blank line, in bytes); more is answered 431. 0 means
	// DefaultMaxHeaderBytes; it must be over 4096.
	MaxHeaderBytes int
	// MaxConns caps the open HTTP connections (see limitListener); 0
	// means DefaultMaxConns.
	MaxConns int
}

// Run serves until ctx is cancelled or a background daemon fails, then shuts
// down gracefully: stop accepting, let in-flight requests finish (bounded by
// ShutdownTimeout), stop the daemons, and return. A clean stop returns nil.
func (s *Server) Run(ctx context.Context, o RunOptions) error {
	if o.Listener == nil {
		return errors.New("server: no listener")
	}
	orDefault := func(d, def time.Duration) time.Duration {
		if d <= 0 {
			return def
		}
		return d
	}
	maxHeader, err := serverMaxHeaderBytes(o.MaxHeaderBytes)
	if err != nil {
		return err
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	ln := newLimitListener(o.Listener, o.MaxConns)
	hs := &http.Server{
		Handler:           s,
		ReadTimeout:       orDefault(o.ReadTimeout, 10*time.Second),
		WriteTimeout:      orDefault(o.WriteTimeout, 10*time.Second),
		IdleTimeout:       orDefault(o.IdleTimeout, 120*time.Second),
		ReadHeaderTimeout: orDefault(o.ReadHeaderTimeout, 5*time.Second),
		MaxHeaderBytes:    maxHeader,
		ConnState:         ln.connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve http on %s: %w", o.Listener.Addr(), err)
		}
		return nil
	})
	for i, bg := range o.Background {
		g.Go(func() error {
			if err := bg(gctx); err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("background task %d: %w", i, err)
			}
			return nil
		})
	}
	var shutdownErr error
	var once sync.Once
	g.Go(func() error {
		<-gctx.Done()
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), orDefault(o.ShutdownTimeout, DefaultShutdownTimeout))
			defer cancel()
			if err := hs.Shutdown(sctx); err != nil {
				shutdownErr = fmt.Errorf("graceful shutdown: %w (in-flight requests were cut off)", err)
				_ = hs.Close()
			}
		})
		return nil
	})
	err = g.Wait()
	if err == nil {
		err = shutdownErr
	}
	return err
}
