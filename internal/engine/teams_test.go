package engine_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// teamRegistry is a team game "arena" with an openskill board, a
// constant-K Elo board and wins, and the built-in result stats.
func teamRegistry(t testing.TB) *handler.Registry {
	r := handler.NewRegistry(handler.DefaultProduct())
	p := handler.DefaultProduct()
	p.Boards = []handler.Board{
		{Name: "skill", Scorer: handler.NewOpenSkill("skill")},
		{Name: "elo", Scorer: handler.Elo{Board: "elo", K: 32}},
		{Name: "wins", Scorer: handler.Wins{Board: "wins"}},
	}
	if err := r.Register("arena", p); err != nil {
		t.Fatal(err)
	}
	return r
}

// teamEvents generates n results among 40 players: match_overs of 2-4
// teams of one size 1-4, free-for-alls of 2-16, 1v1 game_overs and draws;
// every team of a match has the same size, so constant-K Elo is zero-sum.
// It also returns how many player slots and first places (no draw) there are.
func teamEvents(seed uint64, n int) (evs []event.Event, slots, firsts int) {
	rnd := rand.New(rand.NewPCG(seed, 99))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%d-0", 1700000000000+int64(i))
		nTeams, size := 2+rnd.IntN(3), 1+rnd.IntN(4)
		if rnd.IntN(3) == 0 {
			nTeams, size = 2+rnd.IntN(15), 1
		}
		perm := rnd.Perm(40)
		if nTeams == 2 && size == 1 && rnd.IntN(2) == 0 {
			f := map[string]string{"product_id": "arena", "type": "game_over", "winner_id": fmt.Sprint("u", perm[0]), "loser_id": fmt.Sprint("u", perm[1])}
			slots += 2
			if rnd.IntN(4) == 0 {
				f["draw"] = "true"
			} else {
				firsts++
			}
			evs = append(evs, event.Event{ID: id, Fields: f})
			continue
		}
		teams := make([][]string, nTeams)
		ranks := make([]int, nTeams)
		for t := range teams {
			for _, p := range perm[t*size : (t+1)*size] {
				teams[t] = append(teams[t], fmt.Sprint("u", p))
			}
			ranks[t] = 1 + rnd.IntN(nTeams) // ties happen, draws too
		}
		slots += nTeams * size
		best, nBest := ranks[0], 0
		for _, r := range ranks {
			best = min(best, r)
		}
		for _, r := range ranks {
			if r == best {
				nBest++
			}
		}
		if nBest < nTeams {
			firsts += nBest * size
		}
		tj, _ := json.Marshal(teams)
		rj, _ := json.Marshal(ranks)
		evs = append(evs, event.Event{ID: id, Fields: map[string]string{"product_id": "arena", "type": "match_over", "teams": string(tj), "ranks": string(rj)}})
	}
	return evs, slots, firsts
}

func TestTeamsRunEqualsSequentialPass(t *testing.T) {
	rdb := testredis.Start(t).Client()
	reg := teamRegistry(t)
	st := store.New(rdb, store.Options{})
	evs, _, _ := teamEvents(1, 500)
	sum, err := engine.New(reg, st).Run(ctx, &sliceSource{evs: evs}, engine.RunOptions{BatchSize: 61})
	if err != nil {
		t.Fatal(err)
	}
	if sum.ByStatus[engine.Invalid] != 0 {
		t.Fatalf("invalid events in a clean stream: %v", sum)
	}
	exp := sequential(t, reg, evs)
	for _, board := range []string{"skill", "elo"} {
		h, err := rdb.HGetAll(ctx, st.Keys().RatingState("arena", board)).Result()
		if err != nil {
			t.Fatal(err)
		}
		for u, v := range h {
			if exp[board+"/"+u] != v {
				t.Fatalf("%s/%s: Run %s, sequential pass %s", board, u, v, exp[board+"/"+u])
			}
		}
		if len(h) != 40 {
			t.Fatalf("%s board has %d players, want 40", board, len(h))
		}
	}
}

// Six consumers apply overlapping batches of one stream of team results at
// once: every result is rated exactly once on the openskill and elo boards
// (games add up to the player slots; constant-K Elo with equal-size teams is
// zero-sum), the wins board totals the first places and the stats the slots.
func TestTeamsConcurrentConsumersLoseNothing(t *testing.T) {
	rdb := testredis.Start(t).Client()
	reg := teamRegistry(t)
	st := store.New(rdb, store.Options{})
	eng := engine.New(reg, st)
	evs, slots, firsts := teamEvents(2, 300)
	const consumers = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	errs := make(chan error, consumers)
	for c := 0; c < consumers; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			size := 10 + 13*c
			start := (len(evs) / consumers) * c
			order := append(append([]event.Event{}, evs[start:]...), evs[:start]...)
			for i := 0; i < len(order); i += size {
				outs, err := eng.Apply(ctx, order[i:min(i+size, len(order))])
				if err != nil {
					errs <- err
					return
				}
				n := 0
				for _, o := range outs {
					if o.Status == engine.Applied {
						n++
					}
				}
				mu.Lock()
				applied += n
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if applied != len(evs) {
		t.Fatalf("%d results reported applied across consumers, want each of %d exactly once", applied, len(evs))
	}
	for _, board := range []string{"skill", "elo"} {
		h, err := rdb.HGetAll(ctx, st.Keys().RatingState("arena", board)).Result()
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		var sum float64
		for _, v := range h {
			s, err := handler.DecodeRatingState(v)
			if err != nil {
				t.Fatal(err)
			}
			n += s.Games
			sum += s.Rating - 1500
		}
		if n != int64(slots) {
			t.Fatalf("%s: rated games add up to %d, want the %d player slots", board, n, slots)
		}
		if board == "elo" && math.Abs(sum) > 1e-6 {
			t.Fatalf("elo changes sum to %v; constant K over equal-size teams must sum to 0", sum)
		}
	}
	page, err := st.Top(ctx, store.BoardRef{Product: "arena", Instance: "wins"}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var wins float64
	for _, e := range page.Entries {
		wins += e.Score
	}
	if int(wins) != firsts {
		t.Fatalf("wins board totals %v, want the %d first places", wins, firsts)
	}
	var games int64
	for i := 0; i < 40; i++ {
		m, err := st.Stats(ctx, "arena", fmt.Sprint("u", i))
		if err != nil {
			t.Fatal(err)
		}
		var g, w, l, d int64
		fmt.Sscan(m["games"], &g)
		fmt.Sscan(m["wins"], &w)
		fmt.Sscan(m["losses"], &l)
		fmt.Sscan(m["draws"], &d)
		if g != w+l+d {
			t.Fatalf("u%d: games %d != wins %d + losses %d + draws %d", i, g, w, l, d)
		}
		games += g
	}
	if games != int64(slots) {
		t.Fatalf("games stats add up to %d, want %d", games, slots)
	}
	t.Logf("%d results, %d player slots over %d consumers: %d conflicting batches re-read and recomputed", len(evs), slots, consumers, eng.Conflicts())
}
