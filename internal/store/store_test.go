package store_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

func TestApplyGameOverAndReadBack(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		res, err := st.Apply(ctx, map[string][]store.Item{"exrps": {
			storetest.GameOver("1-0", "u1", "u2"), storetest.GameOver("1-1", "u1", "u3"), storetest.GameOver("1-2", "u3", "u1"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 3 || len(res.Duplicates) != 0 {
			t.Fatalf("applied %d dups %v, want 3 and none", res.Applied, res.Duplicates)
		}
		page, err := st.Top(ctx, store.BoardRef{Product: "exrps", Instance: "wins"}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []store.Entry{{Rank: 1, UserID: "u1", Score: 2}, {Rank: 2, UserID: "u3", Score: 1}, {Rank: 3, UserID: "u2", Score: 0}}
		storetest.AssertEntries(t, page.Entries, want)
		if page.Total != 3 {
			t.Fatalf("total %d, want 3", page.Total)
		}
		stats, err := st.Stats(ctx, "exrps", "u2")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(stats) != "map[games:1 losses:1 wins:0]" {
			t.Fatalf("u2 stats %v", stats)
		}
		ps, err := st.Products(ctx)
		if err != nil || fmt.Sprint(ps) != "[exrps]" {
			t.Fatalf("products %v %v", ps, err)
		}
		// Keys carry the product as a hash tag so a product sits in one slot.
		if n, _ := rdb.Exists(ctx, "statsctl:{exrps}:lb:wins", "statsctl:{exrps}:stats:u1").Result(); n != 2 {
			t.Fatalf("expected keys under statsctl:{exrps}:, found %d of 2", n)
		}
	})
}

func TestApplySameIDTwiceChangesNothing(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		batch := map[string][]store.Item{"g": {storetest.GameOver("5-0", "a", "b"), storetest.GameOver("x7", "a", "c"), storetest.GameOver("", "c", "a")}}
		if _, err := st.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
		res, err := st.Apply(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		// The two events with ids are duplicates; the one without is applied again.
		if res.Applied != 1 || fmt.Sprint(res.Duplicates["g"]) != "[0 1]" {
			t.Fatalf("second apply: applied %d dups %v, want 1 and [0 1]", res.Applied, res.Duplicates)
		}
		page, _ := st.Top(ctx, store.BoardRef{Product: "g", Instance: "wins"}, 0, 0)
		storetest.AssertEntries(t, page.Entries, []store.Entry{{Rank: 1, UserID: "c", Score: 2}, {Rank: 1, UserID: "a", Score: 2}, {Rank: 3, UserID: "b", Score: 0}})
		// A duplicate inside one batch is applied once.
		res, err = st.Apply(ctx, map[string][]store.Item{"h": {storetest.GameOver("9-9", "p", "q"), storetest.GameOver("9-9", "p", "q")}})
		if err != nil || res.Applied != 1 || fmt.Sprint(res.Duplicates["h"]) != "[1]" {
			t.Fatalf("in-batch duplicate: %+v %v", res, err)
		}
	})
}

// Many writers applying overlapping batches at once must still count every
// event exactly once: the check-and-apply is one atomic script.
func TestConcurrentAppliersCountOnce(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		const events = 400
		var wg sync.WaitGroup
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for start := w * 13 % events; start < events; start += 50 {
					var items []store.Item
					for i := start; i < start+50 && i < events; i++ {
						items = append(items, storetest.GameOver(fmt.Sprintf("100-%d", i), "p"+strconv.Itoa(i%7), "q"+strconv.Itoa(i%5)))
					}
					if _, err := st.Apply(ctx, map[string][]store.Item{"race": items}); err != nil {
						t.Error(err)
						return
					}
				}
			}(w)
		}
		wg.Wait()
		var total float64
		page, _ := st.Top(ctx, store.BoardRef{Product: "race", Instance: "wins"}, 0, 0)
		for _, e := range page.Entries {
			total += e.Score
		}
		// Every worker covers a suffix of the events; together they cover all.
		// 400 distinct events, one point each, whatever the interleaving.
		if total != events {
			t.Fatalf("sum of scores %v, want %d", total, events)
		}
		s, _ := st.Stats(ctx, "race", "p0")
		if s["games"] != strconv.Itoa(countGames(events, 0)) {
			t.Fatalf("p0 games %s, want %d", s["games"], countGames(events, 0))
		}
	})
}

func countGames(events, p int) int {
	n := 0
	for i := 0; i < events; i++ {
		if i%7 == p {
			n++
		}
	}
	return n
}

