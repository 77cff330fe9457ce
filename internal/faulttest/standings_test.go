package faulttest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/testredis"
)

// TestFaultPeriodCloseKilled: three consumers replay twelve past weeks of a
// weekly board while a random one is SIGKILLed and restarted every round;
// their close jobs run every 20 ms. Afterwards the outbound stream holds
// exactly one period_closed entry per week, each with the week's final top
// three as an independent count of the stream's games has it.
func TestFaultPeriodCloseKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real processes")
	}
	srv := testredis.Start(t)
	rdb := srv.Client()
	bin := e2etest.BuildStatsctl(t)
	cfg := filepath.Join(t.TempDir(), "cfg.yaml")
	if err := os.WriteFile(cfg, []byte(`products:
  p:
    boards:
      - {name: wins, scorer: wins}
      - {name: wk, scorer: wins, period: weekly, keep: 20, grace: 1m, standings: 3}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	// Twelve ISO weeks of 2026, W30..W41, 400 games each, in time order.
	wk30 := time.Date(2026, 7, 20, 0, 0, 0, 0, time.UTC)
	want := map[string]map[string]int{} // week -> player -> wins (losers at 0)
	players := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	var last int64
	for w := 0; w < 12; w++ {
		id := fmt.Sprintf("2026-W%02d", 30+w)
		want[id] = map[string]int{}
		for g := 0; g < 400; g++ {
			ms := wk30.AddDate(0, 0, 7*w).UnixMilli() + int64(g)*1_500_000 // spread over the week
			if ms <= last {
				ms = last + 1
			}
			last = ms
			wn, ln := players[r.IntN(len(players))], players[r.IntN(len(players))]
			if wn == ln {
				continue
			}
			want[id][wn]++
			want[id][ln] += 0
			if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: "game_event_stream", ID: fmt.Sprintf("%d-0", ms),
				Values: []any{"product_id", "p", "type", "game_over", "winner_id", wn, "loser_id", ln}}).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	args := []string{"--redis", srv.URL(), "--config", cfg, "--namespace", "fclose", "--close-every", "20ms", "--metrics-addr", "off", "--count", "50", "--claim-after", "500ms"}
	procs := make([]*e2etest.Proc, 3)
	for i := range procs {
		procs[i] = e2etest.StartConsume(t, bin, append(args, "--consumer", fmt.Sprintf("c%d", i))...)
	}
	for round := 0; round < 8; round++ {
		time.Sleep(time.Duration(50+r.IntN(250)) * time.Millisecond)
		i := r.IntN(len(procs))
		procs[i].Kill(t)
		procs[i] = e2etest.StartConsume(t, bin, append(args, "--consumer", fmt.Sprintf("c%d", i))...)
	}
	for _, p := range procs {
		p.Kill(t)
	}
	if code := e2etest.StartConsume(t, bin, append(args, "--drain", "--consumer", "c0")...).Wait(t, 60*time.Second); code != 0 {
		t.Fatalf("drain exited %d", code)
	}
	xs, err := rdb.XRange(ctx, "statsctl:events", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, x := range xs {
		week, _ := x.Values["period"].(string)
		got[week]++
		var es []struct {
			Rank   int64   `json:"rank"`
			UserID string  `json:"user_id"`
			Score  float64 `json:"score"`
		}
		if err := json.Unmarshal([]byte(x.Values["entries"].(string)), &es); err != nil || len(es) == 0 {
			t.Fatalf("%s entries %v: %v", week, x.Values["entries"], err)
		}
		for k, e := range es {
			if float64(want[week][e.UserID]) != e.Score {
				t.Errorf("%s: %s has %v in the standings, %d wins in the stream", week, e.UserID, e.Score, want[week][e.UserID])
			}
			for u, n := range want[week] {
				if n > int(es[len(es)-1].Score) && !contains(es, u) {
					t.Errorf("%s: %s with %d wins is missing from the top %d", week, u, n, len(es))
				}
			}
			if k > 0 && (e.Score > es[k-1].Score || (e.Score == es[k-1].Score) != (e.Rank == es[k-1].Rank)) {
				t.Errorf("%s: ranks out of order: %v", week, es)
			}
		}
	}
	for w := range want {
		if got[w] != 1 {
			t.Errorf("week %s published %d times, want once", w, got[w])
		}
	}
	if len(got) != len(want) {
		t.Errorf("published weeks %v, want the %d of the stream", got, len(want))
	}
}

func contains(es []struct {
	Rank   int64   `json:"rank"`
	UserID string  `json:"user_id"`
	Score  float64 `json:"score"`
}, u string) bool {
	for _, e := range es {
		if e.UserID == u {
			return true
		}
	}
	return false
}
