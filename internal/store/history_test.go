package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// historyProduct is a wins board keeping history h, so the tests go through
// the handler's HistoryPoint changes exactly as the engine does.
func historyProduct(h handler.History) handler.Product {
	return handler.Product{Boards: []handler.Board{{Name: "wins", Scorer: handler.Wins{Board: "wins"}, History: h}}}
}

// game is the store item of "w beat l" as stream entry "<ms>-0".
func historyGame(t *testing.T, p handler.Product, ms int64, w, l string) store.Item {
	t.Helper()
	id := fmt.Sprintf("%d-0", ms)
	ev := event.Event{ID: id, Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l}}
	ch, err := p.Handle(ev, handler.NoValues{})
	if err != nil {
		t.Fatal(err)
	}
	return store.Item{EventID: id, Changes: ch}
}

func points(t *testing.T, st *store.Store, user string) string {
	t.Helper()
	ps, err := st.History(ctx, "p", "wins", user)
	if err != nil {
		t.Fatal(err)
	}
	var b []string
	for _, p := range ps {
		b = append(b, fmt.Sprintf("%d:%g", p.At, p.Score))
	}
	return strings.Join(b, " ")
}

// The score after each game, the loser's too (its 0 entry), capped at the
// newest 3 points: what a person reading the games by hand writes down.
func TestHistoryScoreAfterEachGameCapped(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		p := historyProduct(handler.History{Points: 3})
		apply := func(items ...store.Item) {
			t.Helper()
			res, err := st.Apply(ctx, map[string][]store.Item{"p": items})
			if err != nil || res.Applied != len(items) {
				t.Fatalf("apply: %+v %v", res, err)
			}
		}
		apply(historyGame(t, p, 1000, "ann", "bob"), historyGame(t, p, 2000, "ann", "bob"))
		apply(historyGame(t, p, 3000, "bob", "ann"))
		if got, want := points(t, st, "ann"), "1000:1 2000:2 3000:2"; got != want {
			t.Fatalf("ann %q, want %q", got, want)
		}
		if got, want := points(t, st, "bob"), "1000:0 2000:0 3000:1"; got != want {
			t.Fatalf("bob %q, want %q", got, want)
		}
		apply(historyGame(t, p, 4000, "ann", "cy"))
		if got, want := points(t, st, "ann"), "2000:2 3000:2 4000:3"; got != want {
			t.Fatalf("ann after the cap %q, want %q", got, want)
		}
		// The same event again changes nothing (its marker), history included.
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {historyGame(t, p, 4000, "ann", "cy")}})
		if err != nil || res.Applied != 0 {
			t.Fatalf("replay: %+v %v", res, err)
		}
		if got := points(t, st, "ann"); got != "2000:2 3000:2 4000:3" {
			t.Fatalf("a duplicate changed history: %q", got)
		}
		if n := rdb.ZCard(ctx, "statsctl:{p}:hist:wins:ann").Val(); n != 3 {
			t.Fatalf("key layout: %d points under statsctl:{p}:hist:wins:ann", n)
		}
	})
}

// every: at most one point per interval, the latest of it.
func TestHistoryOnePointPerInterval(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		p := historyProduct(handler.History{Points: 10, Every: time.Hour})
		h := int64(time.Hour / time.Millisecond)
		for i, ms := range []int64{5 * h, 5*h + 10, 6*h - 1, 6 * h, 8*h + 7} {
			res, err := st.Apply(ctx, map[string][]store.Item{"p": {historyGame(t, p, ms, "ann", fmt.Sprintf("x%d", i))}})
			if err != nil || res.Applied != 1 {
				t.Fatalf("apply %d: %+v %v", i, res, err)
			}
		}
		want := fmt.Sprintf("%d:3 %d:4 %d:5", 6*h-1, 6*h, 8*h+7)
		if got := points(t, st, "ann"); got != want {
			t.Fatalf("ann %q, want %q", got, want)
		}
	})
}

// An event that fails after its history point (a wrong-type stats key of
// one of its players) is put back exactly, including the points the cap
// and the interval dropped: the whole store reads as before, byte for byte.
func TestHistoryUndoIsExact(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		p := historyProduct(handler.History{Points: 2, Every: time.Second})
		for i, ms := range []int64{1000, 2000} {
			if _, err := st.Apply(ctx, map[string][]store.Item{"p": {historyGame(t, p, ms, "ann", fmt.Sprintf("x%d", i))}}); err != nil {
				t.Fatal(err)
			}
		}
		rdb.Set(ctx, "statsctl:{p}:stats:zed", "not a hash", 0)
		before := dump(t, rdb)
		it := historyGame(t, p, 2500, "ann", "bob") // replaces 2000 (same second), then the cap
		it.Changes = append(it.Changes, handler.Change{Op: handler.StatAdd, User: "zed", Field: "games", Int: 1})
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {it}})
		if err != nil || len(res.Rejected["p"]) != 1 {
			t.Fatalf("want the event rejected: %+v %v", res, err)
		}
		if after := dump(t, rdb); after != before {
			t.Fatalf("undo not exact\nbefore\n%s\nafter\n%s", before, after)
		}
		it = historyGame(t, p, 3000, "ann", "bob") // a new second: drops 1000 to keep 2
		it.Changes = append(it.Changes, handler.Change{Op: handler.StatAdd, User: "zed", Field: "games", Int: 1})
		if _, err := st.Apply(ctx, map[string][]store.Item{"p": {it}}); err != nil {
			t.Fatal(err)
		}
		if after := dump(t, rdb); after != before {
			t.Fatalf("undo of a trim not exact\nbefore\n%s\nafter\n%s", before, after)
		}
	})
}

// A history key of the wrong type rejects that event whole; a point with no
// event time takes the store's clock; a member not of statsctl's form is an
// error naming the key.
func TestHistoryWrongTypeClockAndPoison(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		p := historyProduct(handler.History{Points: 5})
		rdb.Set(ctx, "statsctl:{p}:hist:wins:bob", "x", 0)
		res, err := st.Apply(ctx, map[string][]store.Item{"p": {historyGame(t, p, 1000, "ann", "bob")}})
		if err != nil || len(res.Rejected["p"]) != 1 || rdb.Exists(ctx, "statsctl:{p}:lb:wins").Val() != 0 {
			t.Fatalf("a poisoned history key must reject the event whole: %+v %v", res, err)
		}
		rdb.Del(ctx, "statsctl:{p}:hist:wins:bob")
		ev := event.Event{Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": "ann", "loser_id": "bob"}}
		ch, _ := p.Handle(ev, handler.NoValues{})
		lo := time.Now().UnixMilli()
		if _, err := st.Apply(ctx, map[string][]store.Item{"p": {{Changes: ch}}}); err != nil {
			t.Fatal(err)
		}
		hi := time.Now().UnixMilli()
		ps, err := st.History(ctx, "p", "wins", "ann")
		if err != nil || len(ps) != 1 || ps[0].At < lo-1000 || ps[0].At > hi+1000 || ps[0].Score != 1 {
			t.Fatalf("clock point %+v (want within [%d, %d]) %v", ps, lo, hi, err)
		}
		rdb.ZAdd(ctx, "statsctl:{p}:hist:wins:ann", redis.Z{Score: float64(hi + 10), Member: fmt.Sprintf("%d|c|1|1", hi+10)})
		if _, err := st.History(ctx, "p", "wins", "ann"); err == nil || !strings.Contains(err.Error(), "statsctl:{p}:hist:wins:ann") {
			t.Fatalf("a member of another form must be an error naming the key, got %v", err)
		}
	})
}
