package valuetest

import (
	"context"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

const extremes = `version: 1
products:
  ex:
    boards:
      - {name: int, scorer: value, match: {event_name: i}, player: user_id, field: v, op: sum}
      - {name: dec, scorer: value, match: {event_name: d}, player: user_id, field: v, op: sum, scale: 2}
      - {name: nano, scorer: value, match: {event_name: n}, player: user_id, field: v, op: last, scale: 9}
      - {name: first-desc, scorer: value, match: {event_name: f}, player: user_id, field: v, op: best, ties: first}
      - {name: first-asc, scorer: value, match: {event_name: f}, player: user_id, field: v, op: best, order: asc, ties: first}
`

func ev(i int, name, user, v string, ms int64) event.Event {
	f := map[string]string{"product_id": "ex", "type": "gameplay", "event_name": name, "user_id": user, "v": v}
	if ms > 0 {
		f["time"] = strconv.FormatInt(ms, 10)
	}
	return event.Event{ID: "e" + strconv.Itoa(i), Fields: f, Src: event.Source{File: "x.jsonl", Line: i}}
}

func apply(t *testing.T, reg *handler.Registry, st *store.Store, evs ...event.Event) []engine.Outcome {
	t.Helper()
	outs, err := engine.New(reg, st).Apply(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	return outs
}

func registry(t *testing.T, text string) *handler.Registry {
	t.Helper()
	cfg, err := config.Parse("x.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func top(t *testing.T, reg *handler.Registry, st *store.Store, board string) []Row {
	t.Helper()
	p, err := st.Top(context.Background(), store.RefOf(reg.Lookup("ex"), "ex", board), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rows(p.Entries)
}

// TestExactRangeExtremes: ±(2^53-1) stored units are kept exactly, one
// more is refused (out_of_range) by the handler, a sum leaving the range is
// refused by the apply script with nothing written, and decimals add up
// without float drift, on redis-server and miniredis.
func TestExactRangeExtremes(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		reg := registry(t, extremes)
		st := store.New(rdb, store.Options{Namespace: "x"})
		outs := apply(t, reg, st,
			ev(1, "i", "a", "9007199254740991", 0), ev(2, "i", "b", "-9007199254740991", 0),
			ev(3, "i", "c", "9007199254740992", 0), ev(4, "i", "a", "1", 0), ev(5, "i", "b", "-1", 0),
			ev(6, "n", "a", "9007199.254740991", 0), ev(7, "n", "b", "-9007199.254740992", 0),
			ev(8, "n", "c", "0.000000001", 0))
		want := []string{"", "", "out_of_range", "out_of_range", "out_of_range", "", "out_of_range", ""}
		for i, o := range outs {
			if o.Reason != want[i] {
				t.Errorf("event %d: %v %s %s, want reason %q", i+1, o.Status, o.Reason, o.Detail, want[i])
			}
		}
		if got := top(t, reg, st, "int"); len(got) != 2 || got[0].Value != "9007199254740991" || got[1].Value != "-9007199254740991" {
			t.Errorf("int board %v", got)
		}
		if got := top(t, reg, st, "nano"); len(got) != 2 || got[0].Value != "9007199.254740991" || got[1].Value != "0.000000001" {
			t.Errorf("nano board %v", got)
		}
		var evs []event.Event
		for i := 0; i < 1000; i++ {
			evs = append(evs, ev(100+i, "d", "a", "0.1", 0), ev(2000+i, "d", "b", "0.01", 0))
		}
		evs = append(evs, ev(5000, "d", "b", "-10.01", 0))
		apply(t, reg, st, evs...)
		if got := top(t, reg, st, "dec"); len(got) != 2 || got[0].Value != "100" || got[1].Value != "-0.01" {
			t.Errorf("dec board %v (0.1 x 1000 must be exactly 100, 0.01 x 1000 - 10.01 exactly -0.01)", got)
		}
	})
}

// TestTiesFirstEitherOrder: two players reach the same best score; whoever
// reached it first (event time, then line) ranks first on desc and asc
// boards, whichever order the events are applied in, and a rebuild from
// the same history gives the same ranks.
func TestTiesFirstEitherOrder(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		reg := registry(t, extremes)
		for i, tc := range []struct {
			evs   []event.Event
			first string
		}{
			{[]event.Event{ev(1, "f", "a", "50", 1000), ev(2, "f", "b", "50", 2000)}, "a"},
			{[]event.Event{ev(1, "f", "b", "50", 1000), ev(2, "f", "a", "50", 2000)}, "b"},
			// Applied later but reached earlier: event time decides.
			{[]event.Event{ev(1, "f", "a", "50", 2000), ev(2, "f", "b", "50", 1000)}, "b"},
			// Same millisecond: the earlier line.
			{[]event.Event{ev(1, "f", "b", "50", 1000), ev(2, "f", "a", "50", 1000)}, "b"},
			// An equal score reached earlier, applied late, moves the
			// stamp to the earlier time.
			{[]event.Event{ev(1, "f", "b", "50", 1000), ev(2, "f", "a", "50", 2000), ev(3, "f", "b", "50", 500)}, "b"},
		} {
			ns := "tf" + strconv.Itoa(i)
			st := store.New(rdb, store.Options{Namespace: ns})
			apply(t, reg, st, tc.evs...)
			for _, b := range []string{"first-desc", "first-asc"} {
				got := top(t, reg, st, b)
				if len(got) != 2 || got[0].User != tc.first || got[0].Rank != 1 || got[1].Rank != 2 {
					t.Errorf("case %d board %s: %v, want %s first with ranks 1, 2", i, b, got, tc.first)
				}
				r, err := st.Rank(context.Background(), store.RefOf(reg.Lookup("ex"), "ex", b), tc.first)
				if err != nil || r.Rank != 1 {
					t.Errorf("case %d board %s: rank of %s %+v %v", i, b, tc.first, r, err)
				}
				before := got
				if _, err := rebuild.Run(context.Background(), rebuild.Options{Product: "ex", Board: b, Registry: reg, Live: st, History: &slice{evs: tc.evs}}); err != nil {
					t.Fatal(err)
				}
				if after := top(t, reg, st, b); len(after) != 2 || after[0] != before[0] || after[1] != before[1] {
					t.Errorf("case %d board %s: rebuilt %v, was %v", i, b, after, before)
				}
			}
		}
	})
}
