package faulttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

// consumers is how many `statsctl consume` processes share the group.
const consumers = 3

// rounds is FAULT_ROUNDS (make test-faults: 20), else 3 for `make test`.
func rounds(t *testing.T) int {
	if n, err := strconv.Atoi(os.Getenv("FAULT_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 3
}

// newRand is seeded from FAULT_SEED or the clock, and says how to replay
// it. The seed fixes every random choice (which consumer dies, after how
// long, under which name it comes back); the instant a kill lands in the
// consumer's work still depends on the machine.
func newRand(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("FAULT_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (replay: FAULT_SEED=%d FAULT_ROUNDS=%d go test -run '%s' ./internal/faulttest/)", seed, seed, rounds(t), t.Name())
	return rand.New(rand.NewPCG(seed, 2))
}

// target is where the stream and the stats live: one server or a cluster.
type target struct {
	url string
	rdb redis.UniversalClient
}

// fleet is the consumers of one scenario, all in group "statsctl".
type fleet struct {
	t     *testing.T
	bin   string
	args  []string
	procs [consumers]*e2etest.Proc
	logs  []*e2etest.Proc // every process started, for log checks
}

func newFleet(t *testing.T, bin string, tg target, ns, stream string) *fleet {
	return &fleet{t: t, bin: bin, args: []string{"--redis", tg.url, "--namespace", ns, "--stream", stream,
		"--metrics-addr", "off", "--claim-after", "300ms", "--count", "100", "--log-level", "info"}}
}

// start (re)starts consumer i; named, it first re-reads its own pending
// entries, unnamed (pid name) its pending entries are left to XAUTOCLAIM.
func (f *fleet) start(i int, named bool, extra ...string) *e2etest.Proc {
	args := append(slices.Clone(f.args), extra...)
	if named {
		args = append(args, "--consumer", "c"+strconv.Itoa(i))
	}
	p := e2etest.StartConsume(f.t, f.bin, args...)
	f.procs[i] = p
	f.logs = append(f.logs, p)
	return p
}

// anyLog reports whether some consumer's log contains s.
func (f *fleet) anyLog(s string) bool {
	for _, p := range f.logs {
		if strings.Contains(p.Output(), s) {
			return true
		}
	}
	return false
}

// running fails the test if a consumer has exited: faults of Redis must
// be ridden through, not exited on.
func (f *fleet) running(when string) {
	for i, p := range f.procs {
		if p != nil && p.Exited() {
			f.t.Fatalf("%s: consumer %d exited; log:\n%s", when, i, e2etest.Tail(p.Output()))
		}
	}
}

// stop sends SIGTERM to every consumer and wants exit 0 promptly.
func (f *fleet) stop() {
	for _, p := range f.procs {
		_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	}
	for i, p := range f.procs {
		if code := p.Wait(f.t, 15*time.Second); code != 0 {
			f.t.Fatalf("SIGTERM: consumer %d exit %d; log:\n%s", i, code, e2etest.Tail(p.Output()))
		}
	}
}

// drain runs `consumers` draining processes, which must finish with exit 0,
// claiming whatever dead processes left pending.
func (f *fleet) drain() {
	var ds []*e2etest.Proc
	for i := 0; i < consumers; i++ {
		ds = append(ds, f.start(i, false, "--drain"))
	}
	for _, d := range ds {
		if code := d.Wait(f.t, 120*time.Second); code != 0 {
			f.t.Fatalf("drain: exit %d; log:\n%s", code, e2etest.Tail(d.Output()))
		}
	}
}

// writer XADDs entries in small pipelined chunks while faults happen,
// retrying what failed, and remembers the ids Redis acknowledged.
type writer struct {
	mu    sync.Mutex
	acked []string
	fails int
}

func (w *writer) write(rdb redis.UniversalClient, stream string, es []e2etest.Entry, pause time.Duration) {
	for start := 0; start < len(es); {
		end := min(start+200, len(es))
		cmds := make([]*redis.StringCmd, 0, end-start)
		_, _ = rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range es[start:end] {
				cmds = append(cmds, p.XAdd(ctx, e2etest.XAddArgs(stream, e)))
			}
			return nil
		})
		ok := 0
		for _, c := range cmds {
			if c.Err() != nil {
				break
			}
			ok++
		}
		w.mu.Lock()
		for _, c := range cmds[:ok] {
			w.acked = append(w.acked, c.Val())
		}
		if ok < len(cmds) {
			w.fails++
		}
		w.mu.Unlock()
		// Entries after the first failure are sent again: one whose reply
		// was lost may then be in the stream twice, as with any producer.
		start += ok
		if ok < len(cmds) {
			time.Sleep(50 * time.Millisecond)
		} else if pause > 0 {
			time.Sleep(pause)
		}
	}
}

