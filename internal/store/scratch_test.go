package store_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// A scratch store deletes every scratch key it wrote and nothing else: the
// live board it was swapped into and the (never scratch) stats stay.
func TestScratchDropsWhatItWrote(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		live := store.New(rdb, store.Options{})
		if err := live.DropScratch(ctx); err == nil {
			t.Fatal("DropScratch on a live store: want an error")
		}
		tmp := live.Scratch(".rb1")
		if _, err := tmp.Apply(ctx, map[string][]store.Item{"p": {storetest.GameOver("1-1", "a", "b"), storetest.GameOver("7200000-1", "a", "c")}}); err != nil {
			t.Fatal(err)
		}
		var scratch []string
		for _, k := range rdb.Keys(ctx, "*").Val() {
			if strings.Contains(k, ".rb1") {
				scratch = append(scratch, k)
			}
		}
		sort.Strings(scratch)
		if len(scratch) != 3 { // the wins board and two marker buckets
			t.Fatalf("scratch keys %v, want a board and two marker buckets", scratch)
		}
		if err := live.SwapIn(ctx, "p", ".rb1", "wins"); err != nil {
			t.Fatal(err)
		}
		if err := tmp.DropScratch(ctx); err != nil {
			t.Fatal(err)
		}
		if left := rdb.Keys(ctx, "*.rb1*").Val(); len(left) != 0 {
			t.Fatalf("scratch keys left: %v", left)
		}
		if n, err := live.BoardSize(ctx, "p", "wins"); err != nil || n != 3 {
			t.Fatalf("live board after the swap: %d players, %v", n, err)
		}
		if s, err := live.Stats(ctx, "p", "a"); err != nil || s["games"] != "2" {
			t.Fatalf("stats of a: %v %v", s, err)
		}
	})
}
