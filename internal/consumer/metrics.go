package consumer

import (
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// MaxProductLabels bounds how many distinct valid-but-unregistered product
// ids get their own metrics label; later ones share "(other)", so a stream
// of made-up product ids cannot grow the metrics without bound.
const MaxProductLabels = 32

// Label values that stand for many ids.
const (
	LabelNone    = "(none)"    // the event has no product_id / type
	LabelInvalid = "(invalid)" // the product id is not a valid id
	LabelOther   = "(other)"   // over MaxProductLabels, or an unknown type
)

// knownTypes are the event types the platform sends; any other type value
// is counted as "(other)" to keep the label set small.
var knownTypes = map[string]bool{
	event.TypeGameOver: true, event.TypeGameplay: true, event.TypeStateChange: true,
	"game_removed": true, "player_disconnect": true, "match_over": true,
}

// Metrics are the consumer's Prometheus metrics, registered on a registry
// the caller owns (never the global default one).
type Metrics struct {
	events      *prometheus.CounterVec
	batch       prometheus.Histogram
	lag         prometheus.Gauge
	pending     prometheus.Gauge
	deadLetters *prometheus.CounterVec
	redisErrors prometheus.Counter

	mu       sync.Mutex
	products map[string]bool // products with their own label
}

// NewMetrics registers the consumer metrics on reg. known lists product
// ids that always get their own label (the registry's games).
func NewMetrics(reg prometheus.Registerer, known []string) *Metrics {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statsctl_consumer_events_total",
			Help: "Stream entries processed, by product, type and outcome (applied, duplicate, ignored, invalid).",
		}, []string{"product", "type", "outcome"}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "statsctl_consumer_batch_seconds",
			Help:    "Time to apply, dead-letter and acknowledge one batch.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statsctl_consumer_group_lag",
			Help: "Entries of the stream not yet delivered to the consumer group (-1: unknown).",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "statsctl_consumer_group_pending",
			Help: "Entries delivered to the consumer group but not yet acknowledged.",
		}),
		deadLetters: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "statsctl_consumer_dead_letters_total",
			Help: "Invalid events copied to the dead-letter stream, by reason.",
		}, []string{"reason"}),
		redisErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "statsctl_consumer_redis_errors_total",
			Help: "Redis operations that failed and were retried.",
		}),
		products: map[string]bool{},
	}
	m.lag.Set(-1)
	for _, p := range known {
		m.products[p] = true
	}
	reg.MustRegister(m.events, m.batch, m.lag, m.pending, m.deadLetters, m.redisErrors)
	return m
}

// productLabel maps a product id to a bounded label value.
func (m *Metrics) productLabel(p string) string {
	if p == "" {
		return LabelNone
	}
	if event.CheckProduct(p) != nil {
		return LabelInvalid
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.products[p] {
		return p
	}
	if len(m.products) < MaxProductLabels {
		m.products[p] = true
		return p
	}
	return LabelOther
}

func typeLabel(t string) string {
	switch {
	case t == "":
		return LabelNone
	case knownTypes[t]:
		return t
	}
	return LabelOther
}

type eventKey struct{ product, typ, outcome string }

func (m *Metrics) observeBatch(evs []event.Event, outs []engine.Outcome, took time.Duration) {
	m.batch.Observe(took.Seconds())
	counts := make(map[eventKey]float64, 16)
	for i, o := range outs {
		counts[eventKey{evs[i].Product(), evs[i].Type(), o.Status.String()}]++
	}
	for k, n := range counts {
		m.events.WithLabelValues(m.productLabel(k.product), typeLabel(k.typ), k.outcome).Add(n)
	}
}

func (m *Metrics) setGroup(lag, pending int64) {
	m.lag.Set(float64(lag))
	m.pending.Set(float64(pending))
}

// HTTPHandler serves /metrics from g and /healthz (200 "ok" while healthy
// reports true, 503 otherwise) on one listener, as the old worker's port
// 5002 did.
func HTTPHandler(g prometheus.Gatherer, healthy func() bool) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if healthy != nil && !healthy() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("redis unavailable\n"))
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	return mux
}

// EventsCounter is the events_total counter, for tests and for callers that
// add their own views of it.
func (m *Metrics) EventsCounter() *prometheus.CounterVec { return m.events }

// ObserveBatch counts one batch's outcomes; exported so an in-process user
// (statsctl serve) applying events by another route can share the metrics.
func (m *Metrics) ObserveBatch(evs []event.Event, outs []engine.Outcome, took time.Duration) {
	m.observeBatch(evs, outs, took)
}
