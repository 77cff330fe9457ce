package consume_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
)

const winsOnlyBoards = `
      - {name: wins, scorer: wins}`

const winsPeriodicBoards = `
      - {name: wins, scorer: wins}
      - {name: weekly, scorer: wins, period: weekly, keep: 8, standings: 10}
      - {name: monthly, scorer: wins, period: monthly, time_zone: Europe/Berlin, keep: 12, standings: 10}`

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
// wins plus a weekly and a monthly board, alternately in one run (A B B A
// A B ...), each into a fresh namespace and group (compareConfigs).
// BENCH_EVENTS sets the stream size (default 200,000), BENCH_ROUNDS the
// rounds (default 3). rate_ratio is the median round's periodic/wins rate.
func BenchmarkConsumePeriodic(b *testing.B) {
	n := 200_000
	if os.Getenv("BENCH_EVENTS") != "" {
		n = benchEvents()
	}
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps"}, BadEvery: 2000}, n)
	cfgs := []benchConfig{{"wins", winsOnlyBoards}, {"periodic", winsPeriodicBoards}}
	for i := 0; i < b.N; i++ {
		res := compareConfigs(b, es, cfgs, benchRounds(3))
		var wc, pc float64
		var wr, pr int64
		for k := range res["wins"] {
			wc += res["wins"][k].cpu.Seconds() + res["wins"][k].redis
			pc += res["periodic"][k].cpu.Seconds() + res["periodic"][k].redis
			wr, pr = max(wr, res["wins"][k].rssKB), max(pr, res["periodic"][k].rssKB)
		}
		b.ReportMetric(pc/wc, "cpu_ratio")
		b.ReportMetric(float64(pr)/float64(wr), "rss_ratio")
	}
}