// verify is the end of every scenario: nothing pending, every entry Redis
// acknowledged to the writer still in the stream (the stream was never
// trimmed), boards and stats equal to one clean pass over the stream
// computed from the contract, each invalid entry dead-lettered once.
func verify(t *testing.T, tg target, ns, stream string, acked []string, written int) {
	t.Helper()
	verifyPoisoned(t, tg, ns, stream, acked, written, nil)
}

// verifyPoisoned is verify with keys planted with the wrong type (key ->
// value): the events touching them are rejected whole and dead-lettered
// once as store_rejected, and the planted keys are unchanged.
func verifyPoisoned(t *testing.T, tg target, ns, stream string, acked []string, written int, planted map[string]string) {
	t.Helper()
	if p := e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl"); p != 0 {
		t.Fatalf("%d entries pending after the drain", p)
	}
	final := e2etest.ReadStream(ctx, t, tg.rdb, stream)
	if len(final) < written {
		t.Fatalf("stream has %d entries, %d were written", len(final), written)
	}
	ids := map[string]bool{}
	ms, err := tg.rdb.XRange(ctx, stream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		ids[m.ID] = true
	}
	for _, id := range acked {
		if !ids[id] {
			t.Fatalf("entry %s was acknowledged to the producer and is gone from the stream", id)
		}
	}
	want := e2etest.NewModel()
	want.NS, want.Poison = ns, map[string]bool{}
	for k := range planted {
		want.Poison[k] = true
	}
	for _, e := range final {
		want.Add(e)
	}
	want.Compare(ctx, t, tg.rdb, ns)
	reasons := e2etest.CheckDeadLetters(ctx, t, tg.rdb, stream+":dead", want.Invalid+want.Rejected)
	if reasons["store_rejected"] != want.Rejected {
		t.Errorf("%d dead letters store_rejected, want %d (the entries touching a planted key)", reasons["store_rejected"], want.Rejected)
	}
	for k, v := range planted {
		if got, err := tg.rdb.Get(ctx, k).Result(); err != nil || got != v {
			t.Errorf("planted key %s = %q (%v), want %q unchanged", k, got, err, v)
		}
	}
	t.Logf("%d entries in the stream (%d written, %d resent), %d invalid, %d rejected %v: end state equals one clean pass",
		len(final), written, len(final)-written, want.Invalid, want.Rejected, reasons)
}

func entries(t *testing.T, games int, seed uint64) []e2etest.Entry {
	es := e2etest.GenEntries(t, gen.Options{Games: games, Players: 150, Seed: seed, BadEvery: 70,
		Products: []string{"exrps", "exrps", "chess", "tictactoe", "tetris"}})
	return append(es, e2etest.ExtraBad()...)
}

// killRounds: three consumers in one group while the stream grows; each
// round a random non-empty set of them is SIGKILLed after a random time and
// restarted at once, under its old name (it re-reads its own pending
// entries) or a new one (another consumer claims them after --claim-after).
// fault, if set, runs once mid-way with the consumers running.
func killRounds(t *testing.T, bin string, tg target, ns string, fault func()) {
	killRoundsPoisoned(t, bin, tg, ns, fault, nil)
}

