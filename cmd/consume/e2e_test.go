package consume_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

type proc struct {
	cmd    *exec.Cmd
	log    string
	exited chan error
}

func startConsume(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	logf, err := os.CreateTemp(t.TempDir(), "consume-*.log")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"consume"}, args...)...)
	cmd.Env = append(envWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL"), "STATSCTL_DATA_DIR="+t.TempDir())
	cmd.Stdout = logf
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, log: logf.Name(), exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// wait waits for exit and returns the exit code.
func (p *proc) wait(t *testing.T, within time.Duration) int {
	t.Helper()
	select {
	case err := <-p.exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(within):
		t.Fatalf("statsctl consume did not exit within %s; log:\n%s", within, tail(p.output()))
		return -1
	}
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// extraBad are entries no generator line covers: non-UTF-8, an absurd size,
// a product id that cannot be a key.
func extraBad() []entry {
	return []entry{
		{"product_id", "exrps", "game_id", "gx1", "type", "game_over", "winner_id", "u1\xff\xfe", "loser_id", "u2"},
		{"product_id", "exrps", "game_id", "gx2", "type", "game_over", "winner_id", "u1", "loser_id", strings.Repeat("x", 5000)},
		{"product_id", "ex{rps}", "game_id", "gx3", "type", "game_over", "winner_id", "u1", "loser_id", "u2"},
	}
}

func groupPending(ctx context.Context, rdb *redis.Client, stream, group string) int64 {
	gs, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return -1
	}
	for _, g := range gs {
		if g.Name == group {
			return g.Pending
		}
	}
	return -1
}

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
	srv := testredis.Start(t, "--appendonly", "yes")
	rdb := srv.Client()
	ctx := context.Background()
	bin := buildStatsctl(t)
	const stream = "game_event_stream"
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	all := genEntries(t, gen.Options{Games: 3000, Players: 200, Seed: seed, Products: []string{"exrps", "exrps", "chess"}, BadEvery: 60})
	all = append(all, extraBad()...)
	half := len(all) / 2
	want := newModel()
	for _, e := range all {
		want.add(e)
	}
	if want.invalid < 20 {
		t.Fatalf("generator gave only %d invalid entries; the test needs some", want.invalid)
	}
	xaddAll(ctx, t, rdb, stream, all[:half])

	common := []string{"--redis", srv.URL(), "--metrics-addr", "off", "--claim-after", "300ms", "--count", "200", "--log-level", "warn"}

	// Phase 1: SIGKILL at random moments, sometimes two consumers at once.
	killedMidBatch := 0
	for round := 0; round < 6; round++ {
		n := 1
		if round%3 == 1 {
			n = 2
		}
		var ps []*proc
		for i := 0; i < n; i++ {
			ps = append(ps, startConsume(t, bin, common...))
		}
		time.Sleep(time.Duration(30+rng.IntN(150)) * time.Millisecond)
		for _, p := range ps {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
		}
		for _, p := range ps {
			p.wait(t, 5*time.Second)
		}
		if groupPending(ctx, rdb, stream, "statsctl") > 0 {
			killedMidBatch++
		}
	}
	t.Logf("%d of 6 kill rounds left entries pending (killed mid-batch)", killedMidBatch)
	if killedMidBatch == 0 {
		t.Errorf("no kill landed mid-batch; the test did not exercise recovery (machine too fast? lower --count)")
	}

	// Phase 2: more events while a consumer runs; redis-server is killed and
	// restarted from its AOF under it; then SIGTERM must exit 0 promptly.
	p := startConsume(t, bin, append(common, "--log-level", "info")...)
	xaddAll(ctx, t, rdb, stream, all[half:])
	time.Sleep(time.Duration(20+rng.IntN(100)) * time.Millisecond)
	srv.Restart()
	rdb = srv.Client()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.output(), "redis is back") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if code := p.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("SIGTERM: exit %d, want 0; log:\n%s", code, tail(p.output()))
	}
	if took := time.Since(began); took > 3*time.Second {
		t.Errorf("SIGTERM took %s to exit, want a few seconds at most", took)
	}
	out := p.output()
	if !strings.Contains(out, "redis unavailable; retrying") {
		t.Errorf("no retry log line after the redis restart; log:\n%s", tail(out))
	}
	if !strings.Contains(out, "consumer stopped") {
		t.Errorf("no clean stop logged after SIGTERM; log:\n%s", tail(out))
	}

	// Phase 3: one more kill, then a final drain finishes what is left,
	// including entries the killed consumers left pending.
	k := startConsume(t, bin, common...)
	time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond)
	_ = k.cmd.Process.Signal(syscall.SIGKILL)
	k.wait(t, 5*time.Second)

	d1 := startConsume(t, bin, append(common, "--drain")...)
	d2 := startConsume(t, bin, append(common, "--drain")...)
	for _, d := range []*proc{d1, d2} {
		if code := d.wait(t, 60*time.Second); code != 0 {
			t.Fatalf("drain: exit %d; log:\n%s", code, tail(d.output()))
		}
	}

	if n := rdb.XLen(ctx, stream).Val(); n != int64(len(all)) {
		t.Errorf("shared stream has %d entries, want the %d written: statsctl must never trim or delete", n, len(all))
	}
	if pend := groupPending(ctx, rdb, stream, "statsctl"); pend != 0 {
		t.Errorf("after drain %d entries pending, want 0", pend)
	}
	want.compare(ctx, t, rdb, "statsctl")

	dead, err := rdb.XRange(ctx, stream+":dead", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != want.invalid {
		t.Errorf("dead-letter stream has %d entries, want exactly %d (one per invalid entry)", len(dead), want.invalid)
	}
	seen := map[string]bool{}
	reasons := map[string]int{}
	for _, d := range dead {
		id, _ := d.Values[consumer.DeadFieldID].(string)
		r, _ := d.Values[consumer.DeadFieldReason].(string)
		if id == "" || r == "" || seen[id] {
			t.Errorf("dead letter %s: source id %q, reason %q (duplicate %v)", d.ID, id, r, seen[id])
		}
		seen[id] = true
		reasons[r]++
	}
	t.Logf("%d entries, %d invalid, dead letters by reason: %v", len(all), want.invalid, reasons)
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
	bin := buildStatsctl(t)
	p := startConsume(t, bin, "--redis", "redis://127.0.0.1:1", "--connect-timeout", "3s", "--metrics-addr", "off")
	if code := p.wait(t, 15*time.Second); code != 1 {
		t.Fatalf("exit %d, want 1; log:\n%s", code, p.output())
	}
	if out := p.output(); !strings.Contains(out, "did not answer within --connect-timeout 3s") || !strings.Contains(out, "retrying") {
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
	es := genEntries(t, gen.Options{Games: 200, Seed: 7, BadEvery: 30})
	want := newModel()
	for _, e := range es {
		want.add(e)
	}
	xaddAll(ctx, t, events.Client(), "game_event_stream", es)
	bin := buildStatsctl(t)
	p := startConsume(t, bin, "--redis", stats.URL(), "--stream-redis", events.URL(), "--drain", "--metrics-addr", "off")
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, p.output())
	}
	want.compare(ctx, t, stats.Client(), "statsctl")
	if n := events.Client().XLen(ctx, "game_event_stream:dead").Val(); n != int64(want.invalid) {
		t.Errorf("%d dead letters on the stream server, want %d", n, want.invalid)
	}
	if n := stats.Client().Exists(ctx, "game_event_stream", "game_event_stream:dead").Val(); n != 0 {
		t.Errorf("stream keys were created on the stats server")
	}
}
