package consume_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// kindConfigs are the product configurations BenchmarkBoardKindCost
// compares (issue 15: every board kind's cost per event against wins only).
// Each is the whole product: boards only, no stats rules, so the difference
// to wins-only is what the board kind costs.
var kindConfigs = []benchConfig{
	{"wins", winsOnlyBoards},
	{"wins+value", `
      - {name: wins, scorer: wins}
      - {name: rounds, scorer: value, match: {type: gameplay, event_name: progression}, player: user_id, field: event_data, op: sum}`},
	{"wins+weekly+monthly", winsPeriodicBoards},
	{"wins+segmented", `
      - {name: wins, scorer: wins}
      - {name: regional, scorer: wins, split_by: [region], segments: [eu, us, asia]}`},
	{"elo", `
      - {name: elo, scorer: elo, k: 32}`},
	{"openskill", `
      - {name: skill, scorer: openskill}`},
	{"glicko2", `
      - {name: glicko, scorer: glicko2}`},
}

// kindStream is the generated exrps stream (about 17 entries a game, most
// of them events no board needs) with two changes so every kind has work:
// each game's result carries a region (eu, us or asia, for the segmented
// board), and every second game ends in a 2v2 match_over (teams and ranks,
// two more players) instead of the 1v1 game_over, so OpenSkill rates team
// games and the other kinds count them as they count results.
func kindStream(b *testing.B, n int) []e2etest.Entry {
	b.Helper()
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps"}, BadEvery: 2000}, n)
	regions := []string{"eu", "us", "asia"}
	for k, e := range es {
		if len(e) < 10 || e[4] != "type" || e[5] != "game_over" {
			continue
		}
		g, err := strconv.Atoi(strings.TrimPrefix(e[3], "g"))
		if err != nil || e[6] != "winner_id" || e[8] != "loser_id" {
			continue // a broken line of the generator: leave it as it is
		}
		region := regions[g%len(regions)]
		if g%2 == 1 {
			es[k] = append(e[:10:10], "region", region)
			continue
		}
		mate := func(u string, d int) string {
			i, _ := strconv.Atoi(strings.TrimPrefix(u, "u"))
			return "u" + strconv.Itoa(1+(i+d)%5000)
		}
		w, l := e[7], e[9]
		wm, lm := mate(w, 1237), mate(l, 2711)
		if wm == l || wm == lm || lm == w {
			wm, lm = mate(w, 3001), mate(l, 4003)
		}
		teams := fmt.Sprintf(`[["%s","%s"],["%s","%s"]]`, w, wm, l, lm)
		es[k] = e2etest.Entry{"product_id", "exrps", "game_id", e[3], "type", "match_over", "teams", teams, "ranks", "[1,2]", "region", region}
	}
	return es
}

// redisCPU is redis-server's own CPU seconds (used_cpu_user + used_cpu_sys).
func redisCPU(ctx context.Context, b *testing.B, rdb redis.UniversalClient) float64 {
	b.Helper()
	info, err := rdb.Info(ctx, "cpu").Result()
	if err != nil {
		b.Fatal(err)
	}
	var s float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_user" || k == "used_cpu_sys") {
			f, _ := strconv.ParseFloat(v, 64)
			s += f
		}
	}
	return s
}

// commandCalls is INFO commandstats as command -> calls, and command+"
// usec" -> the microseconds Redis spent in it (a script's include the
// commands it ran).
func commandCalls(ctx context.Context, b *testing.B, rdb redis.UniversalClient) map[string]int64 {
	b.Helper()
	info, err := rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(k, "cmdstat_") {
			continue
		}
		for _, f := range strings.Split(v, ",") {
			if c, ok := strings.CutPrefix(f, "calls="); ok {
				out[strings.TrimPrefix(k, "cmdstat_")], _ = strconv.ParseInt(c, 10, 64)
			}
			if c, ok := strings.CutPrefix(f, "usec="); ok {
				out[strings.TrimPrefix(k, "cmdstat_")+" usec"], _ = strconv.ParseInt(c, 10, 64)
			}
		}
	}
	return out
}

// benchConfig is one product configuration of a side-by-side benchmark:
// its name and its boards (YAML list items under boards:).
type benchConfig struct{ name, boards string }

// BenchmarkBoardKindCost is `make bench-kinds` (issue 15): the same
// generated stream (kindStream) drained by `consume --drain` once per
// product configuration (kindConfigs), each into a fresh namespace and
// group on one redis-server, alternating over BENCH_ROUNDS rounds
// (default 3). It prints one table (compareConfigs). BENCH_EVENTS sets
// the stream size (default 200,000). BENCH_KINDS (a comma list of names)
// runs only some configurations (wins always runs); BENCH_PROFILE_DIR
// writes each run's Go CPU profile and Redis command counts there, for
// finding where a kind's cost goes; BENCH_CONSUME_ARGS adds consume flags
// to every run.
func BenchmarkBoardKindCost(b *testing.B) {
	n := 200_000
	if os.Getenv("BENCH_EVENTS") != "" {
		n = benchEvents()
	}
	only := map[string]bool{"wins": true}
	for _, k := range strings.Split(os.Getenv("BENCH_KINDS"), ",") {
		only[strings.TrimSpace(k)] = true
	}
	var cfgs []benchConfig
	for _, c := range kindConfigs {
		if os.Getenv("BENCH_KINDS") == "" || only[c.name] {
			cfgs = append(cfgs, c)
		}
	}
	for i := 0; i < b.N; i++ {
		compareConfigs(b, kindStream(b, n), cfgs, benchRounds(3))
	}
}

// benchRounds is BENCH_ROUNDS, else def.
func benchRounds(def int) int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && v > 0 {
		return v
	}
	return def
}