// killRoundsPoisoned is killRounds where plant, if set, sets keys of the
// wrong type before the stream is written and returns them (key -> value).
func killRoundsPoisoned(t *testing.T, bin string, tg target, ns string, fault func(), plant func(es []e2etest.Entry) map[string]string) {
	n, rng := rounds(t), newRand(t)
	stream := ns + "-events"
	es := entries(t, 300*n, rng.Uint64())
	var planted map[string]string
	if plant != nil {
		planted = plant(es)
	}
	f := newFleet(t, bin, tg, ns, stream)
	for i := range consumers {
		f.start(i, true)
	}
	var w writer
	midBatch := 0
	for r := 0; r < n; r++ {
		// The kill lands while the round's entries are being written, so
		// the consumers are busy with them.
		done := make(chan struct{})
		chunk := es[r*len(es)/n : (r+1)*len(es)/n]
		go func() { defer close(done); w.write(tg.rdb, stream, chunk, 0) }()
		if fault != nil && r == n/2 {
			fault()
		}
		time.Sleep(time.Duration(2+rng.IntN(40)) * time.Millisecond)
		var victims []int
		for i := range consumers {
			if rng.IntN(2) == 0 {
				victims = append(victims, i)
			}
		}
		if len(victims) == 0 {
			victims = []int{rng.IntN(consumers)}
		}
		f.running(fmt.Sprintf("round %d", r))
		for _, i := range victims {
			f.procs[i].Kill(t)
		}
		if e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl") > 0 {
			midBatch++
		}
		names := ""
		for _, i := range victims {
			named := rng.IntN(2) == 0
			f.start(i, named)
			names += fmt.Sprintf(" %d(named=%v)", i, named)
		}
		<-done
		t.Logf("round %d: killed and restarted%s; %d entries pending", r, names, e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl"))
	}
	t.Logf("%d of %d rounds left entries pending at the kill (killed mid-batch)", midBatch, n)
	if n >= 10 && midBatch == 0 {
		t.Errorf("no kill in %d rounds landed mid-batch: the test did not exercise recovery", n)
	}
	for _, p := range f.procs {
		p.Kill(t)
	}
	f.drain()
	if !f.anyLog("claimed entries left pending by another consumer") && midBatch > 0 {
		t.Logf("note: no consumer needed XAUTOCLAIM (every victim came back under its name or nothing was pending)")
	}
	verifyPoisoned(t, tg, ns, stream, w.acked, len(es), planted)
}

// faultUnderLoad: three consumers run while a writer XADDs the stream in
// small chunks; fault (a Redis restart) hits mid-ingest, the consumers
// must ride through it without exiting, then stop cleanly on SIGTERM; one
// drain finishes and the end state equals one clean pass.
func faultUnderLoad(t *testing.T, bin string, tg target, ns string, fault func(rng *rand.Rand)) {
	rng := newRand(t)
	stream := ns + "-events"
	es := entries(t, 1500, rng.Uint64())
	f := newFleet(t, bin, tg, ns, stream)
	for i := range consumers {
		f.start(i, true)
	}
	var w writer
	done := make(chan struct{})
	go func() { defer close(done); w.write(tg.rdb, stream, es, 10*time.Millisecond) }()
	fault(rng)
	<-done
	f.running("after the fault")
	// Let them work a little after the fault before stopping them.
	deadline := time.Now().Add(30 * time.Second)
	for !f.anyLog("redis is back") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if !f.anyLog("redis unavailable; retrying") || !f.anyLog("redis is back") {
		t.Errorf("no consumer logged the outage and its end; logs:\n%s", e2etest.Tail(f.procs[0].Output()))
	}
	f.running("after redis came back")
	f.stop()
	f.drain()
	t.Logf("writer: %d chunks failed and were resent", w.fails)
	verify(t, tg, ns, stream, w.acked, len(es))
}

// TestFaultServer: the fault suite on one redis-server with AOF on.
func TestFaultServer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.StartDurable(t)
	tg := target{url: srv.URL(), rdb: srv.Client()}
	bin := e2etest.BuildStatsctl(t)

	t.Run("ConsumersKilled", func(t *testing.T) {
		killRounds(t, bin, tg, "fkill", nil)
	})
	t.Run("RestartAOFMidIngest", func(t *testing.T) {
		faultUnderLoad(t, bin, tg, "faof", func(rng *rand.Rand) {
			for i := 0; i < 2; i++ {
				time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
				// Down for 1.5-2 s: longer than go-redis's own retries,
				// so the consumers must ride the outage themselves.
				down := time.Duration(1500+rng.IntN(500)) * time.Millisecond
				t.Logf("SIGKILL redis-server, restart it from its AOF after %s", down)
				srv.RestartAfter(down)
			}
		})
	})
	t.Run("DownAtStart", func(t *testing.T) { downAtStart(t, bin) })
}

