package server

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// Product label values that are not product ids: the label must stay a
// small set whatever clients send.
const (
	labelNone    = ""        // route has no product
	labelInvalid = "invalid" // not a syntactically valid product id
	labelOther   = "other"   // valid, but neither registered nor known to have data
)

// maxDataLabels bounds how many unregistered products with data get their
// own label; later ones count as "other".
const maxDataLabels = 200

type metrics struct {
	// children caches the series observe touches, so a request costs one
	// read-locked map lookup instead of two label hashes and an Itoa.
	childMu  sync.RWMutex
	children map[seriesKey]series

	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	cache    *prometheus.CounterVec
	events   *prometheus.CounterVec
	handler  http.Handler
}

func newMetrics(reg *prometheus.Registry) (*metrics, error) {
	m := &metrics{
		children: map[seriesKey]series{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statsctl_http_requests_total",
			Help: "HTTP requests by route pattern, product and status code.",
		}, []string{"route", "product", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "statsctl_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statsctl_top_ten_cache_total",
			Help: "Top-ten lookups by result: hit (served from memory), miss (read from Redis), shared (waited for a concurrent read).",
		}, []string{"result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statsctl_http_events_total",
			Help: "Events received on POST /v1/events, by outcome.",
		}, []string{"status"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.cache, m.events,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m, nil
}

// seriesKey names the series of one kind of request; route and product
// are bounded label values, so the cache is as small as the label sets.
type seriesKey struct {
	route, product string
	status         int
}

type series struct {
	requests prometheus.Counter
	latency  prometheus.Observer
}

func (m *metrics) observe(route, product string, status int, d time.Duration) {
	k := seriesKey{route, product, status}
	m.childMu.RLock()
	c, ok := m.children[k]
	m.childMu.RUnlock()
	if !ok {
		c = series{m.requests.WithLabelValues(route, product, strconv.Itoa(status)), m.latency.WithLabelValues(route)}
		m.childMu.Lock()
		m.children[k] = c
		m.childMu.Unlock()
	}
	c.requests.Inc()
	c.latency.Observe(d.Seconds())
}

// productLabels maps a product id from a URL to a bounded label value:
// registered products and (up to maxDataLabels) products seen with data
// keep their id; other valid ids are "other"; invalid ones "invalid".
type productLabels struct {
	mu    sync.RWMutex
	known map[string]bool
}

func newProductLabels(reg *handler.Registry) *productLabels {
	l := &productLabels{known: map[string]bool{}}
	for _, p := range reg.Known() {
		l.known[p] = true
	}
	return l
}

// label returns the label for a product id.
func (l *productLabels) label(p string) string {
	if event.CheckProduct(p) != nil {
		return labelInvalid
	}
	l.mu.RLock()
	ok := l.known[p]
	l.mu.RUnlock()
	if ok {
		return p
	}
	return labelOther
}

// addWithData records products that have data (found on a board or in the
// products set), within the bound.
func (l *productLabels) addWithData(ps ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range ps {
		if len(l.known) >= maxDataLabels {
			return
		}
		if event.CheckProduct(p) == nil {
			l.known[p] = true
		}
	}
}

func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	s.metrics.handler.ServeHTTP(w, r)
}
