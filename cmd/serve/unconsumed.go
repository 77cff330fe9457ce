package serve

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/embedded"
)

// unconsumedWatch reports streams named like the consumed one that get
// events in a database the in-process consumer does not read: game servers
// of the platform XADD to database 1, and without --stream-db 1 those
// events would pile up unseen. Each database is warned about once per
// process; the gauge always says how many there are now.
type unconsumedWatch struct {
	emb      *embedded.Store
	streamDB int
	log      *slog.Logger
	gauge    prometheus.Gauge

	mu     sync.Mutex
	warned map[int]bool
}

func newUnconsumedWatch(emb *embedded.Store, streamDB int, log *slog.Logger, reg prometheus.Registerer) (*unconsumedWatch, error) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "statsctl_embedded_unconsumed_streams",
		Help: "Databases of the embedded store other than --stream-db whose " + consumer.DefaultStream + " has entries nobody consumes (set --stream-db to the database game servers write to).",
	})
	if reg != nil {
		if err := reg.Register(g); err != nil {
			return nil, fmt.Errorf("register statsctl_embedded_unconsumed_streams: %w", err)
		}
	}
	return &unconsumedWatch{emb: emb, streamDB: streamDB, log: log, gauge: g, warned: map[int]bool{}}, nil
}

// check looks once; serve calls it at start and after each snapshot save.
func (w *unconsumedWatch) check() {
	dbs := w.emb.UnconsumedStreams(consumer.DefaultStream, w.streamDB)
	w.gauge.Set(float64(len(dbs)))
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, db := range dbs {
		if w.warned[db] {
			continue
		}
		w.warned[db] = true
		w.log.Warn(fmt.Sprintf("embedded database %d has a %s that nobody consumes (the in-process consumer reads database %d); its events are not applied: run serve with --stream-db %d",
			db, consumer.DefaultStream, w.streamDB, db),
			"db", db, "stream", consumer.DefaultStream, "stream_db", w.streamDB, "fix", fmt.Sprintf("--stream-db %d", db))
	}
}
