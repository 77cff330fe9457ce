// Package querycost measures how each board query's cost grows with the
// board: the same queries on boards of 10^4, 10^6 (and, with
// QUERY_SIZES=10000,1000000,10000000, 10^7) players on one real
// redis-server, so docs/scale.md can state the growth from figures rather
// than from the complexity table of Redis's manual.
package querycost

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// sizes are the board sizes to measure (QUERY_SIZES, comma-separated).
func sizes(b *testing.B) []int {
	spec := os.Getenv("QUERY_SIZES")
	if spec == "" {
		spec = "10000,1000000"
	}
	var out []int
	for _, f := range strings.Split(spec, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			b.Fatalf("QUERY_SIZES entry %q: want a whole number >= 100", f)
		}
		out = append(out, n)
	}
	return out
}

// fill puts n players on exrps/wins inside Redis (no n round trips):
// scores 0..n/20, so about 20 players share each score, as wins do.
func fill(b *testing.B, ctx context.Context, st *store.Store, n int) {
	b.Helper()
	// Chunks of 100,000 so no one script holds Redis past the client's
	// read timeout.
	const script = `local from, to = tonumber(ARGV[1]), tonumber(ARGV[2])
for base = from, to - 1, 1000 do
  local a = {}
  for i = base, math.min(base + 999, to - 1) do a[#a + 1] = math.floor(i / 20); a[#a + 1] = 'player' .. i end
  redis.call('ZADD', KEYS[1], unpack(a))
end
return redis.call('ZCARD', KEYS[1])`
	key := st.Keys().Board("exrps", "wins")
	if err := st.Client().Unlink(ctx, key).Err(); err != nil {
		b.Fatal(err)
	}
	got := 0
	for from := 0; from < n; from += 100000 {
		c, err := st.Client().Eval(ctx, script, []string{key}, from, min(from+100000, n)).Int()
		if err != nil {
			b.Fatalf("fill %d players at %d: %v", n, from, err)
		}
		got = c
	}
	if got != n {
		b.Fatalf("fill %d players: the board has %d", n, got)
	}
}

// BenchmarkQueryCost: ns/op of each query per board size. Read the growth
// across sizes within one run: top N and rank stay flat (O(log N)), a deep
// page costs O(log N + offset-independent), an export page of 10,000 costs
// its page.
func BenchmarkQueryCost(b *testing.B) {
	ctx := context.Background()
	srv := testredis.Start(b)
	rdb := srv.Client()
	st := store.New(rdb, store.Options{})
	for _, n := range sizes(b) {
		fill(b, ctx, st, n)
		mid := fmt.Sprintf("player%d", n/2)
		last := fmt.Sprintf("player%d", 0) // the lowest score: the deepest rank
		run := func(name string, f func() error) {
			b.Run(fmt.Sprintf("players=%d/%s", n, name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if err := f(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		run("top10", func() error {
			_, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, 0, 10)
			return err
		})
		run("topten_portal", func() error { _, err := st.TopTen(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}); return err })
		run("page100_at_middle", func() error {
			_, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, int64(n/2), 100)
			return err
		})
		run("page100_at_end", func() error {
			_, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, int64(n-100), 100)
			return err
		})
		run("around5_middle", func() error {
			_, err := st.Around(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, mid, 5)
			return err
		})
		run("rank_middle", func() error {
			_, err := st.Rank(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, mid)
			return err
		})
		run("rank_last", func() error {
			_, err := st.Rank(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, last)
			return err
		})
		run("export_page10000", func() error {
			_, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, int64(n/2), 10000)
			return err
		})
	}
}
