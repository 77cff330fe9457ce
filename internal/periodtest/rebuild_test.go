package periodtest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"regexp"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/standings"
	"github.com/varcade/statsctl/internal/store"
)

const rebuildYAML = `
products:
  p:
    boards:
      - {name: all, scorer: wins}
      - {name: wk, scorer: wins, period: weekly, keep: 4}
      - {name: reg, scorer: wins, period: weekly, time_zone: Europe/Berlin, keep: 3, split_by: [region], max_segments: 2}
      - {name: sg, scorer: wins, split_by: [region], max_segments: 2}
`

// sliceSource is a history held in memory.
type sliceSource struct{ evs []event.Event }

func (s *sliceSource) Next() (event.Event, error) {
	if len(s.evs) == 0 {
		return event.Event{}, io.EOF
	}
	ev := s.evs[0]
	s.evs = s.evs[1:]
	return ev, nil
}

// TestRebuildPeriodicAndSplitBoards: the live store holds the history plus
// events that are not in it (a segment "zz" on every board, one of them in
// the newest week, applied first: the live run then refused much of the
// history as expired or beyond max_segments), and every kept period is
// closed and published. Rebuilding the periodic board, the periodic split
// board and the split board from the history alone gives each exactly
// what the model gives a fresh replay of the history (instances, scores,
// registry, retention, segment bounds); live instances the history does
// not produce are gone; closed periods stay closed (their archive
// recomputed, nothing republished, their late events still refused); and
// no other key of the product changes.
func TestRebuildPeriodicAndSplitBoards(t *testing.T) {
	m := &model{
		boards: []mBoard{
			{name: "wk", zone: time.UTC, kind: "week", keep: 4},
			{name: "reg", zone: zone(t, "Europe/Berlin"), kind: "week", keep: 3, maxSegs: 2},
			{name: "sg", zone: time.UTC, kind: "split", keep: 1 << 30, maxSegs: 2}, // no period: one ordinal, never trimmed
		},
		periods: map[string]map[int]string{}, scores: map[mInst]map[string]float64{}, invalid: map[string]int{},
	}
	r := rand.New(rand.NewPCG(12, 12))
	history, times := genEvents(r, 1500)
	for i, ev := range history {
		m.apply(ev, times[i])
	}
	if m.invalid["period_expired"] == 0 || m.invalid["segment_limit"] == 0 {
		t.Fatalf("the history exercises too little: %v", m.invalid)
	}
	extras := []event.Event{
		game(time.Date(2021, 3, 30, 12, 0, 0, 0, time.UTC), 900001, "x", "a", "region", "zz"),
		game(time.Date(2021, 3, 30, 13, 0, 0, 0, time.UTC), 900002, "x", "b", "region", "zz"),
		game(time.Date(2020, 10, 5, 12, 0, 0, 0, time.UTC), 900003, "y", "c", "region", "zz"),
	}
	allBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		reg := registry(t, rebuildYAML)
		st := store.New(rdb, store.Options{Namespace: "rb"})
		e := engine.New(reg, st)
		apply(t, e, extras...)
		for i := 0; i < len(history); i += 100 {
			apply(t, e, history[i:min(i+100, len(history))]...)
		}
		stream := "rw:{out}"
		cl := &standings.Closer{Store: st, Registry: reg, Stream: stream,
			Now: func() time.Time { return time.Date(2021, 7, 1, 0, 0, 0, 0, time.UTC) }}
		if n, err := cl.Pass(ctx); err != nil || n == 0 {
			t.Fatalf("closing the live periods: %d published, %v", n, err)
		}
		published := rdb.XLen(ctx, stream).Val()
		closedBefore := map[string]map[string]bool{}
		for _, b := range []string{"wk", "reg"} {
			closedBefore[b], _ = st.ClosedPeriods(ctx, "p", b)
		}
		if ins := instancesOf(t, st, "sg"); !ins["sg~zz"] {
			t.Fatalf("live sg should hold segment zz (not in the history): %v", ins)
		}
		for n, board := range []string{"wk", "reg", "sg"} {
			before := snapshot(t, rdb, board)
			res, err := rebuild.Run(ctx, rebuild.Options{Product: "p", Board: board, Registry: reg, Live: st,
				History: &sliceSource{evs: history}, BatchSize: 97,
				Now: func() time.Time { return time.Unix(int64(n), 0) }})
			if err != nil {
				t.Fatal(err)
			}
			want := compareBoard(t, st, rdb, m, board)
			if res.Instances != int64(want) {
				t.Errorf("%s: result says %d instances, model has %d", board, res.Instances, want)
			}
			if after := snapshot(t, rdb, board); !reflect.DeepEqual(before, after) {
				for k, v := range before {
					if !reflect.DeepEqual(after[k], v) {
						t.Errorf("rebuild of %s changed %s: %v -> %v", board, k, v, after[k])
					}
				}
				for k := range after {
					if _, ok := before[k]; !ok {
						t.Errorf("rebuild of %s left key %s", board, k)
					}
				}
			}
			if cb, ok := closedBefore[board]; ok {
				if got, _ := st.ClosedPeriods(ctx, "p", board); !reflect.DeepEqual(got, cb) {
					t.Errorf("%s: closed periods %v after the rebuild, %v before", board, got, cb)
				}
			}
		}
		if got := rdb.XLen(ctx, stream).Val(); got != published {
			t.Errorf("the rebuilds published standings: %d entries, %d before", got, published)
		}
		// The next pass publishes only periods that were never closed (the
		// rebuild may give data to a period the live run refused), each once.
		if _, err := cl.Pass(ctx); err != nil {
			t.Fatal(err)
		}
		xs := rdb.XRange(ctx, stream, "-", "+").Val()
		once := map[string]bool{}
		for i, x := range xs {
			b, p := fmt.Sprint(x.Values["board"]), fmt.Sprint(x.Values["period"])
			if once[b+" "+p] {
				t.Errorf("%s %s published twice", b, p)
			}
			once[b+" "+p] = true
			if int64(i) >= published && closedBefore[b][p] {
				t.Errorf("%s %s, closed before the rebuild, published again", b, p)
			}
		}
		t.Logf("%d periods published live, %d more after the rebuilds", published, int64(len(xs))-published)
		// A late event of a period closed live is still refused.
		newest := ""
		for p := range closedBefore["wk"] {
			newest = max(newest, p)
		}
		start, _ := time.Parse("2006-01-02", "2021-03-22") // Monday of 2021-W12
		if newest != "2021-W13" {
			t.Fatalf("newest closed week %s, want 2021-W13", newest)
		}
		outs := apply(t, e, game(start.AddDate(0, 0, 8), 900009, "late", "a", "region", "eu"))
		if outs[0].Reason != handler.ReasonPeriodClosed {
			t.Errorf("late event of closed 2021-W13 after the rebuild: %+v", outs[0])
		}
	})
}

