package periodtest

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/store"
)

const rebuildValueYAML = `
products:
  p:
    boards:
      - {name: pts, scorer: value, match: {type: lap}, player: user_id, field: pts, op: best, ties: first,
         meta: [display_name], period: weekly, keep: 3, split_by: [region], max_segments: 2}
`

// TestRebuildValueBoardTakesTieAndMetaKeys: a periodic split ties: first
// value board keeps tie-break and metadata keys per instance. A rebuild
// swaps them in with the sorted sets (ranks by who reached a score first,
// and metadata, equal a fresh replay's), and a live instance the history
// lacks goes with all its keys.
func TestRebuildValueBoardTakesTieAndMetaKeys(t *testing.T) {
	lap := func(day, hour int, user, pts, region, name string) event.Event {
		at := time.Date(2026, 3, day, hour, 0, 0, 0, time.UTC)
		ev := game(at, hour, "", "")
		ev.Fields = map[string]string{"product_id": "p", "type": "lap", "user_id": user, "pts": pts,
			"region": region, "display_name": name}
		return ev
	}
	history := []event.Event{
		lap(2, 1, "z", "50", "eu", "Zed"), lap(2, 2, "a", "50", "eu", "Ann"), lap(3, 3, "b", "70", "us", "Bo"),
		lap(9, 4, "a", "40", "eu", "Ann2"), lap(10, 5, "z", "40", "us", "Zed2"), lap(16, 6, "c", "10", "eu", "Cy"),
	}
	// Not in the history: a segment in a kept week, with its own ties.
	extra := []event.Event{lap(16, 7, "q", "90", "asia", "Q"), lap(16, 8, "z", "90", "eu", "Zlive")}
	allBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		reg := registry(t, rebuildValueYAML)
		live := store.New(rdb, store.Options{Namespace: "rb"})
		apply(t, engine.New(reg, live), append(append([]event.Event{}, extra...), history...)...)
		fresh := store.New(rdb, store.Options{Namespace: "fr"})
		apply(t, engine.New(reg, fresh), history...)
		if _, err := rebuild.Run(ctx, rebuild.Options{Product: "p", Board: "pts", Registry: reg, Live: live,
			History: &sliceSource{evs: history}}); err != nil {
			t.Fatal(err)
		}
		want, got := instancesOf(t, fresh, "pts"), instancesOf(t, live, "pts")
		if !reflect.DeepEqual(got, want) || len(want) != 8 {
			t.Fatalf("instances after the rebuild %v, fresh replay %v", keysOf(got), keysOf(want))
		}
		prod := reg.Lookup("p")
		for in := range want {
			w, err := fresh.Top(ctx, store.RefOf(prod, "p", in), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			g, err := live.Top(ctx, store.RefOf(prod, "p", in), 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s: rebuilt %+v, fresh replay %+v", in, g, w)
			}
		}
		var lkeys, fkeys []string
		for _, k := range allKeys(t, rdb, "rb:{p}:*") {
			if strings.Contains(k, ":lb:") || strings.Contains(k, ":ix:") {
				lkeys = append(lkeys, strings.TrimPrefix(k, "rb:"))
			}
			if strings.Contains(k, ".rebuild") {
				t.Errorf("scratch key left: %s", k)
			}
		}
		for _, k := range allKeys(t, rdb, "fr:{p}:*") {
			if strings.Contains(k, ":lb:") || strings.Contains(k, ":ix:") {
				fkeys = append(fkeys, strings.TrimPrefix(k, "fr:"))
			}
		}
		if !reflect.DeepEqual(lkeys, fkeys) {
			t.Errorf("board keys after the rebuild:\n%v\nfresh replay:\n%v", lkeys, fkeys)
		}
	})
}
