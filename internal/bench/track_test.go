// Package bench holds the end-to-end benchmarks that back the figures in the
// README: they run the real statsctl binary against a real redis-server.
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// writeEvents writes a realistic exrps stream of about n events with ids.
func writeEvents(b *testing.B, n int) (string, int) {
	b.Helper()
	path := filepath.Join(b.TempDir(), fmt.Sprintf("events-%d.jsonl", n))
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	opts := gen.Options{Players: 5000, Seed: 7, IDs: true}
	games, err := gen.GamesFor(opts, n)
	if err != nil {
		b.Fatal(err)
	}
	opts.Games = games
	lines, _, err := gen.WriteJSONL(w, opts)
	if err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return path, lines
}

type trackRun struct {
	events  int
	seconds float64
	maxRSS  int64 // KiB
}

func runTrack(b *testing.B, bin, url, file string) trackRun {
	b.Helper()
	cmd := exec.CommandContext(context.Background(), bin, "track", "-f", file, "--redis", url, "-o", "json")
	start := time.Now()
	out, err := cmd.Output()
	el := time.Since(start)
	if err != nil {
		b.Fatalf("statsctl track: %v\n%s", err, out)
	}
	var sum struct {
		Events  int `json:"events"`
		Applied int `json:"applied"`
		Ignored int `json:"ignored"`
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		b.Fatalf("summary %q: %v", out, err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return trackRun{events: sum.Events, seconds: el.Seconds(), maxRSS: ru.Maxrss}
}

// BenchmarkTrack replays 1,000,000 realistic events into a real local
// redis-server with the statsctl binary, and 100,000 for comparison: the
// rate should hold and peak memory should not grow with the file.
func BenchmarkTrack(b *testing.B) {
	bin := e2etest.BuildStatsctl(b)
	small, _ := writeEvents(b, 100_000)
	big, lines := writeEvents(b, 1_000_000)
	b.Logf("generated %d events", lines)
	for i := 0; i < b.N; i++ {
		srv := testredis.Start(b)
		s := runTrack(b, bin, srv.URL(), small)
		srv2 := testredis.Start(b)
		l := runTrack(b, bin, srv2.URL(), big)
		b.Logf("100k: %d events in %.2fs = %.0f events/s, peak RSS %d MiB", s.events, s.seconds, float64(s.events)/s.seconds, s.maxRSS/1024)
		b.Logf("1M:   %d events in %.2fs = %.0f events/s, peak RSS %d MiB", l.events, l.seconds, float64(l.events)/l.seconds, l.maxRSS/1024)
		b.ReportMetric(float64(l.events)/l.seconds, "events/s")
		b.ReportMetric(float64(l.maxRSS)/1024, "peakRSS-MiB-1M")
		b.ReportMetric(float64(s.maxRSS)/1024, "peakRSS-MiB-100k")
	}
}
