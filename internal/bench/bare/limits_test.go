package bare_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// envInt is an integer from the environment, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkLimits is `make bench-limits`: statsctl against the bare
// programs of this package, on the same data in the same run.
//
//  1. A realistic stream (BenchmarkConsume's: exrps games of ~17 entries,
//     some chess games, a bad entry about every 2,000; BENCH_EVENTS
//     entries, default 1,000,000) is XADDed to a fresh local redis-server
//     (not timed). Then LIMITS_ROUNDS (default 5) rounds: the bare reader
//     drains it in a fresh group, then `statsctl consume --drain` in
//     another fresh group and namespace, each timed from process start to
//     exit.
//  2. `statsctl serve` serves the board the first drain built; the bare
//     server serves the exact bytes serve answered for top_ten. Each gets
//     `wrk -t2 -c32 -d<LIMITS_WRK_SECONDS, 10>s --latency` on
//     /leaderboards/top_ten/exrps, bare then statsctl, LIMITS_ROUNDS times.
//
// It logs one table: each round's rates, ratio and p99s, the CPU seconds
// Redis spent on each side of a drain (statsctl keeps Redis busy, the bare
// reader about 60%: their ratio is the extra work statsctl gives Redis),
// the medians of the ratios (what it reports as metrics), and redis-benchmark's GET rate
// on the same server as a yardstick of how loaded the shared machine was
// (compare runs by their ratios, never by their rates).
func BenchmarkLimits(b *testing.B) {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		b.Skip("wrk not installed (apt-get install wrk, or make wrk)")
	}
	srv := testredis.Start(b)
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(b)
	reader := buildTool(b, "reader")
	topten := buildTool(b, "topten")
	n := envInt("BENCH_EVENTS", 1_000_000)
	secs := envInt("LIMITS_WRK_SECONDS", 10)
	rounds := envInt("LIMITS_ROUNDS", 5)
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps", "exrps", "exrps", "chess"}, BadEvery: 2000}, n)
	loadStart := time.Now()
	e2etest.XAddAll(ctx, b, srv.Client(), "game_event_stream", es)
	b.Logf("loaded %d entries in %s (not timed)", len(es), time.Since(loadStart).Round(time.Millisecond))

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var drains, serves []limitsRound
		var first string
		// 1. drain: bare reader and statsctl alternate, each in a fresh
		// group (statsctl also in a fresh namespace), so a change in the
		// machine's load falls on both sides alike.
		for r := 0; r < rounds; r++ {
			ns := fmt.Sprintf("lim%d-%d", i, r)
			if r == 0 {
				first = ns
			}
			cpu0 := redisCPU(ctx, b, srv.Client())
			bareWall, out := runTimed(b, reader, "-redis", srv.URL(), "-group", "bare-"+ns)
			cpu1 := redisCPU(ctx, b, srv.Client())
			if !strings.Contains(out, fmt.Sprintf("reader: %d entries", len(es))) {
				b.Fatalf("bare reader did not read all %d entries: %s", len(es), out)
			}
			statsWall, _ := runTimed(b, bin, "consume", "--redis", srv.URL(), "--drain", "--metrics-addr", "off",
				"--log-level", "error", "--namespace", ns, "--group", ns)
			cpu2 := redisCPU(ctx, b, srv.Client())
			for _, g := range []string{"bare-" + ns, ns} {
				if p := e2etest.GroupPending(ctx, srv.Client(), "game_event_stream", g); p != 0 {
					b.Fatalf("group %s has %d entries pending after its drain", g, p)
				}
			}
			drains = append(drains, limitsRound{
				stats: float64(len(es)) / statsWall.Seconds(), bare: float64(len(es)) / bareWall.Seconds(),
				statsRedisCPU: cpu2 - cpu1, bareRedisCPU: cpu1 - cpu0})
			b.Logf("drain round %d: statsctl %s, bare %s (process start to exit)", r+1,
				statsWall.Round(time.Millisecond), bareWall.Round(time.Millisecond))
		}

		// 2. serve: statsctl serve on the first drain's board, bare on its
		// bytes; wrk alternates between them.
		_, base := e2etest.StartServe(b, bin, "--redis", srv.URL(), "--namespace", first, "--listen", "127.0.0.1:0", "--access-log=false")
		body := httpGet(b, base+"/leaderboards/top_ten/exrps")
		if !strings.Contains(body, "user_id") {
			b.Fatalf("serve's top_ten is empty: %s", body)
		}
		bodyFile := filepath.Join(b.TempDir(), "top_ten.json")
		if err := os.WriteFile(bodyFile, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		bareBase := startTopten(b, topten, bodyFile)
		if got := httpGet(b, bareBase+"/leaderboards/top_ten/exrps"); got != body {
			b.Fatalf("bare server answers %q, serve %q", got, body)
		}
		yard := yardstick(b, srv.Addr)
		for r := 0; r < rounds; r++ {
			bareHTTP := runWrk(b, wrk, secs, bareBase+"/leaderboards/top_ten/exrps")
			statsHTTP := runWrk(b, wrk, secs, base+"/leaderboards/top_ten/exrps")
			serves = append(serves, limitsRound{stats: statsHTTP.rate, bare: bareHTTP.rate,
				statsP99: statsHTTP.p99ms, bareP99: bareHTTP.p99ms})
		}
		cons, serve := median(drains, limitsRound.ratio), median(serves, limitsRound.ratio)
		p99 := median(serves, limitsRound.p99Ratio)
		b.ReportMetric(cons, "consume_ratio")
		b.ReportMetric(serve, "serve_ratio")
		b.ReportMetric(p99, "serve_p99_ratio")
		redisCPU := median(drains, limitsRound.redisCPURatio)
		b.ReportMetric(redisCPU, "consume_redis_cpu_ratio")

		var sb strings.Builder
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "what\tround\tstatsctl\tbare\tstatsctl/bare\tp99 statsctl\tp99 bare\tp99 ratio\tRedis CPU statsctl\tRedis CPU bare\t\n")
		for r, d := range drains {
			fmt.Fprintf(tw, "consume --drain, %d entries (entries/s)\t%d\t%.0f\t%.0f\t%.2fx\t-\t-\t-\t%.2f s\t%.2f s\t\n", len(es), r+1, d.stats, d.bare, d.ratio(),
				d.statsRedisCPU, d.bareRedisCPU)
		}
		for r, s := range serves {
			fmt.Fprintf(tw, "top_ten, wrk -t2 -c32 -d%ds (req/s)\t%d\t%.0f\t%.0f\t%.2fx\t%.2f ms\t%.2f ms\t%.2fx\t-\t-\t\n", secs, r+1,
				s.stats, s.bare, s.ratio(), s.statsP99, s.bareP99, s.p99Ratio())
		}
		fmt.Fprintf(tw, "consume, median of %d\t\t\t\t%.2fx\t\t\t\t%.2fx of bare's\t\t\n", rounds, cons, redisCPU)
		fmt.Fprintf(tw, "serve, median of %d\t\t\t\t%.2fx\t\t\t%.2fx\t\t\t\n", rounds, serve, p99)
		tw.Flush()
		b.Logf("yardstick: %s\n%s", yard, sb.String())
	}
}

