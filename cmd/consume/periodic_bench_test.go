package consume_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

const winsOnlyYAML = `products:
  exrps:
    boards:
      - {name: wins, scorer: wins}
`

const winsPeriodicYAML = `products:
  exrps:
    boards:
      - {name: wins, scorer: wins}
      - {name: weekly, scorer: wins, period: weekly, keep: 8, standings: 10}
      - {name: monthly, scorer: wins, period: monthly, time_zone: Europe/Berlin, keep: 12, standings: 10}
`

type cpuRun struct {
	wall, cpu time.Duration
	rssKB     int64
}

// drainCPU is one `consume --drain` with its wall time, CPU time (user +
// system, from the process's own rusage) and peak RSS (VmHWM, polled).
func drainCPU(b *testing.B, bin, url string, args ...string) cpuRun {
	b.Helper()
	c := exec.Command(bin, append([]string{"consume", "--redis", url, "--drain", "--metrics-addr", "off", "--log-level", "error"}, args...)...)
	c.Env = e2etest.EnvWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL", "STATSCTL_CONFIG")
	c.Stderr = os.Stderr
	began := time.Now()
	if err := c.Start(); err != nil {
		b.Fatal(err)
	}
	var r cpuRun
	done := make(chan struct{})
	go func() {
		for {
			if kb := e2etest.ProcStatusKB(c.Process.Pid, "VmHWM"); kb > r.rssKB {
				r.rssKB = kb
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err := c.Wait()
	r.wall = time.Since(began)
	close(done)
	if err != nil {
		b.Fatalf("consume --drain: %v", err)
	}
	r.cpu = c.ProcessState.UserTime() + c.ProcessState.SystemTime()
	return r
}

// BenchmarkConsumePeriodic is issue 12's performance check: the same
// stream drained by a product with the wins board alone and by one with
// wins plus a weekly and a monthly board, alternately in one run (A B A B),
// each into a fresh namespace and group. BENCH_EVENTS sets the stream size
// (default 200,000).
func BenchmarkConsumePeriodic(b *testing.B) {
	srv := testredis.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(b)
	n := 200_000
	if v := benchEvents(); os.Getenv("BENCH_EVENTS") != "" {
		n = v
	}
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps"}, BadEvery: 2000}, n)
	e2etest.XAddAll(ctx, b, rdb, consumer.DefaultStream, es)
	dir := b.TempDir()
	cfgs := map[string]string{"wins": filepath.Join(dir, "wins.yaml"), "periodic": filepath.Join(dir, "periodic.yaml")}
	if err := os.WriteFile(cfgs["wins"], []byte(winsOnlyYAML), 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(cfgs["periodic"], []byte(winsPeriodicYAML), 0o644); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runs := map[string][]cpuRun{}
		for round := 0; round < 2; round++ {
			for _, kind := range []string{"wins", "periodic"} {
				ns := fmt.Sprintf("bp%d-%d-%s", i, round, kind)
				runs[kind] = append(runs[kind], drainCPU(b, bin, srv.URL(), "--config", cfgs[kind], "--namespace", ns, "--group", ns))
			}
		}
		sum := func(rs []cpuRun) (wall, cpu time.Duration, rss int64) {
			for _, r := range rs {
				wall += r.wall
				cpu += r.cpu
				rss = max(rss, r.rssKB)
			}
			return
		}
		ww, wc, wr := sum(runs["wins"])
		pw, pc, pr := sum(runs["periodic"])
		b.ReportMetric(ww.Seconds()/pw.Seconds(), "rate_ratio")
		b.ReportMetric(pc.Seconds()/wc.Seconds(), "cpu_ratio")
		b.ReportMetric(float64(pr)/float64(wr), "rss_ratio")
		for _, kind := range []string{"wins", "periodic"} {
			for k, r := range runs[kind] {
				b.Logf("%-8s run %d: %d events in %s = %.0f events/s, CPU %s, peak RSS %.1f MB", kind, k+1, len(es),
					r.wall.Round(time.Millisecond), float64(len(es))/r.wall.Seconds(), r.cpu.Round(time.Millisecond), float64(r.rssKB)/1024)
			}
		}
		b.Logf("periodic/wins: rate %.2fx, CPU %.2fx, peak RSS %.2fx", ww.Seconds()/pw.Seconds(), pc.Seconds()/wc.Seconds(), float64(pr)/float64(wr))
	}
}
