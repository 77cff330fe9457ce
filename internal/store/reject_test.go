package store_test

import (
	"math"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// dump is every key's type and content, to compare a store before and
// after a rejected write byte for byte.
func dump(t *testing.T, rdb redis.UniversalClient) string {
	t.Helper()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, k := range keys {
		typ := rdb.Type(ctx, k).Val()
		b.WriteString(k + " " + typ + " ")
		switch typ {
		case "hash":
			b.WriteString(strings.Join(sortedPairs(rdb.HGetAll(ctx, k).Val()), ","))
		case "zset":
			for _, z := range rdb.ZRangeWithScores(ctx, k, 0, -1).Val() {
				b.WriteString(z.Member.(string) + "=" + rdb.ZScore(ctx, k, z.Member.(string)).String() + ",")
			}
		case "string":
			b.WriteString(rdb.Get(ctx, k).Val())
		}
		b.WriteString("\n")
	}
	return sortLines(b.String())
}

func sortedPairs(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	return strings.Split(sortLines(strings.Join(out, "\n")), "\n")
}

func sortLines(s string) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	for i := range l {
		for j := i + 1; j < len(l); j++ {
			if l[j] < l[i] {
				l[i], l[j] = l[j], l[i]
			}
		}
	}
	return strings.Join(l, "\n")
}

// A stats key of the wrong type (the repro) rejects the one event
// that writes it, whole, every time it is sent: nothing of it stays written
// (no win for the winner, no board entry, no empty key), the rest of the
// batch is applied, and sending it three times still adds nothing.
func TestApplyWrongTypeRejectsOnlyThatEventWhole(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		rdb.Set(ctx, "statsctl:{exrps}:stats:u2", "x", 0)
		before := dump(t, rdb)
		for run := 0; run < 3; run++ {
			res, err := st.Apply(ctx, map[string][]store.Item{"exrps": {storetest.GameOver("1-0", "u3", "u2")}})
			if err != nil {
				t.Fatalf("run %d: %v", run, err)
			}
			rs := res.Rejected["exrps"]
			if res.Applied != 0 || len(rs) != 1 || rs[0].Pos != 0 || rs[0].Key != "statsctl:{exrps}:stats:u2" || !strings.Contains(rs[0].Message, "WRONGTYPE") {
				t.Fatalf("run %d: %+v, want the event rejected on the stats key with WRONGTYPE", run, res)
			}
		}
		after := dump(t, rdb)
		// The products set is the one thing a batch may add.
		after = strings.Join(dropLines(after, "statsctl:products"), "\n")
		if after != before {
			t.Fatalf("a rejected event left writes behind:\nbefore\n%s\nafter\n%s", before, after)
		}
		res, err := st.Apply(ctx, map[string][]store.Item{"exrps": {
			storetest.GameOver("2-0", "u1", "u4"), storetest.GameOver("2-1", "u3", "u2"), storetest.GameOver("2-2", "u4", "u1"),
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 2 || len(res.Rejected["exrps"]) != 1 || res.Rejected["exrps"][0].Pos != 1 {
			t.Fatalf("%+v, want 2 applied and item 1 rejected", res)
		}
		if s, _ := st.Stats(ctx, "exrps", "u3"); len(s) != 0 {
			t.Fatalf("u3 stats %v, want none", s)
		}
		if s, _ := st.Stats(ctx, "exrps", "u1"); s["wins"] != "1" || s["games"] != "2" {
			t.Fatalf("u1 stats %v", s)
		}
	})
}

func dropLines(s, prefix string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return out
}

// An integer overflow (a rule adding 9223372036854775807) rejects the
// event that would overflow and leaves the counter as it was.
func TestApplyIntegerOverflowRejected(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		big := func(id string) store.Item {
			return store.Item{EventID: id, Changes: []handler.Change{
				{Op: handler.StatAdd, User: "u1", Field: "games", Int: 1},
				{Op: handler.ScoreEnsure, Board: "wins", User: "u1"},
				{Op: handler.StatAdd, User: "u1", Field: "points", Int: math.MaxInt64},
			}}
		}
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {big("1-0"), big("1-1")}})
		if err != nil {
			t.Fatal(err)
		}
		rs := res.Rejected["p"]
		if res.Applied != 1 || len(rs) != 1 || rs[0].Pos != 1 || !strings.Contains(rs[0].Message, "overflow") {
			t.Fatalf("%+v, want the second event rejected for overflow", res)
		}
		s, _ := st.Stats(ctx, "p", "u1")
		if s["games"] != "1" || s["points"] != "9223372036854775807" {
			t.Fatalf("stats %v: the rejected event's games increment was not undone", s)
		}
	})
}

