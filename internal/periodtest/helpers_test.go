package periodtest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

// allBackends runs f on redis-server, miniredis and (unless -short) a
// three-master cluster, each from empty.
func allBackends(t *testing.T, f func(t *testing.T, rdb redis.UniversalClient)) {
	testredis.Backends(t, f)
	t.Run("cluster", func(t *testing.T) {
		if testing.Short() {
			t.Skip("-short: no cluster")
		}
		c := testredis.StartCluster(t)
		f(t, c.Client())
	})
}

func registry(t testing.TB, yaml string) *handler.Registry {
	t.Helper()
	c, err := config.Parse("test.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// game is a game_over at t with a stream id, plus extra fields.
func game(t time.Time, seq int, w, l string, kv ...string) event.Event {
	f := map[string]string{"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return event.Event{ID: strconv.FormatInt(t.UnixMilli(), 10) + "-" + strconv.Itoa(seq), Fields: f}
}

func apply(t testing.TB, e *engine.Engine, evs ...event.Event) []engine.Outcome {
	t.Helper()
	outs, err := e.Apply(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func board(t testing.TB, st *store.Store, inst string) map[string]float64 {
	t.Helper()
	p, err := st.Top(ctx, store.BoardRef{Product: "p", Instance: inst}, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, e := range p.Entries {
		out[e.UserID] = e.Score
	}
	return out
}
