package store_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// eraseYAML has, in two products, an all-time board and a split board
// keeping history (so a player has a history key per instance) and a
// periodic board (whose history is derived from its instances).
const eraseYAML = `products:
  pa:
    boards:
      - {name: wins, scorer: wins, history: {points: 50}}
      - {name: reg, scorer: wins, split_by: [region], segments: [eu, us], history: {points: 50}}
      - {name: weekly, scorer: wins, period: weekly, keep: 4}
  pb:
    boards:
      - {name: wins, scorer: wins, history: {points: 3}}
`

// eraseGames plays n random games in product among players, some in each
// region and spread over four ISO weeks of November 2026, and returns the
// wins model of every board instance: winner +1, loser enters at 0.
func eraseGames(t *testing.T, st *store.Store, prod handler.Product, product string, players []string, n int, seed uint64) map[string]model {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	models := map[string]model{}
	m := func(inst string) model {
		if models[inst] == nil {
			models[inst] = model{}
		}
		return models[inst]
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC) // Monday of 2026-W45
	var items []store.Item
	for i := range n {
		w := r.IntN(len(players))
		l := (w + 1 + r.IntN(len(players)-1)) % len(players)
		at := start.Add(time.Duration(i) * 28 * 24 * time.Hour / time.Duration(n))
		region := []string{"eu", "us"}[r.IntN(2)]
		ev := event.Event{ID: fmt.Sprintf("%d-%d", at.UnixMilli(), i), Fields: map[string]string{
			"product_id": product, "type": "game_over", "winner_id": players[w], "loser_id": players[l], "region": region}}
		ch, err := prod.Handle(ev, handler.NoValues{})
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, store.Item{EventID: ev.ID, Changes: ch})
		_, week := at.ISOWeek()
		for _, inst := range []string{"wins", "reg", "reg~" + region, fmt.Sprintf("weekly@2026-W%02d", week)} {
			if b, _, _ := handler.ParseInstance(inst); !hasBoard(prod, b) {
				continue
			}
			m(inst).game(players[w], players[l])
		}
	}
	res, err := st.Apply(ctx, map[string][]store.Item{product: items})
	if err != nil {
		t.Fatal(err)
	}
	if res.Applied != n {
		t.Fatalf("applied %d of %d: %+v", res.Applied, n, res)
	}
	return models
}

func hasBoard(p handler.Product, name string) bool {
	for _, b := range p.Boards {
		if b.Name == name {
			return true
		}
	}
	return false
}

// everything is every key of the store's namespace with its contents as
// text (members, fields, values), sorted, read by SCAN on every master.
func everything(t *testing.T, rdb redis.UniversalClient, st *store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range e2etest.Keys(ctx, t, rdb, st.Keys().NS+":*") {
		var parts []string
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "zset":
			for _, z := range rdb.ZRangeWithScores(ctx, k, 0, -1).Val() {
				parts = append(parts, fmt.Sprintf("%v=%g", z.Member, z.Score))
			}
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				parts = append(parts, f+"="+v)
			}
		case "set":
			parts = rdb.SMembers(ctx, k).Val()
		case "stream":
			for _, e := range rdb.XRange(ctx, k, "-", "+").Val() {
				parts = append(parts, fmt.Sprint(e.Values))
			}
		case "string":
			parts = []string{rdb.Get(ctx, k).Val()}
		default:
			t.Fatalf("key %s is a %s", k, typ)
		}
		sort.Strings(parts)
		out[k] = strings.Join(parts, " ")
	}
	return out
}

