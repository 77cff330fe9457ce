package consume_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// benchEvents is the stream size of the benchmark; BENCH_EVENTS
// overrides it for a quicker look.
func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 1_000_000
}

type drainRun struct {
	wall   time.Duration
	maxRSS []int64 // KiB, per process
}

// drain runs n `statsctl consume --drain` processes at once in one group
// and waits for all; peak RSS comes from each process's rusage.
func drain(b *testing.B, bin, url string, n int, extra ...string) drainRun {
	b.Helper()
	began := time.Now()
	cmds := make([]*exec.Cmd, n)
	for i := range cmds {
		args := append([]string{"consume", "--redis", url, "--drain", "--metrics-addr", "off", "--log-level", "error"}, extra...)
		cmds[i] = exec.Command(bin, args...)
		cmds[i].Env = e2etest.EnvWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL")
		cmds[i].Stderr = os.Stderr
		if err := cmds[i].Start(); err != nil {
			b.Fatal(err)
		}
	}
	// Peak RSS is VmHWM from /proc, polled until exit: rusage's maxrss of a
	// child is no good here, as Go starts children with a vfork-style clone
	// that charges them the parent's (this test's) resident memory.
	r := drainRun{maxRSS: make([]int64, n)}
	done := make(chan struct{})
	go func() {
		for {
			for i, c := range cmds {
				if kb := e2etest.ProcStatusKB(c.Process.Pid, "VmHWM"); kb > r.maxRSS[i] {
					r.maxRSS[i] = kb
				}
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var errs []error
	for _, c := range cmds {
		errs = append(errs, c.Wait())
	}
	r.wall = time.Since(began)
	close(done)
	for _, err := range errs {
		if err != nil {
			b.Fatalf("consume --drain: %v", err)
		}
	}
	return r
}

// BenchmarkConsume is `make bench-consume`: a realistic 1,000,000-event
// stream (exrps games of ~17 events, some other games, a few bad events) is
// XADDed to a real local redis-server (pipelined, not timed), then one
// `statsctl consume --drain` drains it; then two consumers in one fresh
// group drain it again into a fresh namespace, side by side in one run.
func BenchmarkConsume(b *testing.B) {
	srv := testredis.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(b)
	n := benchEvents()
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps", "exrps", "exrps", "chess"}, BadEvery: 2000}, n)
	loadStart := time.Now()
	e2etest.XAddAll(ctx, b, rdb, consumer.DefaultStream, es)
	b.Logf("loaded %d entries in %s (not timed)", len(es), time.Since(loadStart).Round(time.Millisecond))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ns1, ns2 := fmt.Sprintf("b%d-one", i), fmt.Sprintf("b%d-two", i)
		args := []string{"--namespace", ns1, "--group", ns1}
		if p := os.Getenv("BENCH_CPUPROFILE"); p != "" {
			// Profile the single consumer: go tool pprof <file>.
			args = append(args, "--cpu-profile", p)
		}
		one := drain(b, bin, srv.URL(), 1, args...)
		two := drain(b, bin, srv.URL(), 2, "--namespace", ns2, "--group", ns2)
		rate1 := float64(len(es)) / one.wall.Seconds()
		rate2 := float64(len(es)) / two.wall.Seconds()
		b.ReportMetric(rate1, "events/s")
		b.ReportMetric(float64(one.maxRSS[0])/1024, "peakRSS_MB")
		b.ReportMetric(rate2, "events/s_2consumers")
		b.Logf("one consumer:  %d events in %s = %.0f events/s, peak RSS %.1f MB", len(es), one.wall.Round(time.Millisecond), rate1, float64(one.maxRSS[0])/1024)
		b.Logf("two consumers: %d events in %s = %.0f events/s combined, peak RSS %.1f / %.1f MB", len(es), two.wall.Round(time.Millisecond), rate2,
			float64(two.maxRSS[0])/1024, float64(two.maxRSS[1])/1024)
	}
}
