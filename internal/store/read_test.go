package store_test

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// TopTen ranks as Top does (ties share a rank), without the script.
func TestTopTenRanksLikeTop(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		key := st.Keys().Board("p", "wins")
		var zs []redis.Z
		for i, s := range []float64{9, 7, 7, 5, 5, 5, 3, 2, 2, 1, 0, 0} {
			zs = append(zs, redis.Z{Score: s, Member: fmt.Sprintf("u%02d", i)})
		}
		if err := rdb.ZAdd(ctx, key, zs...).Err(); err != nil {
			t.Fatal(err)
		}
		got, err := st.TopTen(ctx, store.BoardRef{Product: "p", Instance: "wins"})
		if err != nil {
			t.Fatal(err)
		}
		top, err := st.Top(ctx, store.BoardRef{Product: "p", Instance: "wins"}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, got, top.Entries)
		if empty, err := st.TopTen(ctx, store.BoardRef{Product: "p", Instance: "none"}); err != nil || len(empty) != 0 {
			t.Fatalf("empty board: %v %v", empty, err)
		}
	})
}

func TestBoardSizes(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		if _, err := st.Apply(ctx, map[string][]store.Item{
			"p": {storetest.GameOver("1-1", "a", "b"), storetest.GameOver("1-2", "c", "a")},
			"q": {storetest.GameOver("1-1", "x", "y")},
		}); err != nil {
			t.Fatal(err)
		}
		got, err := st.BoardSizes(ctx, []store.BoardID{{"p", "wins"}, {"q", "wins"}, {"p", "nothing"}, {"r", "wins"}})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != "[3 2 0 0]" {
			t.Fatalf("sizes %v, want [3 2 0 0]", got)
		}
		if got, err := st.BoardSizes(ctx, nil); err != nil || len(got) != 0 {
			t.Fatalf("no boards: %v %v", got, err)
		}
	})
}