// limitsRound is one side-by-side measurement: statsctl's rate and the
// bare program's, taken one right after the other.
type limitsRound struct {
	stats, bare       float64 // rates
	statsP99, bareP99 float64 // ms; serve rounds only
	// Redis's CPU seconds (user+sys, INFO cpu) during each side's drain:
	// a drain is bound by Redis's work, so this says how much more work
	// statsctl gives Redis than the bare reader does (drain rounds only).
	statsRedisCPU, bareRedisCPU float64
}

func (r limitsRound) ratio() float64    { return r.stats / r.bare }
func (r limitsRound) p99Ratio() float64 { return r.statsP99 / r.bareP99 }
func (r limitsRound) redisCPURatio() float64 {
	return r.statsRedisCPU / r.bareRedisCPU
}

// redisCPU is the CPU seconds (user+sys) redis-server has used so far.
func redisCPU(ctx context.Context, b *testing.B, rdb *redis.Client) float64 {
	b.Helper()
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		b.Fatalf("INFO cpu: %v", err)
	}
	var sum float64
	found := 0
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("INFO cpu: %s is %q", k, v)
			}
			sum += f
			found++
		}
	}
	if found != 2 {
		b.Fatalf("INFO cpu has no used_cpu_user and used_cpu_sys:\n%s", info)
	}
	return sum
}

