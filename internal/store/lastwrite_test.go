package store_test

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// The edges of the apply script's last-write fast path (an event's last
// write does not read what it replaces on redis-server when the batch has
// no strict event): a last write Redis refuses leaves the event's earlier
// writes undone and nothing of its own; a strict event WITHOUT an id still
// makes the whole batch undoable, last writes included; the writes that do
// apply land as a model says. The miniredis overflow edge (it wraps instead
// of refusing) is TestApplyIntegerOverflowRejected, whose overflowing add
// is its event's last write.
func TestApplyLastWriteEdges(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		const s1, s9 = "statsctl:{p}:stats:u1", "statsctl:{p}:stats:u9"
		rdb.HSet(ctx, s1, "games", "7", "name", "old")
		rdb.ZAdd(ctx, "statsctl:{p}:lb:pts", redis.Z{Score: 2.5, Member: "u1"})
		rdb.Set(ctx, s9, "x", 0)                    // a stats key of the wrong type
		rdb.Set(ctx, "statsctl:{p}:lb:bad", "x", 0) // a board of the wrong type
		rdb.HSet(ctx, "statsctl:{p}:stats:u8", "games", "text")
		before := dump(t, rdb)
		drop := func() string { return strings.Join(dropLines(dump(t, rdb), "statsctl:products"), "\n") }

		// Each event's last write fails; its earlier writes (existing and new
		// fields and members) must be put back.
		earlier := []handler.Change{
			{Op: handler.StatAdd, User: "u1", Field: "games", Int: 3},
			{Op: handler.StatAdd, User: "u1", Field: "fresh", Int: 1},
			{Op: handler.ScoreAdd, Board: "pts", User: "u1", Num: 1},
			{Op: handler.ScoreSet, Board: "pts", User: "u2", Num: 4},
		}
		lasts := []handler.Change{
			{Op: handler.StatAdd, User: "u9", Field: "games", Int: 1},  // HINCRBY on a string key
			{Op: handler.StatSet, User: "u9", Field: "name", Str: "n"}, // HSET on a string key
			{Op: handler.ScoreSet, Board: "bad", User: "u1", Num: 1},   // ZADD on a string key
			{Op: handler.StatAdd, User: "u8", Field: "games", Int: 1},  // HINCRBY of a text field
			{Op: handler.StatAdd, User: "u1", Field: "name", Int: 1},   // HINCRBY of a text field
		}
		var items []store.Item
		for i, l := range lasts {
			items = append(items, store.Item{EventID: "1-" + string(rune('a'+i)), Changes: append(append([]handler.Change{}, earlier...), l)})
		}
		res, err := st.Apply(ctx, map[string][]store.Item{"p": items})
		if err != nil {
			t.Fatal(err)
		}
		if res.Applied != 0 || len(res.Rejected["p"]) != len(lasts) {
			t.Fatalf("%+v, want all %d events rejected", res, len(lasts))
		}
		if after := drop(); after != before {
			t.Fatalf("a rejected last write left writes behind:\nbefore\n%s\nafter\n%s", before, after)
		}

		// A strict event without an id that Redis refuses takes back the
		// whole batch, the first event's last writes included.
		ok := store.Item{EventID: "2-0", Changes: []handler.Change{
			{Op: handler.StatAdd, User: "u1", Field: "games", Int: 5},
		}}
		ok2 := store.Item{EventID: "2-1", Changes: []handler.Change{
			{Op: handler.StatSet, User: "u1", Field: "name", Str: "new"},
		}}
		ok3 := store.Item{Changes: []handler.Change{
			{Op: handler.ScoreSet, Board: "pts", User: "u1", Num: 9},
		}}
		rated := store.Item{Strict: true, Changes: []handler.Change{
			{Op: handler.StatAdd, User: "u5", Field: "games", Int: 1},
			{Op: handler.StatAdd, User: "u9", Field: "games", Int: 1},
		}}
		res, err = st.ApplyGuarded(ctx, map[string]store.Guarded{"p": {Items: []store.Item{ok, ok2, ok3, rated}}})
		if err != nil {
			t.Fatal(err)
		}
		if r, hit := res.Aborted["p"]; !hit || r.Pos != 3 || res.Applied != 0 {
			t.Fatalf("%+v, want product p aborted on item 3", res)
		}
		if after := drop(); after != before {
			t.Fatalf("an aborted batch left writes behind:\nbefore\n%s\nafter\n%s", before, after)
		}

		// Without the strict event the same writes land.
		res, err = st.Apply(ctx, map[string][]store.Item{"p": {ok, ok2, ok3}})
		if err != nil || res.Applied != 3 {
			t.Fatalf("%+v %v, want 3 applied", res, err)
		}
		h := rdb.HGetAll(ctx, s1).Val()
		if h["games"] != "12" || h["name"] != "new" || len(h) != 2 {
			t.Fatalf("stats %v, want games 12 and name new", h)
		}
		if sc := rdb.ZScore(ctx, "statsctl:{p}:lb:pts", "u1").Val(); sc != 9 {
			t.Fatalf("score %v, want 9", sc)
		}
	})
}