func instancesOf(t *testing.T, st *store.Store, board string) map[string]bool {
	t.Helper()
	infos, err := st.Instances(ctx, "p", board)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, in := range infos {
		out[in.Instance] = true
	}
	return out
}

// compareBoard checks one board of the store against the model: every
// instance's scores, the registry, and that no other key of the board
// exists. It returns the model's instance count.
func compareBoard(t *testing.T, st *store.Store, rdb redis.UniversalClient, m *model, name string) int {
	t.Helper()
	want := map[string]bool{}
	for in, scores := range m.scores {
		if in.board != name {
			continue
		}
		inst := handler.Instance(in.board, in.period, in.seg)
		want[inst] = true
		if g := board(t, st, inst); !reflect.DeepEqual(g, scores) {
			t.Errorf("rebuilt %s: statsctl %v, model %v", inst, g, scores)
		}
	}
	if got := instancesOf(t, st, name); !reflect.DeepEqual(got, want) {
		t.Errorf("registry of rebuilt %s: %v, model %v", name, keysOf(got), keysOf(want))
	}
	var keys []string
	for _, k := range allKeys(t, rdb, "rb:{p}:*") {
		if boardOf(k) == name && !regexp.MustCompile(`:(ix|closed):`).MatchString(k) {
			keys = append(keys, k)
		}
	}
	if len(keys) != len(want) {
		t.Errorf("rebuilt %s: %d instance keys stored, model has %d instances: %v", name, len(keys), len(want), keys)
	}
	return len(want)
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var boardKey = regexp.MustCompile(`^rb:\{p\}:(?:lb|rt|ix|closed):([a-z0-9_-]+)`)

// boardOf names the board a key of the product belongs to ("" for stats,
// markers and other keys).
func boardOf(k string) string {
	if s := boardKey.FindStringSubmatch(k); s != nil {
		return s[1]
	}
	return ""
}

// snapshot is every key of the namespace but board's, with its content.
func snapshot(t *testing.T, rdb redis.UniversalClient, board string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range allKeys(t, rdb, "rb:*") {
		if boardOf(k) == board {
			continue
		}
		var v any
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "zset":
			v = rdb.ZRangeWithScores(ctx, k, 0, -1).Val()
		case "hash":
			v = rdb.HGetAll(ctx, k).Val()
		case "set":
			v = rdb.SMembers(ctx, k).Val()
		case "string":
			v = rdb.Get(ctx, k).Val()
		default:
			v = typ
		}
		out[k] = fmt.Sprint(v)
	}
	return out
}