// median of f over the rounds: one round disturbed by the shared machine
// does not decide the figure.
func median(rs []limitsRound, f func(limitsRound) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// buildTool builds ./<name> of this package's directory into a temp dir.
func buildTool(b *testing.B, name string) string {
	b.Helper()
	_, file, _, _ := runtime.Caller(0)
	out := filepath.Join(b.TempDir(), name)
	cmd := exec.Command("go", "build", "-o", out, "./"+name)
	cmd.Dir = filepath.Dir(file)
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", name, err, msg)
	}
	return out
}

// runTimed runs a program to its end and returns its wall time and output.
func runTimed(b *testing.B, bin string, args ...string) (time.Duration, string) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = e2etest.EnvWithout("STATSCTL_REDIS_URL", "STATS_TRACKER_REDIS_URL", "GAME_EVENT_STREAM_REDIS_URL", "STATSCTL_CONFIG")
	began := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(began)
	if err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return took, string(out)
}

// startTopten starts the bare server and returns its base URL.
func startTopten(b *testing.B, bin, bodyFile string) string {
	b.Helper()
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-body", bodyFile)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(line)
	if err != nil || m == nil {
		b.Fatalf("topten printed %q: %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return m[1]
}

func httpGet(b *testing.B, u string) string {
	b.Helper()
	resp, err := http.Get(u)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %s", u, resp.Status)
	}
	return string(body)
}

// yardstick is redis-benchmark's GET rate against addr, as bench-serve.sh
// prints it.
func yardstick(b *testing.B, addr string) string {
	b.Helper()
	rb, err := exec.LookPath("redis-benchmark")
	if err != nil {
		return "redis-benchmark not installed"
	}
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command(rb, "-h", host, "-p", port, "-t", "get", "-c", "32", "-n", "200000", "-q").CombinedOutput()
	m := regexp.MustCompile(`GET: ([0-9.]+) requests per second`).FindAllStringSubmatch(strings.ReplaceAll(string(out), "\r", "\n"), -1)
	if err != nil || m == nil {
		return fmt.Sprintf("redis-benchmark failed: %v %q", err, out)
	}
	return "redis-benchmark GET " + m[len(m)-1][1] + " req/s"
}

type wrkResult struct {
	rate  float64 // requests/s
	p99ms float64
}

// runWrk runs wrk and reads its rate and p99.
func runWrk(b *testing.B, wrk string, secs int, u string) wrkResult {
	b.Helper()
	out, err := exec.Command(wrk, "-t2", "-c32", fmt.Sprintf("-d%ds", secs), "--latency", u).CombinedOutput()
	if err != nil {
		b.Fatalf("wrk %s: %v\n%s", u, err, out)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		b.Fatalf("wrk %s: %v\n%s", u, err, out)
	}
	if strings.Contains(string(out), "Non-2xx") || strings.Contains(string(out), "Socket errors") {
		b.Fatalf("wrk %s saw errors:\n%s", u, out)
	}
	return r
}

// parseWrk reads "Requests/sec:" and the "99%" latency line of wrk's
// --latency output.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	rate := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindStringSubmatch(out)
	p99 := regexp.MustCompile(`(?m)^\s+99%\s+([0-9.]+)(us|ms|s)\s*$`).FindStringSubmatch(out)
	if rate == nil || p99 == nil {
		return r, fmt.Errorf("no Requests/sec or 99%% line")
	}
	r.rate, _ = strconv.ParseFloat(rate[1], 64)
	v, _ := strconv.ParseFloat(p99[1], 64)
	switch p99[2] {
	case "us":
		v /= 1000
	case "s":
		v *= 1000
	}
	r.p99ms = v
	return r, nil
}