// TestFaultCluster: the fault suite on a real three-master Redis Cluster.
func TestFaultCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	c := testredis.StartCluster(t)
	tg := target{url: c.URL(), rdb: c.Client()}
	bin := e2etest.BuildStatsctl(t)
	nodeOf := func(key string) int {
		slot := c.NodeClient(0).ClusterKeySlot(ctx, key).Val()
		for _, s := range c.NodeClient(0).ClusterSlots(ctx).Val() {
			if int64(s.Start) <= slot && slot <= int64(s.End) {
				for i, n := range c.Nodes() {
					if n.Addr == s.Nodes[0].Addr {
						return i
					}
				}
			}
		}
		t.Fatalf("no node owns %s", key)
		return -1
	}

	t.Run("ConsumersKilled", func(t *testing.T) {
		killRounds(t, bin, tg, "ckill", func() {
			i := nodeOf("ckill:{exrps}:lb:wins")
			t.Logf("SIGKILL cluster node %d (exrps) and restart it", i)
			c.RestartNode(i)
		})
	})
	t.Run("NodeRestart", func(t *testing.T) {
		faultUnderLoad(t, bin, tg, "cnode", func(rng *rand.Rand) {
			// The stream's node, then the node of the busiest product:
			// reads, acks and dead letters fail, then applies do.
			victims := []int{nodeOf("cnode-events"), nodeOf("cnode:{exrps}:lb:wins")}
			if victims[1] == victims[0] {
				victims[1] = (victims[0] + 1) % testredis.ClusterSize
			}
			for _, i := range victims {
				time.Sleep(time.Duration(100+rng.IntN(300)) * time.Millisecond)
				began := time.Now()
				c.RestartNode(i)
				t.Logf("cluster node %d SIGKILLed and back, cluster ok again after %s", i, time.Since(began).Round(time.Millisecond))
			}
		})
	})
}

// downAtStart: Redis not there when consume starts.
func downAtStart(t *testing.T, bin string) {
	t.Run("ConnectTimeout", func(t *testing.T) {
		began := time.Now()
		p := e2etest.StartConsume(t, bin, "--redis", "redis://127.0.0.1:1", "--connect-timeout", "2s", "--metrics-addr", "off")
		if code := p.Wait(t, 15*time.Second); code != 1 {
			t.Fatalf("exit %d, want 1; log:\n%s", code, p.Output())
		}
		out := p.Output()
		// "unavailable; retrying" then "giving up" on a quiet machine; under
		// load the first attempt (go-redis's own dial retries included) can
		// already outlast the 2 s, and the one line is "giving up" (issue 16).
		if !strings.Contains(out, "stats redis unavailable; ") || !strings.Contains(out, "did not answer within --connect-timeout 2s") ||
			!strings.Contains(out, "127.0.0.1:1") {
			t.Fatalf("unclear message:\n%s", out)
		}
		// The bound includes starting a race-enabled binary on a loaded
		// 2-core machine; what it catches is a consumer that ignores the
		// timeout and keeps waiting.
		if took := time.Since(began); took > 12*time.Second {
			t.Errorf("took %s to give up after --connect-timeout 2s", took)
		}
	})
	t.Run("StreamServerTimeout", func(t *testing.T) {
		stats := testredis.Start(t)
		p := e2etest.StartConsume(t, bin, "--redis", stats.URL(), "--stream-redis", "redis://127.0.0.1:1", "--connect-timeout", "2s", "--metrics-addr", "off")
		if code := p.Wait(t, 15*time.Second); code != 1 {
			t.Fatalf("exit %d, want 1; log:\n%s", code, p.Output())
		}
		if out := p.Output(); !strings.Contains(out, "stream redis did not answer within --connect-timeout 2s") || !strings.Contains(out, "--stream-redis") {
			t.Fatalf("unclear message:\n%s", out)
		}
	})
	t.Run("ComesUpLater", func(t *testing.T) {
		// Without --connect-timeout consume waits for Redis, then works.
		srv := testredis.StartDurable(t)
		es := entries(t, 100, 5)
		e2etest.XAddAll(ctx, t, srv.Client(), "game_event_stream", es)
		srv.Kill()
		p := e2etest.StartConsume(t, bin, "--redis", srv.URL(), "--drain", "--metrics-addr", "off")
		// One connect attempt takes go-redis about 1.7 s (its own dial
		// retries); wait for consume to say it is waiting.
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(p.Output(), "stats redis unavailable; retrying") && time.Now().Before(deadline) && !p.Exited() {
			time.Sleep(50 * time.Millisecond)
		}
		if p.Exited() {
			t.Fatalf("exited while Redis was down; log:\n%s", p.Output())
		}
		srv.Restart()
		if code := p.Wait(t, 30*time.Second); code != 0 {
			t.Fatalf("exit %d once Redis came up; log:\n%s", code, p.Output())
		}
		if out := p.Output(); !strings.Contains(out, "stats redis unavailable; retrying") || !strings.Contains(out, "stats redis answered; starting") {
			t.Errorf("log does not tell the wait:\n%s", out)
		}
		e2etest.ModelOf(es).Compare(ctx, t, srv.Client(), "statsctl")
	})
}
