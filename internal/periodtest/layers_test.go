package periodtest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

const layersYAML = `
products:
  p:
    boards:
      - {name: wins, scorer: wins}
      - {name: weekly, scorer: wins, period: weekly, keep: 3, split_by: [region], max_segments: 2}
      - {name: elo-monthly, scorer: elo, k: 32, period: monthly, keep: 2, split_by: [region], segments: [eu, us]}
`

func week(n int) time.Time { // Monday noon of ISO week n of 2026 (W01 starts 2025-12-29)
	return time.Date(2025, 12, 29, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(n-1))
}

func TestLayersRetentionAndBounds(t *testing.T) {
	allBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{Namespace: "lt"})
		e := engine.New(registry(t, layersYAML), st)
		for w := 10; w <= 14; w++ {
			outs := apply(t, e, game(week(w), 0, "a", "b", "region", "eu"), game(week(w), 1, "c", "a", "region", "us"))
			for _, o := range outs {
				if o.Status != engine.Applied {
					t.Fatalf("week %d: %+v", w, o)
				}
			}
		}
		// keep: 3 -> W12..W14 stay, with their segments; W10, W11 are gone.
		insts, err := st.Instances(ctx, "p", "weekly")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, in := range insts {
			names = append(names, fmt.Sprintf("%s=%d", in.Instance, in.Size))
		}
		want := []string{"weekly@2026-W12=3", "weekly@2026-W12~eu=2", "weekly@2026-W12~us=2",
			"weekly@2026-W13=3", "weekly@2026-W13~eu=2", "weekly@2026-W13~us=2",
			"weekly@2026-W14=3", "weekly@2026-W14~eu=2", "weekly@2026-W14~us=2"}
		if !reflect.DeepEqual(sortedCopy(names), sortedCopy(want)) {
			t.Errorf("registry %v\nwant %v", names, want)
		}
		for _, gone := range []string{"weekly@2026-W10", "weekly@2026-W11~eu", "elo-monthly@2026-02"} {
			if n := len(board(t, st, gone)); n != 0 {
				t.Errorf("%s still has %d players", gone, n)
			}
		}
		if got := board(t, st, "weekly@2026-W14"); !reflect.DeepEqual(got, map[string]float64{"a": 1, "b": 0, "c": 1}) {
			t.Errorf("W14 %v", got)
		}
		before := board(t, st, "wins")
		// A late event of W11 (past the archive), a third segment, a segment
		// outside the allow-list: each invalid whole, nothing written.
		for _, c := range []struct {
			ev     string
			reason string
			outs   []engine.Outcome
		}{
			{"late", handler.ReasonPeriodExpired, apply(t, e, game(week(11), 5, "z", "y", "region", "eu"))},
			{"third segment", handler.ReasonSegmentLimit, apply(t, e, game(week(14), 5, "z", "y", "region", "asia"))},
			{"future", handler.ReasonFutureTime, apply(t, e, game(time.Now().Add(48*time.Hour), 5, "z", "y", "region", "eu"))},
		} {
			if c.outs[0].Status != engine.Invalid || c.outs[0].Reason != c.reason {
				t.Errorf("%s: %+v, want invalid %s", c.ev, c.outs[0], c.reason)
			}
		}
		// The allow-list refuses in the handler, before any write.
		if o := apply(t, e, game(week(14), 6, "z", "y", "region", "eu2")); o[0].Reason != handler.ReasonSegmentLimit {
			t.Errorf("elo allow-list: %+v", o[0])
		}
		if after := board(t, st, "wins"); !reflect.DeepEqual(before, after) {
			t.Errorf("a refused event changed the all-time board: %v -> %v", before, after)
		}
		for _, inst := range []string{"weekly@2026-W11", "weekly@2026-W14~asia"} {
			if n := len(board(t, st, inst)); n != 0 {
				t.Errorf("%s was minted", inst)
			}
		}
		// A late event within the archive still counts in its own week.
		if o := apply(t, e, game(week(12), 7, "late", "b", "region", "eu")); o[0].Status != engine.Applied {
			t.Fatalf("late in archive: %+v", o[0])
		}
		if got := board(t, st, "weekly@2026-W12~eu"); got["late"] != 1 {
			t.Errorf("W12~eu %v", got)
		}
		// Elo per month and segment: fresh ratings in each instance.
		if got := board(t, st, "elo-monthly@2026-03~us"); len(got) != 2 {
			t.Errorf("elo March us: %v", got)
		}
	})
}

func sortedCopy(xs []string) []string {
	out := append([]string(nil), xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestFutureTimeInOpenedPeriod: the apply script checks an opened period
// once per batch (its closed mark, the archive), but every event's own
// time against the server clock: an event a few minutes ahead, in the
// period an earlier event of the same batch opened, is still refused
// future_time alone, and the events around it count.
func TestFutureTimeInOpenedPeriod(t *testing.T) {
	now := time.Now().UTC()
	ahead := now.Add(3 * time.Minute)
	if now.Month() != ahead.Month() {
		t.Skip("the month ends within 3 minutes: the events would not share a period")
	}
	allBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{Namespace: "ft"})
		e := engine.New(registry(t, `
products:
  p:
    boards:
      - {name: wins, scorer: wins}
      - {name: monthly, scorer: wins, period: monthly}
`), st)
		outs := apply(t, e, game(now, 0, "a", "b"), game(ahead, 0, "c", "d"), game(now, 1, "a", "d"))
		if outs[0].Status != engine.Applied || outs[2].Status != engine.Applied {
			t.Fatalf("events of now: %+v", outs)
		}
		if outs[1].Status != engine.Invalid || outs[1].Reason != handler.ReasonFutureTime {
			t.Fatalf("an event 3 minutes ahead: %+v, want invalid %s", outs[1], handler.ReasonFutureTime)
		}
		if got, want := board(t, st, "monthly@"+now.Format("2006-01")), map[string]float64{"a": 2, "b": 0, "d": 0}; !reflect.DeepEqual(got, want) {
			t.Errorf("monthly board %v, want %v", got, want)
		}
	})
}
