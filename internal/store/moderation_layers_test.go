package store_test

import (
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// Removing a player reaches every instance of a split board and the
// tie-break and metadata keys of a ties: first value board: afterwards no
// query of any instance shows them, and everyone else is where they were.
func TestRemovePlayerCoversSegmentsAndTieKeys(t *testing.T) {
	const yaml = `products:
  race:
    boards:
      - name: laps
        scorer: value
        match: {type: gameplay, event_name: lap}
        player: user_id
        field: lap_ms
        op: best
        order: asc
        ties: first
        meta: [car]
        split_by: [region]
        segments: [eu, us]
`
	cfg, err := config.Parse("x.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	prod := cfg.Products["race"]
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{})
		var items []store.Item
		laps := []struct {
			user, region string
			ms           int
		}{{"ann", "eu", 81000}, {"bob", "eu", 81000}, {"cat", "us", 79000}, {"cheat", "eu", 20001}, {"cheat", "us", 20002}}
		for i, l := range laps {
			ev := event.Event{ID: fmt.Sprintf("%d-0", 1764600000000+int64(i)*1000), Fields: map[string]string{
				"product_id": "race", "type": "gameplay", "event_name": "lap", "user_id": l.user,
				"lap_ms": fmt.Sprint(l.ms), "region": l.region, "car": "c" + l.user}}
			ch, err := prod.Handle(ev, handler.NoValues{})
			if err != nil {
				t.Fatal(err)
			}
			items = append(items, store.Item{EventID: ev.ID, Changes: ch})
		}
		if _, err := st.Apply(ctx, map[string][]store.Item{"race": items}); err != nil {
			t.Fatal(err)
		}
		users := func(inst string) []string {
			p, err := st.Top(ctx, store.RefAt(prod, "race", handler.Choice{Board: "laps", Instance: inst}), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, e := range p.Entries {
				out = append(out, e.UserID)
			}
			return out
		}
		before := map[string]string{}
		for _, inst := range []string{"laps", "laps~eu", "laps~us"} {
			before[inst] = fmt.Sprint(users(inst))
		}
		if before["laps"] != "[cheat cat ann bob]" || before["laps~eu"] != "[cheat ann bob]" {
			t.Fatalf("setup: %v", before)
		}
		if _, err := st.RemovePlayer(ctx, prod, "race", "cheat", false, store.Who{Actor: "ops", Reason: "aimbot"}); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"laps": "[cat ann bob]", "laps~eu": "[ann bob]", "laps~us": "[cat]"}
		for inst, w := range want {
			if got := fmt.Sprint(users(inst)); got != w {
				t.Errorf("%s after remove: %s, want %s", inst, got, w)
			}
		}
		for _, k := range []string{st.Keys().TieOf("race", "laps~eu"), st.Keys().Meta("race", "laps~us")} {
			if n, _ := rdb.HExists(ctx, k, "cheat").Result(); n {
				t.Errorf("%s still holds the removed player", k)
			}
		}
	})
}
