package consume_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// BenchmarkScale is `make bench-scale`: the same realistic stream
// (BENCH_EVENTS, default 1,000,000) is drained by 1, 2 and 4 `statsctl
// consume --drain` processes in one group, first on one redis-server, then
// on a three-master Redis Cluster (stream on one node, products spread over
// all three). Each run uses a fresh group and namespace, and its keys are
// deleted afterwards so memory stays flat. All runs happen side by side in
// one process on one machine, so the ratios are comparable even when the
// absolute figures are noisy; the table at the end is what docs/scale.md
// quotes.
func BenchmarkScale(b *testing.B) {
	ctx := context.Background()
	bin := e2etest.BuildStatsctl(b)
	n := benchEvents()
	es := e2etest.GenEntriesN(b, gen.Options{Players: 5000, Seed: 42, Products: []string{"exrps", "exrps", "exrps", "chess", "tictactoe", "tetris"}, BadEvery: 2000}, n)
	srv := testredis.Start(b)
	cl := testredis.StartCluster(b)
	targets := []struct {
		name string
		url  string
		rdb  redis.UniversalClient
	}{
		{"one redis-server", srv.URL(), srv.Client()},
		{"cluster (3 masters)", cl.URL(), cl.Client()},
	}
	type row struct {
		target    string
		consumers int
		wall      time.Duration
		rate      float64
	}
	var rows []row
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, tg := range targets {
			b.StopTimer()
			loadStart := time.Now()
			e2etest.XAddAll(ctx, b, tg.rdb, consumer.DefaultStream, es)
			b.Logf("%s: loaded %d entries in %s (not timed)", tg.name, len(es), time.Since(loadStart).Round(time.Millisecond))
			b.StartTimer()
			for _, k := range []int{1, 2, 4} {
				ns := fmt.Sprintf("s%d-%s-%d", i, strings.Fields(tg.name)[0], k)
				r := drain(b, bin, tg.url, k, "--namespace", ns, "--group", ns)
				rate := float64(len(es)) / r.wall.Seconds()
				rows = append(rows, row{tg.name, k, r.wall, rate})
				b.ReportMetric(rate, fmt.Sprintf("events/s_%s_%d", strings.Fields(tg.name)[0], k))
				b.StopTimer()
				for _, key := range e2etest.Keys(ctx, b, tg.rdb, ns+":*") {
					tg.rdb.Del(ctx, key)
				}
				b.StartTimer()
			}
			b.StopTimer()
			tg.rdb.Del(ctx, consumer.DefaultStream, consumer.DefaultStream+":dead")
			b.StartTimer()
		}
	}
	var sb strings.Builder
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "target\tconsumers\tevents\twall\tevents/s combined\tvs 1 consumer\t\n")
	base := map[string]float64{}
	for _, r := range rows {
		if r.consumers == 1 {
			base[r.target] = r.rate
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%.0f\t%.2fx\t\n", r.target, r.consumers, len(es), r.wall.Round(time.Millisecond), r.rate, r.rate/base[r.target])
	}
	tw.Flush()
	b.Logf("combined consume rate (%d events each run):\n%s", len(es), sb.String())
}
