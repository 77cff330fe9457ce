package engine_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

func game(id, w, l string) event.Event {
	return event.Event{ID: id, Fields: map[string]string{"product_id": "exrps", "type": "game_over", "game_id": id, "winner_id": w, "loser_id": l}}
}

// A rated event Redis refuses (its loser's stats key holds a string) is
// rejected alone as store_rejected; the ratings of the batch's other games
// are what rating them without it gives, so later games are not rated from
// a game that was never written.
func TestStatefulRejectsOnlyThePoisonEvent(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		reg := eloRegistry(t)
		st := store.New(rdb, store.Options{})
		eng := engine.New(reg, st)
		rdb.Set(ctx, "statsctl:{exrps}:stats:u2", "x", 0)
		evs := []event.Event{game("1-0", "u1", "u3"), game("1-1", "u3", "u2"), game("1-2", "u3", "u1")}
		outs, err := eng.Apply(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		if outs[0].Status != engine.Applied || outs[2].Status != engine.Applied ||
			outs[1].Status != engine.Invalid || outs[1].Reason != handler.ReasonStoreRejected || !strings.Contains(outs[1].Detail, "WRONGTYPE") {
			t.Fatalf("outcomes %+v", outs)
		}
		want := sequential(t, reg, []event.Event{evs[0], evs[2]})
		if got := storedStates(t, rdb, st, "elo"); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("ratings\n got %v\nwant %v", got, want)
		}
		// Sent again: the good ones are duplicates, the poison one is
		// rejected again, nothing counts twice.
		outs, err = eng.Apply(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		if outs[0].Status != engine.Duplicate || outs[1].Reason != handler.ReasonStoreRejected || outs[2].Status != engine.Duplicate {
			t.Fatalf("second pass %+v", outs)
		}
		if s, _ := st.Stats(ctx, "exrps", "u3"); s["wins"] != "1" || s["games"] != "2" {
			t.Fatalf("u3 stats %v", s)
		}
	})
}

// A rating-state hash or a rating board of the wrong type rejects the
// events that write it, each one, and the batch does not fail.
func TestStatefulWrongTypeRatingKeys(t *testing.T) {
	for _, key := range []string{"statsctl:{exrps}:rt:elo", "statsctl:{exrps}:lb:elo"} {
		testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
			eng := engine.New(eloRegistry(t), store.New(rdb, store.Options{}))
			rdb.Set(ctx, key, "x", 0)
			outs, err := eng.Apply(ctx, []event.Event{game("1-0", "u1", "u3"), game("1-1", "u3", "u2")})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			for i, o := range outs {
				if o.Reason != handler.ReasonStoreRejected || !strings.Contains(o.Detail, key) {
					t.Fatalf("%s: event %d: %+v", key, i, o)
				}
			}
			if n := rdb.Exists(ctx, "statsctl:{exrps}:stats:u1", "statsctl:{exrps}:lb:wins").Val(); n != 0 {
				t.Fatalf("%s: rejected events left %d keys", key, n)
			}
		})
	}
}
