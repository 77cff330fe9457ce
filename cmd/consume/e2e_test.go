package consume_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestConsumeSurvivesKillsAndRedisRestart is the proof: a real
// statsctl process is SIGKILLed at random moments (one and two at once),
// redis-server (AOF) is restarted under a running consumer, SIGTERM stops
// one cleanly, and after a final drain the boards and stats equal one clean
// pass computed here from the contract's rules; the dead-letter stream
// holds each invalid entry exactly once and the shared stream is untouched.
func TestConsumeSurvivesKillsAndRedisRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs real processes")
	}
	srv := testredis.StartDurable(t)
	rdb := srv.Client()
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(t)
	const stream = consumer.DefaultStream
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	all := e2etest.GenEntries(t, gen.Options{Games: 3000, Players: 200, Seed: seed, Products: []string{"exrps", "exrps", "chess"}, BadEvery: 60})
	all = append(all, e2etest.ExtraBad()...)
	half := len(all) / 2
	want := e2etest.NewModel()
	for _, e := range all {
		want.Add(e)
	}
	if want.Invalid < 20 {
		t.Fatalf("generator gave only %d invalid entries; the test needs some", want.Invalid)
	}
	e2etest.XAddAll(ctx, t, rdb, stream, all[:half])

	common := []string{"--redis", srv.URL(), "--metrics-addr", "off", "--claim-after", "300ms", "--count", "200", "--log-level", "warn"}

	// Phase 1: SIGKILL at random moments, sometimes two consumers at once.
	killedMidBatch := 0
	for round := 0; round < 6; round++ {
		n := 1
		if round%3 == 1 {
			n = 2
		}
		var ps []*e2etest.Proc
		for i := 0; i < n; i++ {
			ps = append(ps, e2etest.StartConsume(t, bin, common...))
		}
		time.Sleep(time.Duration(30+rng.IntN(150)) * time.Millisecond)
		for _, p := range ps {
			_ = p.Cmd.Process.Signal(syscall.SIGKILL)
		}
		for _, p := range ps {
			p.Wait(t, 5*time.Second)
		}
		if e2etest.GroupPending(ctx, rdb, stream, "statsctl") > 0 {
			killedMidBatch++
		}
	}
	t.Logf("%d of 6 kill rounds left entries pending (killed mid-batch)", killedMidBatch)
	if killedMidBatch == 0 {
		t.Errorf("no kill landed mid-batch; the test did not exercise recovery (machine too fast? lower --count)")
	}

	// Phase 2: more events while a consumer runs; redis-server is killed and
	// restarted from its AOF under it; then SIGTERM must exit 0 promptly.
	p := e2etest.StartConsume(t, bin, append(common, "--log-level", "info")...)
	e2etest.XAddAll(ctx, t, rdb, stream, all[half:])
	time.Sleep(time.Duration(20+rng.IntN(100)) * time.Millisecond)
	// Down long enough that go-redis's own retries cannot hide it.
	srv.RestartAfter(1500 * time.Millisecond)
	rdb = srv.Client()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.Output(), "redis is back") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if code := p.Wait(t, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0; log:\n%s", code, e2etest.Tail(p.Output()))
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("SIGTERM took %s to exit, want a few seconds at most", took)
	}
	out := p.Output()
	if !strings.Contains(out, "redis unavailable; retrying") {
		t.Errorf("no retry log line after the redis restart; log:\n%s", e2etest.Tail(out))
	}
	if !strings.Contains(out, "consumer stopped") {
		t.Errorf("no clean stop logged after SIGTERM; log:\n%s", e2etest.Tail(out))
	}

	// Phase 3: one more kill, then a final drain finishes what is left,
	// including entries the killed consumers left pending.
	k := e2etest.StartConsume(t, bin, common...)
	time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond)
	_ = k.Cmd.Process.Signal(syscall.SIGKILL)
	k.Wait(t, 5*time.Second)

	d1 := e2etest.StartConsume(t, bin, append(common, "--drain")...)
	d2 := e2etest.StartConsume(t, bin, append(common, "--drain")...)
	for _, d := range []*e2etest.Proc{d1, d2} {
		if code := d.Wait(t, 60*time.Second); code != 0 {
			t.Fatalf("drain: exit %d; log:\n%s", code, e2etest.Tail(d.Output()))
		}
	}

	if n := rdb.XLen(ctx, stream).Val(); n != int64(len(all)) {
		t.Errorf("shared stream has %d entries, want the %d written: statsctl must never trim or delete", n, len(all))
	}
	if pend := e2etest.GroupPending(ctx, rdb, stream, "statsctl"); pend != 0 {
		t.Errorf("after drain %d entries pending, want 0", pend)
	}
	want.Compare(ctx, t, rdb, "statsctl")

	reasons := e2etest.CheckDeadLetters(ctx, t, rdb, stream+":dead", want.Invalid)
	t.Logf("%d entries, %d invalid, dead letters by reason: %v", len(all), want.Invalid, reasons)
	for _, r := range []string{"missing_field", "same_player", "unknown_weapon", "malformed"} {
		if reasons[r] == 0 {
			t.Errorf("no dead letter with reason %s", r)
		}
	}
}

// TestConsumeConnectTimeout: with nothing listening, --connect-timeout makes
// consume give up with a clear message and exit 1.
func TestConsumeConnectTimeout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := e2etest.BuildStatsctl(t)
	p := e2etest.StartConsume(t, bin, "--redis", "redis://127.0.0.1:1", "--connect-timeout", "3s", "--metrics-addr", "off")
	if code := p.Wait(t, 15*time.Second); code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", code, p.Output())
	}
	if out := p.Output(); !strings.Contains(out, "did not answer within --connect-timeout 3s") || !strings.Contains(out, "retrying") {
		t.Fatalf("unclear message:\n%s", out)
	}
}

// TestConsumeSeparateStreamServer: stream and stats on two servers, as the
// old deployment had; dead letters go to the stream server.
func TestConsumeSeparateStreamServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	stats, events := testredis.Start(t), testredis.Start(t)
	ctx := context.Background()
	es := e2etest.GenEntries(t, gen.Options{Games: 200, Seed: 7, BadEvery: 30})
	want := e2etest.NewModel()
	for _, e := range es {
		want.Add(e)
	}
	e2etest.XAddAll(ctx, t, events.Client(), consumer.DefaultStream, es)
	bin := e2etest.BuildStatsctl(t)
	p := e2etest.StartConsume(t, bin, "--redis", stats.URL(), "--stream-redis", events.URL(), "--drain", "--metrics-addr", "off")
	if code := p.Wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.Output())
	}
	want.Compare(ctx, t, stats.Client(), "statsctl")
	if n := events.Client().XLen(ctx, consumer.DefaultStream+":dead").Val(); n != int64(want.Invalid) {
		t.Errorf("%d dead letters on the stream server, want %d", n, want.Invalid)
	}
	if n := stats.Client().Exists(ctx, consumer.DefaultStream, consumer.DefaultStream+":dead").Val(); n != 0 {
		t.Errorf("stream keys were created on the stats server")
	}
}
