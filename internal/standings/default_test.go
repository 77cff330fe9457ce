package standings_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/standings"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

const defaultCfg = `
default:
  boards:
    - {name: wins, scorer: wins}
    - {name: wk, scorer: wins, period: weekly, keep: 4, grace: 1h, standings: 2}
products:
  p:
    boards:
      - {name: wk, scorer: wins, period: weekly, keep: 4, grace: 1h, standings: 2}
`

// TestCloseDefaultProducts: products that are not in the config but use
// the default: product's periodic board have their periods closed too,
// exactly once by racing closers, like the configured product's. A
// products set of the wrong type fails the pass with an error naming it,
// after the configured products are closed.
func TestCloseDefaultProducts(t *testing.T) {
	run := func(t *testing.T, rdb redis.UniversalClient) {
		c, err := config.Parse("t.yaml", []byte(defaultCfg))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := c.Registry()
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(rdb, store.Options{Namespace: "df"})
		var evs []event.Event
		for _, prod := range []string{"p", "g1", "g2"} {
			for w := 10; w <= 11; w++ {
				ev := game(week(w), 0, "a", "b")
				ev.Fields["product_id"] = prod
				evs = append(evs, ev)
			}
		}
		if _, err := engine.New(reg, st).Apply(ctx, evs); err != nil {
			t.Fatal(err)
		}
		stream := "rewards:{df}"
		now := func() time.Time { return week(11).Add(10 * 24 * time.Hour) }
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &standings.Closer{Store: st, Registry: reg, Stream: stream, Now: now}
				for range 2 {
					n, err := cl.Pass(ctx)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					total += n
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		xs, err := rdb.XRange(ctx, stream, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, x := range xs {
			got = append(got, x.Values["product_id"].(string)+" "+x.Values["period"].(string))
		}
		want := "p 2026-W10,p 2026-W11,g1 2026-W10,g1 2026-W11,g2 2026-W10,g2 2026-W11"
		if total != 6 || len(got) != 6 {
			t.Fatalf("published %d, stream %v; want each of %s once", total, got, want)
		}
		seen := map[string]bool{}
		for _, g := range got {
			if seen[g] || !strings.Contains(want, g) {
				t.Errorf("stream %v, want each of %s once", got, want)
			}
			seen[g] = true
		}

		// A products set of the wrong type: the configured product's
		// periods still close, and the pass says what is wrong.
		st2 := store.New(rdb, store.Options{Namespace: "dw"})
		if _, err := engine.New(reg, st2).Apply(ctx, evs[:2]); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Del(ctx, "dw:products").Err(); err != nil {
			t.Fatal(err)
		}
		if err := rdb.Set(ctx, "dw:products", "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		cl := &standings.Closer{Store: st2, Registry: reg, Stream: "rewards2:{df}", Now: now}
		n, err := cl.Pass(ctx)
		if n != 2 || err == nil || !strings.Contains(err.Error(), "dw:products") {
			t.Errorf("pass with a wrong-type products set: %d published, %v; want 2 and an error about the products set", n, err)
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
