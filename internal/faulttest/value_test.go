package faulttest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
	"github.com/varcade/statsctl/internal/valuetest"
)

// TestFaultConsumersKilledValueBoards is the consumer SIGKILL test on
// value boards (issue 11): three consumers with the generated value game's
// config are SIGKILLed and restarted while the stream grows; after a drain
// every board, value stat and dead letter equals one clean pass of the
// model over the stream. Three consumers apply one product's entries out
// of stream order, so the game is the order-free one (valuetest.Config(true):
// best, min and max on both orders with either ties, first-to-reach ranks
// from the stream ids; sum with shared ties; add, max and min stats); the
// order-dependent operators are checked by internal/valuetest, in order.
func TestFaultConsumersKilledValueBoards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.Start(t)
	tg := target{url: srv.URL(), rdb: srv.Client()}
	bin := e2etest.BuildStatsctl(t)
	cfg := filepath.Join(t.TempDir(), "value.yaml")
	if err := os.WriteFile(cfg, []byte(valuetest.Config(true)), 0o600); err != nil {
		t.Fatal(err)
	}
	n, rng := rounds(t), newRand(t)
	ns, stream := "fvalue", "fvalue-events"
	raw := valuetest.StreamEntries(int64(rng.Uint64()>>1), 600*n)
	es := make([]e2etest.Entry, len(raw))
	for i, r := range raw {
		es[i] = e2etest.Entry(r)
	}
	f := newFleet(t, bin, tg, ns, stream)
	f.args = append(f.args, "--config", cfg)
	for i := range consumers {
		f.start(i, true)
	}
	var w writer
	for r := 0; r < n; r++ {
		done := make(chan struct{})
		chunk := es[r*len(es)/n : (r+1)*len(es)/n]
		go func() { defer close(done); w.write(tg.rdb, stream, chunk, 0) }()
		time.Sleep(time.Duration(2+rng.IntN(40)) * time.Millisecond)
		victim := rng.IntN(consumers)
		f.running(fmt.Sprintf("round %d", r))
		f.procs[victim].Kill(t)
		f.start(victim, rng.IntN(2) == 0)
		<-done
		t.Logf("round %d: killed and restarted %d; %d entries pending", r, victim, e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl"))
	}
	for _, p := range f.procs {
		p.Kill(t)
	}
	f.drain()
	if p := e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl"); p != 0 {
		t.Fatalf("%d entries pending after the drain", p)
	}
	ms, err := tg.rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	m := valuetest.StreamModel(ms, true)
	valuetest.Compare(t, tg.rdb, ns, m)
	reasons := e2etest.CheckDeadLetters(ctx, t, tg.rdb, stream+":dead", m.InvalidCount())
	t.Logf("%d entries, %d applied, dead letters %v: equal to one clean pass", len(ms), m.Applied, reasons)
}
