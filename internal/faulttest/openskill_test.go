package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

const teamConfig = `version: 1
products:
  arena:
    boards:
      - {name: skill, scorer: openskill}
      - {name: elo, scorer: elo, k: 32}
      - {name: wins, scorer: wins}
    result_stats: true
`

// teamEntries are stream entries of team results among 30 players:
// match_overs of 2-4 teams of 1-4 and free-for-alls of 2-12, ties and
// draws included, and 1v1 game_overs, some drawn.
func teamEntries(n int, seed uint64) []e2etest.Entry {
	rng := newRandSeed(seed)
	out := make([]e2etest.Entry, 0, n)
	for i := 0; i < n; i++ {
		perm := rng.Perm(30)
		if rng.IntN(4) == 0 {
			e := e2etest.Entry{"product_id", "arena", "game_id", fmt.Sprint("g", i), "type", "game_over", "winner_id", fmt.Sprint("u", perm[0]), "loser_id", fmt.Sprint("u", perm[1])}
			if rng.IntN(3) == 0 {
				e = append(e, "result", "draw")
			}
			out = append(out, e)
			continue
		}
		nTeams, size := 2+rng.IntN(3), 1+rng.IntN(4)
		if rng.IntN(3) == 0 {
			nTeams, size = 2+rng.IntN(11), 1
		}
		teams := make([][]string, nTeams)
		ranks := make([]int, nTeams)
		for t := range teams {
			for _, p := range perm[t*size : (t+1)*size] {
				teams[t] = append(teams[t], fmt.Sprint("u", p))
			}
			ranks[t] = 1 + rng.IntN(nTeams)
		}
		tj, _ := json.Marshal(teams)
		rj, _ := json.Marshal(ranks)
		out = append(out, e2etest.Entry{"product_id", "arena", "game_id", fmt.Sprint("g", i), "type", "match_over", "teams", string(tj), "ranks", string(rj)})
	}
	return out
}

// TestFaultOpenSkillConsumersKilled: three consumers rate a product with an
// openskill board (and elo, wins, result stats) while they are SIGKILLed
// and restarted at random, as killRounds does for the built-in products.
// The independent check after the drain: every result in the stream
// (resent ones included: they are new entries) was applied exactly once,
// so each player's games on both rating boards and in the stats equal the
// results they appear in, and their wins the first places they took.
func TestFaultOpenSkillConsumersKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.Start(t)
	tg := target{url: srv.URL(), rdb: srv.Client()}
	bin := e2etest.BuildStatsctl(t)
	cfg := filepath.Join(t.TempDir(), "arena.yaml")
	if err := os.WriteFile(cfg, []byte(teamConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	n, rng := rounds(t), newRand(t)
	ns := "fos"
	stream := ns + "-events"
	es := teamEntries(200*n, rng.Uint64())
	f := newFleet(t, bin, tg, ns, stream)
	f.args = append(f.args, "--config", cfg)
	for i := range consumers {
		f.start(i, true)
	}
	var w writer
	for r := 0; r < n; r++ {
		done := make(chan struct{})
		chunk := es[r*len(es)/n : (r+1)*len(es)/n]
		go func() { defer close(done); w.write(tg.rdb, stream, chunk, 0) }()
		time.Sleep(time.Duration(2+rng.IntN(40)) * time.Millisecond)
		victims := []int{rng.IntN(consumers)}
		for i := range consumers {
			if i != victims[0] && rng.IntN(2) == 0 {
				victims = append(victims, i)
			}
		}
		f.running(fmt.Sprintf("round %d", r))
		for _, i := range victims {
			f.procs[i].Kill(t)
		}
		pending := e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl")
		for _, i := range victims {
			f.start(i, rng.IntN(2) == 0)
		}
		<-done
		t.Logf("round %d: killed and restarted %v; %d entries pending at the kill", r, victims, pending)
	}
	for _, p := range f.procs {
		p.Kill(t)
	}
	f.drain()
	if p := e2etest.GroupPending(ctx, tg.rdb, stream, "statsctl"); p != 0 {
		t.Fatalf("%d entries pending after the drain", p)
	}
	// The expectation, from the stream alone.
	final := e2etest.ReadStream(ctx, t, tg.rdb, stream)
	appear, firsts := map[string]int64{}, map[string]float64{}
	var rules handler.ResultRules
	for _, e := range final {
		fields := map[string]string{}
		for i := 0; i+1 < len(e); i += 2 {
			fields[e[i]] = e[i+1]
		}
		res, ok, err := rules.ParseResult(eventOf(fields))
		if !ok || err != nil {
			t.Fatalf("generated entry %v: %v", e, err)
		}
		for i, team := range res.Teams {
			for _, u := range team {
				appear[u]++
				if res.Places[i] == 1 && !res.Draw() {
					firsts[u]++
				}
			}
		}
	}
	st := store.New(tg.rdb, store.Options{Namespace: ns})
	for _, board := range []string{"skill", "elo"} {
		h, err := tg.rdb.HGetAll(ctx, st.Keys().RatingState("arena", board)).Result()
		if err != nil {
			t.Fatal(err)
		}
		for u, want := range appear {
			s, err := handler.DecodeRatingState(h[u])
			if err != nil || s.Games != want {
				t.Fatalf("%s: %s rated %d times (%v), in %d results", board, u, s.Games, err, want)
			}
		}
	}
	for u, want := range appear {
		m, err := st.Stats(ctx, "arena", u)
		if err != nil {
			t.Fatal(err)
		}
		if m["games"] != fmt.Sprint(want) {
			t.Fatalf("%s: games stat %s, in %d results", u, m["games"], want)
		}
		sc, err := tg.rdb.ZScore(ctx, st.Keys().Board("arena", "wins"), u).Result()
		if err != nil || sc != firsts[u] {
			t.Fatalf("%s: wins %v (%v), first places %v", u, sc, err, firsts[u])
		}
	}
	t.Logf("%d results in the stream (%d written): every one rated exactly once on openskill and elo, counted once in stats and wins", len(final), len(es))
}

func newRandSeed(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 13)) }

func eventOf(fields map[string]string) event.Event { return event.Event{Fields: fields} }
