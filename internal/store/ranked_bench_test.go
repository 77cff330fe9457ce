package store_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// BenchmarkRankList measures a ranked list of 10, 100 and 1,000 ids on a
// board of 100,000 players on a real redis-server, next to one Rank call
// (the cost of one round trip and one script) and to ranking 100 ids with
// one Rank call each (what a client without RankList would do). Besides
// wall time per op it reports redis-cpu-us/op, the CPU the server spent
// (INFO cpu), which a loaded machine inflates far less than wall time:
//
//	go test -run '^$' -bench RankList -benchtime 200x ./internal/store/
func BenchmarkRankList(b *testing.B) {
	rdb := testredis.Start(b).Client()
	st := store.New(rdb, store.Options{})
	const players = 100_000
	key := st.Keys().Board("bench", "wins")
	for lo := 0; lo < players; lo += 10_000 {
		zs := make([]redis.Z, 0, 10_000)
		for i := lo; i < lo+10_000; i++ {
			zs = append(zs, redis.Z{Score: float64(i % 997), Member: fmt.Sprintf("u%d", i)})
		}
		if err := rdb.ZAdd(ctx, key, zs...).Err(); err != nil {
			b.Fatal(err)
		}
	}
	ids := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("u%d", (i*7919)%players)
		}
		out[n-1] = "absent" // one friend who never played
		return out
	}
	b.Run("rank-1", func(b *testing.B) {
		defer serverCPU(b, rdb)()
		for b.Loop() {
			if _, err := st.Rank(ctx, store.BoardRef{Product: "bench", Instance: "wins"}, "u42"); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, n := range []int{10, 100, 1000} {
		list := ids(n)
		b.Run(fmt.Sprintf("list-%d", n), func(b *testing.B) {
			defer serverCPU(b, rdb)()
			for b.Loop() {
				l, err := st.RankList(ctx, store.BoardRef{Product: "bench", Instance: "wins"}, list)
				if err != nil || len(l.Entries) != n-1 {
					b.Fatalf("%d entries, %v", len(l.Entries), err)
				}
			}
		})
	}
	list := ids(100)
	b.Run("rank-each-of-100", func(b *testing.B) {
		defer serverCPU(b, rdb)()
		for b.Loop() {
			for _, u := range list[:99] {
				if _, err := st.Rank(ctx, store.BoardRef{Product: "bench", Instance: "wins"}, u); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

// serverCPU starts measuring the CPU redis-server's main thread spends;
// the returned function reports it per op.
func serverCPU(b *testing.B, rdb redis.UniversalClient) func() {
	read := func() float64 {
		info, err := rdb.Info(ctx, "cpu").Result()
		if err != nil {
			b.Fatal(err)
		}
		var sum float64
		for _, line := range strings.Split(info, "\r\n") {
			k, v, _ := strings.Cut(line, ":")
			if k == "used_cpu_sys_main_thread" || k == "used_cpu_user_main_thread" {
				f, _ := strconv.ParseFloat(v, 64)
				sum += f
			}
		}
		return sum
	}
	start := read()
	return func() { b.ReportMetric((read()-start)/float64(b.N)*1e6, "redis-cpu-us/op") }
}