// A score near MaxFloat64 given an add that overflows: the event is
// rejected and the old score string is byte-identical after (restored, not
// "minus v"), and an event's earlier writes are undone with it.
func TestApplyScoreOverflowRestoresExactScore(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		board := "statsctl:{p}:lb:pts"
		rdb.ZAdd(ctx, board, redis.Z{Score: math.MaxFloat64 * 0.9999999999999999, Member: "u1"})
		rdb.ZAdd(ctx, board, redis.Z{Score: -0.1, Member: "u2"})
		before := rdb.ZScore(ctx, board, "u1").String()
		beforeAll := dump(t, rdb)
		item := store.Item{EventID: "1-0", Changes: []handler.Change{
			{Op: handler.StatAdd, User: "u1", Field: "games", Int: 1},
			{Op: handler.ScoreAdd, Board: "pts", User: "u2", Num: 0.3},
			{Op: handler.ScoreEnsure, Board: "pts", User: "u3"},
			{Op: handler.ScoreSet, Board: "other", User: "u1", Num: 5},
			{Op: handler.ScoreAdd, Board: "pts", User: "u1", Num: math.MaxFloat64},
		}}
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {item}})
		if err != nil {
			t.Fatal(err)
		}
		if rs := res.Rejected["p"]; res.Applied != 0 || len(rs) != 1 || rs[0].Key != board {
			t.Fatalf("%+v, want the event rejected on %s", res, board)
		}
		if after := rdb.ZScore(ctx, board, "u1").String(); after != before {
			t.Fatalf("score changed:\n%s\n%s", before, after)
		}
		if after := strings.Join(dropLines(dump(t, rdb), "statsctl:products"), "\n"); after != beforeAll {
			t.Fatalf("a rejected event left writes behind:\nbefore\n%s\nafter\n%s", beforeAll, after)
		}
	})
}

// A rated (strict) event Redis refuses aborts its product's whole guarded
// batch, so the caller can recompute later ratings without it.
func TestApplyGuardedStrictRejectAbortsBatch(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		rdb.Set(ctx, "statsctl:{p}:rt:elo", "x", 0)
		before := dump(t, rdb)
		ok := storetest.GameOver("1-0", "u1", "u2")
		rated := store.Item{EventID: "1-1", Strict: true, Changes: []handler.Change{
			{Op: handler.StatAdd, User: "u5", Field: "games", Int: 1},
			{Op: handler.StateSet, Board: "elo", User: "u5", Str: "1500"},
		}}
		res, err := st.ApplyGuarded(ctx, map[string]store.Guarded{"p": {Items: []store.Item{ok, rated}}})
		if err != nil {
			t.Fatal(err)
		}
		if r, hit := res.Aborted["p"]; !hit || r.Pos != 1 || r.Key != "statsctl:{p}:rt:elo" || res.Applied != 0 {
			t.Fatalf("%+v, want product p aborted on item 1", res)
		}
		if after := strings.Join(dropLines(dump(t, rdb), "statsctl:products"), "\n"); after != before {
			t.Fatalf("an aborted batch left writes behind:\nbefore\n%s\nafter\n%s", before, after)
		}
	})
}