// Erase (issue 14) deletes every history key of the player, on every
// instance of every board of every product, atomically per product:
// afterwards no key of the namespace names them or holds them (but the
// audit stream, which records the request), their history queries are
// empty, and every other key, other players' history included, is as it
// was. On the old code the hist:<instance>:<user> keys stayed.
func TestEraseDeletesEveryHistoryKey(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(eraseYAML))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	allBackends(t, func(t *testing.T, st *store.Store) {
		rdb := st.Client()
		const gone = "gone_q7"
		players := []string{"ann", "bob", "cat", gone}
		models := map[string]map[string]model{}
		for i, p := range []string{"pa", "pb"} {
			models[p] = eraseGames(t, st, reg.Lookup(p), p, players, 40, uint64(i+1))
		}
		for _, inst := range []string{"wins", "reg", "reg~eu", "reg~us"} {
			if ps, err := st.History(ctx, "pa", inst, gone); err != nil || len(ps) == 0 {
				t.Fatalf("setup: history of %s on pa/%s: %v %v", gone, inst, ps, err)
			}
		}
		before := everything(t, rdb, st)
		as, err := st.ErasePlayer(ctx, reg, []string{"pa", "pb"}, gone, who)
		if err != nil {
			t.Fatal(err)
		}
		if len(as) != 2 || as[0].HistoryErased != 4 || as[1].HistoryErased != 1 {
			t.Errorf("erase: %+v (want 4 history keys in pa, 1 in pb)", as)
		}
		after := everything(t, rdb, st)
		audit := st.Keys().Audit()
		for k, v := range after {
			if k != audit && (strings.Contains(k, gone) || strings.Contains(v, gone)) {
				t.Errorf("after erase, key %s still names %s: %.200s", k, gone, v)
			}
		}
		// Nothing else changed: every key that did not hold the player is
		// as it was, other players' history keys included.
		for k, v := range before {
			if k == audit || strings.Contains(k, gone) || strings.Contains(v, gone) {
				continue
			}
			if after[k] != v {
				t.Errorf("key %s changed by the erase:\n was %.200s\n now %.200s", k, v, after[k])
			}
		}
		for _, p := range []string{"pa", "pb"} {
			for inst, m := range models[p] {
				delete(m, gone)
				m.check(t, st, p, inst)
			}
			ps, err := st.History(ctx, p, "wins", gone)
			if err != nil || len(ps) != 0 {
				t.Errorf("history of %s on %s/wins after erase: %v %v", gone, p, ps, err)
			}
		}
		for _, inst := range []string{"reg", "reg~eu", "reg~us"} {
			if ps, err := st.History(ctx, "pa", inst, gone); err != nil || len(ps) != 0 {
				t.Errorf("history of %s on pa/%s after erase: %v %v", gone, inst, ps, err)
			}
		}
		// Again: nothing more to do.
		as, err = st.ErasePlayer(ctx, reg, []string{"pa", "pb"}, gone, who)
		if err != nil || as[0].HistoryErased != 0 || as[1].HistoryErased != 0 {
			t.Fatalf("erase again: %+v %v", as, err)
		}
	})
}

// Remove keeps the player's history unless it erases their stats (the
// stats choice is "keep or erase what the player did"): with erase-stats
// every history key of the product goes, in the same script.
func TestRemoveErasesHistoryOnlyWithStats(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(eraseYAML))
	if err != nil {
		t.Fatal(err)
	}
	prod := cfg.Products["pa"]
	allBackends(t, func(t *testing.T, st *store.Store) {
		eraseGames(t, st, prod, "pa", []string{"ann", "bob", "cat"}, 20, 9)
		n := func() int {
			total := 0
			for _, inst := range []string{"wins", "reg", "reg~eu", "reg~us"} {
				ps, err := st.History(ctx, "pa", inst, "ann")
				if err != nil {
					t.Fatal(err)
				}
				total += len(ps)
			}
			return total
		}
		had := n()
		a, err := st.RemovePlayer(ctx, prod, "pa", "ann", false, who)
		if err != nil || a.HistoryErased != 0 || n() != had || had == 0 {
			t.Fatalf("remove keeping stats: %+v %v; history %d points, had %d", a, err, n(), had)
		}
		a, err = st.RemovePlayer(ctx, prod, "pa", "ann", true, who)
		if err != nil || a.HistoryErased != 4 || n() != 0 {
			t.Fatalf("remove erasing stats: %+v %v; history %d points left", a, err, n())
		}
	})
}

// A history key of the wrong type refuses the erase of that product with
// nothing changed, like any other key of the action.
func TestEraseWrongTypeHistoryKeyChangesNothing(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(eraseYAML))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	allBackends(t, func(t *testing.T, st *store.Store) {
		rdb := st.Client()
		eraseGames(t, st, reg.Lookup("pa"), "pa", []string{"ann", "bob", "cat"}, 20, 3)
		bad := st.Keys().History("pa", "reg~us", "ann")
		rdb.Del(ctx, bad)
		rdb.Set(ctx, bad, "x", 0)
		before := everything(t, rdb, st)
		_, err := st.ErasePlayer(ctx, reg, []string{"pa"}, "ann", who)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "nothing was changed") {
			t.Fatalf("want a refusal naming %s, got %v", bad, err)
		}
		after := everything(t, rdb, st)
		for k, v := range before {
			if k != st.Keys().Audit() && after[k] != v {
				t.Errorf("key %s changed by a refused erase", k)
			}
		}
	})
}