// cfgRun is one drain of a side-by-side benchmark.
type cfgRun struct {
	wall, cpu time.Duration
	redis     float64 // redis-server CPU seconds during the drain
	rssKB     int64
}

// compareConfigs drains es once per configuration per round, each into a
// fresh namespace and group on one fresh redis-server, the order reversed
// every other round so no configuration always runs first. The first
// configuration is the baseline. It logs a table: entries/s over all
// rounds, statsctl CPU s, redis-server CPU s (INFO used_cpu_user+sys
// delta), peak RSS, the rate ratio to the baseline (its wall over this
// one's, summed over the rounds, then each round's own ratio, as rounds
// on a shared machine differ) and the CPU ratio (statsctl + redis). It
// reports each configuration's median round ratio as rate_ratio_<name>.
func compareConfigs(b *testing.B, es []e2etest.Entry, cfgs []benchConfig, rounds int) map[string][]cfgRun {
	b.Helper()
	b.StopTimer()
	srv := testredis.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(b)
	e2etest.XAddAll(ctx, b, rdb, consumer.DefaultStream, es)
	dir := b.TempDir()
	path := map[string]string{}
	for _, c := range cfgs {
		p := filepath.Join(dir, strings.ReplaceAll(c.name, "+", "_")+".yaml")
		if err := os.WriteFile(p, []byte("products:\n  exrps:\n    boards:"+c.boards+"\n"), 0o644); err != nil {
			b.Fatal(err)
		}
		path[c.name] = p
	}
	prof := os.Getenv("BENCH_PROFILE_DIR")
	load := func() string {
		l, _ := os.ReadFile("/proc/loadavg")
		return strings.Join(strings.Fields(string(l))[:3], " ")
	}
	loadBefore := load()
	b.StartTimer()
	res := map[string][]cfgRun{}
	for round := 0; round < rounds; round++ {
		order := append([]benchConfig(nil), cfgs...)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			ns := fmt.Sprintf("bk%d-%s", round, strings.ReplaceAll(c.name, "+", "-"))
			args := []string{"--config", path[c.name], "--namespace", ns, "--group", ns}
			args = append(args, strings.Fields(os.Getenv("BENCH_CONSUME_ARGS"))...)
			if prof != "" {
				args = append(args, "--cpu-profile", filepath.Join(prof, ns+".pprof"))
			}
			calls0 := commandCalls(ctx, b, rdb)
			r0 := redisCPU(ctx, b, rdb)
			r := drainCPU(b, bin, srv.URL(), args...)
			rc := redisCPU(ctx, b, rdb) - r0
			res[c.name] = append(res[c.name], cfgRun{r.wall, r.cpu, rc, r.rssKB})
			if prof != "" {
				writeCalls(b, filepath.Join(prof, ns+".commandstats"), calls0, commandCalls(ctx, b, rdb), len(es))
			}
		}
	}
	b.StopTimer()
	sum := func(rs []cfgRun) (r cfgRun) {
		for _, x := range rs {
			r.wall += x.wall
			r.cpu += x.cpu
			r.redis += x.redis
			r.rssKB = max(r.rssKB, x.rssKB)
		}
		return r
	}
	baseName := cfgs[0].name
	base := sum(res[baseName])
	var tb strings.Builder
	fmt.Fprintf(&tb, "%s: %d entries, %d rounds alternating, load average %s before, %s after\n", time.Now().Format("2006-01-02"), len(es), rounds, loadBefore, load())
	fmt.Fprintf(&tb, "%-20s %10s %11s %8s %8s %10s %10s  %s\n", "configuration", "entries/s", "statsctl_s", "redis_s", "rss_MB", "rate_ratio", "cpu_ratio", "rate_ratio per round")
	for _, c := range cfgs {
		s := sum(res[c.name])
		var each []string
		var per []float64
		for k, x := range res[c.name] {
			r := res[baseName][k].wall.Seconds() / x.wall.Seconds()
			per = append(per, r)
			each = append(each, fmt.Sprintf("%.2f", r))
		}
		rate := float64(len(es)*len(res[c.name])) / s.wall.Seconds()
		fmt.Fprintf(&tb, "%-20s %10.0f %11.2f %8.2f %8.1f %9.2fx %9.2fx  %s\n", c.name, rate, s.cpu.Seconds(), s.redis,
			float64(s.rssKB)/1024, base.wall.Seconds()/s.wall.Seconds(),
			(s.cpu.Seconds()+s.redis)/(base.cpu.Seconds()+base.redis), strings.Join(each, " "))
		if c.name != baseName {
			slices.Sort(per)
			b.ReportMetric(per[len(per)/2], "rate_ratio_"+strings.ReplaceAll(c.name, "+", "_"))
		}
	}
	b.Logf("rate_ratio: %s's wall / this wall; cpu_ratio: (statsctl + redis CPU) / %s's; sums over the rounds\n%s", baseName, baseName, tb.String())
	return res
}

// writeCalls writes the Redis commands one drain ran, per command: calls
// and calls per stream entry.
func writeCalls(b *testing.B, path string, before, after map[string]int64, entries int) {
	b.Helper()
	var names []string
	for k := range after {
		if after[k]-before[k] > 0 && k != "info" && !strings.HasSuffix(k, " usec") {
			names = append(names, k)
		}
	}
	sort.Slice(names, func(i, j int) bool { return after[names[i]]-before[names[i]] > after[names[j]]-before[names[j]] })
	var sb strings.Builder
	for _, k := range names {
		d := after[k] - before[k]
		us := after[k+" usec"] - before[k+" usec"]
		fmt.Fprintf(&sb, "%-28s %10d calls %8.3f/entry %9d usec %7.2f usec/call\n", k, d, float64(d)/float64(entries), us, float64(us)/float64(d))
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
}