func TestRanksWithTiesAndPages(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		key := st.Keys().Board("t", "wins")
		rdb.ZAdd(ctx, key, redis.Z{Score: 10, Member: "a"}, redis.Z{Score: 8, Member: "b"}, redis.Z{Score: 8, Member: "c"},
			redis.Z{Score: 5, Member: "d"}, redis.Z{Score: 5, Member: "e"}, redis.Z{Score: 5, Member: "f"}, redis.Z{Score: 1, Member: "g"})
		page, err := st.Top(ctx, store.BoardRef{Product: "t", Instance: "wins"}, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, page.Entries, []store.Entry{{Rank: 1, UserID: "a", Score: 10}, {Rank: 2, UserID: "c", Score: 8}, {Rank: 2, UserID: "b", Score: 8}, {Rank: 4, UserID: "f", Score: 5}, {Rank: 4, UserID: "e", Score: 5}, {Rank: 4, UserID: "d", Score: 5}, {Rank: 7, UserID: "g", Score: 1}})
		// A page that starts inside a tie keeps the tie's rank.
		page, _ = st.Top(ctx, store.BoardRef{Product: "t", Instance: "wins"}, 4, 2)
		storetest.AssertEntries(t, page.Entries, []store.Entry{{Rank: 4, UserID: "e", Score: 5}, {Rank: 4, UserID: "d", Score: 5}})
		page, _ = st.Top(ctx, store.BoardRef{Product: "t", Instance: "wins"}, 5, 10)
		storetest.AssertEntries(t, page.Entries, []store.Entry{{Rank: 4, UserID: "d", Score: 5}, {Rank: 7, UserID: "g", Score: 1}})
		page, _ = st.Top(ctx, store.BoardRef{Product: "t", Instance: "wins"}, 50, 10)
		if len(page.Entries) != 0 || page.Total != 7 {
			t.Fatalf("page past the end: %+v", page)
		}
		r, err := st.Rank(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "e")
		if err != nil || r != (store.Standing{Rank: 4, Score: 5, Total: 7}) {
			t.Fatalf("rank of e: %+v %v", r, err)
		}
		if _, err := st.Rank(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "zz"); err != store.ErrNotFound {
			t.Fatalf("rank of absent player: %v, want ErrNotFound", err)
		}
		around, err := st.Around(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "e", 1)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, around.Entries, []store.Entry{{Rank: 4, UserID: "f", Score: 5}, {Rank: 4, UserID: "e", Score: 5}, {Rank: 4, UserID: "d", Score: 5}})
		around, _ = st.Around(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "a", 2)
		storetest.AssertEntries(t, around.Entries, []store.Entry{{Rank: 1, UserID: "a", Score: 10}, {Rank: 2, UserID: "c", Score: 8}, {Rank: 2, UserID: "b", Score: 8}})
		if _, err := st.Around(ctx, store.BoardRef{Product: "t", Instance: "wins"}, "nobody", 2); err != store.ErrNotFound {
			t.Fatalf("around absent player: %v", err)
		}
		empty, err := st.Top(ctx, store.BoardRef{Product: "nothing", Instance: "wins"}, 0, 10)
		if err != nil || len(empty.Entries) != 0 || empty.Total != 0 {
			t.Fatalf("empty board: %+v %v", empty, err)
		}
	})
}

// A big board answers pages and ranks consistently with a full listing.
func TestBigBoard(t *testing.T) {
	rdb := testredis.Start(t).Client()
	st := store.New(rdb, store.Options{})
	const n = 100_000
	var items []store.Item
	for i := 0; i < n; i++ {
		// Player i wins i%100 games worth of points in one ScoreAdd, so many tie.
		items = append(items, store.Item{EventID: "1-" + strconv.Itoa(i), Changes: []handler.Change{
			{Op: handler.ScoreAdd, Board: "wins", User: "u" + strconv.Itoa(i), Num: float64(i % 100)}}})
		if len(items) == 5000 {
			if _, err := st.Apply(ctx, map[string][]store.Item{"big": items}); err != nil {
				t.Fatal(err)
			}
			items = items[:0]
		}
	}
	all, err := st.Top(ctx, store.BoardRef{Product: "big", Instance: "wins"}, 0, 0)
	if err != nil || len(all.Entries) != n {
		t.Fatalf("full board: %d entries, %v", len(all.Entries), err)
	}
	for _, off := range []int64{0, 999, 1000, 50_500, 99_990} {
		page, err := st.Top(ctx, store.BoardRef{Product: "big", Instance: "wins"}, off, 25)
		if err != nil {
			t.Fatal(err)
		}
		storetest.AssertEntries(t, page.Entries, all.Entries[off:min(off+25, n)])
	}
	// Every player with score 42 shares the rank after the 57 higher scores,
	// each held by 1000 players.
	r, _ := st.Rank(ctx, store.BoardRef{Product: "big", Instance: "wins"}, "u42")
	if r.Rank != 57*1000+1 || r.Score != 42 || r.Total != n {
		t.Fatalf("rank of u42: %+v", r)
	}
}

// After SCRIPT FLUSH (a failover to a fresh replica looks the same) the
// store falls back from EVALSHA to EVAL and goes on.
func TestScriptCacheLoss(t *testing.T) {
	rdb := testredis.Start(t).Client()
	st := store.New(rdb, store.Options{})
	if _, err := st.Apply(ctx, map[string][]store.Item{"s": {storetest.GameOver("1-1", "a", "b")}}); err != nil {
		t.Fatal(err)
	}
	rdb.ScriptFlush(ctx)
	if _, err := st.Apply(ctx, map[string][]store.Item{"s": {storetest.GameOver("1-2", "a", "b")}}); err != nil {
		t.Fatal(err)
	}
	r, err := st.Rank(ctx, store.BoardRef{Product: "s", Instance: "wins"}, "a")
	if err != nil || r.Score != 2 {
		t.Fatalf("a: %+v %v", r, err)
	}
}

// Markers expire with their bucket so they do not grow without bound; stream
// ids share an hourly bucket, other ids one per product.
func TestMarkerBucketsExpire(t *testing.T) {
	rdb := testredis.Start(t).Client()
	st := store.New(rdb, store.Options{MarkerTTL: 3600e9})
	if _, err := st.Apply(ctx, map[string][]store.Item{"m": {storetest.GameOver("7200000-0", "a", "b"), storetest.GameOver("file-1", "a", "b")}}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"statsctl:{m}:seen:h2", "statsctl:{m}:seen:ids"} {
		ttl, err := rdb.TTL(ctx, k).Result()
		if err != nil || ttl <= 0 || ttl > 3600e9 {
			t.Fatalf("%s ttl %v %v", k, ttl, err)
		}
	}
}
