package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// resultEvents are n results among 200 players: 1v1 game_overs, or
// free-for-all match_overs of ffa players when ffa > 0.
func resultEvents(n, ffa int) []event.Event {
	rnd := rand.New(rand.NewPCG(5, 6))
	evs := make([]event.Event, n)
	for i := range evs {
		perm := rnd.Perm(200)
		id := fmt.Sprintf("%d-0", 1700000000000+int64(i))
		if ffa == 0 {
			evs[i] = event.Event{ID: id, Fields: map[string]string{"product_id": "arena", "type": "game_over", "winner_id": fmt.Sprint("u", perm[0]), "loser_id": fmt.Sprint("u", perm[1])}}
			continue
		}
		teams := make([][]string, ffa)
		ranks := make([]int, ffa)
		for t := range teams {
			teams[t], ranks[t] = []string{fmt.Sprint("u", perm[t])}, t+1
		}
		tj, _ := json.Marshal(teams)
		rj, _ := json.Marshal(ranks)
		evs[i] = event.Event{ID: id, Fields: map[string]string{"product_id": "arena", "type": "match_over", "teams": string(tj), "ranks": string(rj)}}
	}
	return evs
}

// BenchmarkResults replays 2,000 results through engine.Run (track's path)
// into a real redis-server, for a product with the wins board, the result
// stats and one rating board: elo or openskill, on 1v1 game_overs and on
// 8-player free-for-alls. Issue 13's budget: openskill 1v1 <= 2x elo 1v1,
// openskill FFA-8 <= 8x elo 1v1 (compare ns/result side by side).
func BenchmarkResults(b *testing.B) {
	scorers := map[string]handler.Handler{"elo": handler.Elo{Board: "r", K: 32}, "openskill": handler.NewOpenSkill("r")}
	srv := testredis.Start(b)
	rdb := srv.Client()
	ctx := context.Background()
	for _, shape := range []struct {
		name string
		ffa  int
	}{{"1v1", 0}, {"ffa8", 8}} {
		evs := resultEvents(2000, shape.ffa)
		for _, name := range []string{"elo", "openskill"} {
			reg := handler.NewRegistry(handler.DefaultProduct())
			p := handler.DefaultProduct()
			p.Boards = append(p.Boards, handler.Board{Name: "r", Scorer: scorers[name]})
			if err := reg.Register("arena", p); err != nil {
				b.Fatal(err)
			}
			b.Run(shape.name+"/"+name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					b.StopTimer()
					if err := rdb.FlushAll(ctx).Err(); err != nil {
						b.Fatal(err)
					}
					eng := engine.New(reg, store.New(rdb, store.Options{}))
					b.StartTimer()
					sum, err := eng.Run(ctx, &sliceSource{evs: evs}, engine.RunOptions{})
					if err != nil || sum.ByStatus[engine.Applied] != int64(len(evs)) {
						b.Fatalf("%v %v", sum, err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/result")
			})
		}
	}
}

// BenchmarkRate is the scorers alone (no Redis): one result through
// Handle, states from an in-memory view.
func BenchmarkRate(b *testing.B) {
	for _, shape := range []struct {
		name string
		ffa  int
	}{{"1v1", 0}, {"ffa8", 8}} {
		evs := resultEvents(500, shape.ffa)
		for _, sc := range []struct {
			name string
			h    handler.Handler
		}{{"elo", handler.Elo{Board: "r", K: 32}}, {"openskill", handler.NewOpenSkill("r")}} {
			b.Run(shape.name+"/"+sc.name, func(b *testing.B) {
				m := mapState{}
				for i := 0; i < b.N; i++ {
					ch, err := sc.h.Handle(evs[i%len(evs)], m)
					if err != nil {
						b.Fatal(err)
					}
					for _, c := range ch {
						if c.Op == handler.StateSet {
							m[c.Board+"/"+c.User] = c.Str
						}
					}
				}
			})
		}
	}
}
