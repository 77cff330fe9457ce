package standings_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/standings"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

const cfg = `
products:
  p:
    boards:
      - {name: wins, scorer: wins}
      - {name: wk, scorer: wins, period: weekly, keep: 6, grace: 1h, standings: 2, split_by: [region], max_segments: 3}
`

func week(n int) time.Time {
	return time.Date(2025, 12, 29, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(n-1))
}

func game(t time.Time, seq int, w, l string) event.Event {
	return event.Event{ID: strconv.FormatInt(t.UnixMilli(), 10) + "-" + strconv.Itoa(seq), Fields: map[string]string{
		"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l, "region": "eu"}}
}

// TestCloseExactlyOnce: closers racing on one store, one of them having
// died between freezing and publishing, publish each due period once,
// with the ranks the board had, and a late event of a closed period is
// refused. While not caught up, only periods a later period has passed
// close (a replay closes them as it passes them).
func TestCloseExactlyOnce(t *testing.T) {
	run := func(t *testing.T, rdb redis.UniversalClient) {
		c, err := config.Parse("t.yaml", []byte(cfg))
		if err != nil {
			t.Fatal(err)
		}
		reg, _ := c.Registry()
		st := store.New(rdb, store.Options{Namespace: "cl"})
		e := engine.New(reg, st)
		var evs []event.Event
		for w := 10; w <= 12; w++ {
			evs = append(evs, game(week(w), 0, "a", "b"), game(week(w), 1, "a", "c"), game(week(w), 2, "c", "b"))
		}
		if _, err := e.Apply(ctx, evs); err != nil {
			t.Fatal(err)
		}
		stream := "rewards:{out}"
		now := func() time.Time { return week(12).Add(10 * 24 * time.Hour) } // W12 ended 6 days ago
		// A replay has applied everything before W12's Monday 00:30.
		wm := func(context.Context) (time.Time, error) { return week(12).Add(-11*time.Hour - 30*time.Minute), nil }
		replay := &standings.Closer{Store: st, Registry: reg, Stream: stream, Now: now, Watermark: wm}
		// W10 is passed; W11's hour of grace is not.
		if n, err := replay.Pass(ctx); err != nil || n != 1 {
			t.Fatalf("replay pass published %d (%v), want W10 only", n, err)
		}
		// A closer that froze W12 and died before publishing.
		l, _ := reg.Lookup("p").Layers("wk")
		if _, _, err := st.Freeze(ctx, store.RefOf(reg.Lookup("p"), "p", "wk@2026-W12"), "wk", "2026-W12", 2); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		total := make([]int, 8)
		for i := range total {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &standings.Closer{Store: st, Registry: reg, Stream: stream, Now: now}
				for j := 0; j < 3; j++ {
					n, err := cl.Pass(ctx)
					if err != nil {
						t.Error(err)
					}
					total[i] += n
				}
			}()
		}
		wg.Wait()
		sum := 0
		for _, n := range total {
			sum += n
		}
		if sum != 2 {
			t.Errorf("racing closers published %d, want 2 (W11, W12)", sum)
		}
		xs, err := rdb.XRange(ctx, stream, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var periods []string
		for _, x := range xs {
			periods = append(periods, x.Values["period"].(string))
			if x.Values["type"] != "period_closed" || x.Values["product_id"] != "p" || x.Values["board"] != "wk" {
				t.Errorf("entry %v", x.Values)
			}
			if got := x.Values["entries"]; got != `[{"rank":1,"user_id":"a","score":2},{"rank":2,"user_id":"c","score":1}]` {
				t.Errorf("%s entries %v", x.Values["period"], got)
			}
		}
		if len(xs) != 3 || periods[0] != "2026-W10" || periods[1] != "2026-W11" || periods[2] != "2026-W12" {
			t.Errorf("stream holds %v, want W10, W11, W12 once each", periods)
		}
		outs, err := e.Apply(ctx, []event.Event{game(week(12), 9, "z", "a")})
		if err != nil || outs[0].Reason != handler.ReasonPeriodClosed {
			t.Errorf("late event of a closed period: %+v %v", outs, err)
		}
		f, err := standings.Final(ctx, st, reg.Lookup("p"), "p", l, "2026-W12", false)
		if err != nil || store.EntriesJSON(f.Entries) != `[{"rank":1,"user_id":"a","score":2},{"rank":2,"user_id":"c","score":1}]` {
			t.Errorf("on-demand standings %+v %v", f, err)
		}
	}
	testredis.Backends(t, run)
	t.Run("cluster", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short")
		}
		run(t, testredis.StartCluster(t).Client())
	})
}
