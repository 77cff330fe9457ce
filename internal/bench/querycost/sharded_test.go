package querycost

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// The sharded-board design of docs/scale.md, simulated: a board spread
// over 8 shard keys by hash(user), read back by merging each shard's top N
// and by summing each shard's count of better scores, answers exactly what
// the one board answers (ranks shared by ties, order by score then user id
// descending). It proves the read side of the design on a real
// redis-server; the write side is per-shard apply scripts (not built).
func TestShardedBoardMergeEqualsOneBoard(t *testing.T) {
	ctx := context.Background()
	rdb := testredis.Start(t).Client()
	st := store.New(rdb, store.Options{})
	const shards, players = 8, 5000
	shardKey := func(k int) string { return fmt.Sprintf("sim:{exrps#%d}:lb:wins", k) }
	shardOf := func(u string) int {
		h := fnv.New32a()
		h.Write([]byte(u))
		return int(h.Sum32() % shards)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	one := st.Keys().Board("exrps", "wins")
	for i := 0; i < players; i++ {
		u := fmt.Sprintf("p%04d", i)
		z := redis.Z{Score: float64(rng.IntN(300)), Member: u}
		rdb.ZAdd(ctx, one, z)
		rdb.ZAdd(ctx, shardKey(shardOf(u)), z)
	}
	// topN merges each shard's best n: S round trips in one pipeline.
	topN := func(offset, n int64) []store.Entry {
		cmds := make([]*redis.ZSliceCmd, shards)
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := range cmds {
				cmds[k] = p.ZRevRangeWithScores(ctx, shardKey(k), 0, offset+n-1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var all []redis.Z
		for _, c := range cmds {
			all = append(all, c.Val()...)
		}
		sort.Slice(all, func(i, j int) bool {
			if all[i].Score != all[j].Score {
				return all[i].Score > all[j].Score
			}
			return all[i].Member.(string) > all[j].Member.(string)
		})
		var out []store.Entry
		for i := offset; i < min(offset+n, int64(len(all))); i++ {
			out = append(out, store.Entry{UserID: all[i].Member.(string), Score: all[i].Score, Rank: rankOf(t, ctx, rdb, shards, shardKey, all[i].Score)})
		}
		return out
	}
	for _, q := range []struct{ off, n int64 }{{0, 10}, {0, 100}, {37, 50}, {4900, 100}} {
		want, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, q.off, q.n)
		if err != nil {
			t.Fatal(err)
		}
		got := topN(q.off, q.n)
		if len(got) != len(want.Entries) {
			t.Fatalf("page %v: %d entries merged, %d on the board", q, len(got), len(want.Entries))
		}
		for i := range got {
			g, w := got[i], want.Entries[i]
			if g.Rank != w.Rank || g.UserID != w.UserID || g.Score != w.Score {
				t.Fatalf("page %v, row %d: merged %+v, board %+v", q, i, got[i], want.Entries[i])
			}
		}
	}
	for i := 0; i < players; i += 97 {
		u := fmt.Sprintf("p%04d", i)
		want, err := st.Rank(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, u)
		if err != nil {
			t.Fatal(err)
		}
		s, err := rdb.ZScore(ctx, shardKey(shardOf(u)), u).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got := rankOf(t, ctx, rdb, shards, shardKey, s); got != want.Rank {
			t.Fatalf("rank of %s: merged %d, board %d", u, got, want.Rank)
		}
	}
}

// rankOf is the sharded rank of a score: 1 + every shard's count of
// strictly better scores, one pipeline.
func rankOf(t *testing.T, ctx context.Context, rdb redis.UniversalClient, shards int, key func(int) string, score float64) int64 {
	cmds := make([]*redis.IntCmd, shards)
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for k := range cmds {
			cmds[k] = p.ZCount(ctx, key(k), fmt.Sprintf("(%v", score), "+inf")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := int64(1)
	for _, c := range cmds {
		r += c.Val()
	}
	return r
}
