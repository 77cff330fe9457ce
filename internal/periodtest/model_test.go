package periodtest

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/e2etest"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
)

// The model below decides periods from the calendar on its own terms (a
// Thursday rule for ISO weeks, wall-clock dates for days and months), and
// never imports the handler package: a bug in handler.Period cannot hide
// on both sides.

const modelYAML = `
products:
  p:
    boards:
      - {name: all, scorer: wins}
      - {name: wk, scorer: wins, period: weekly, keep: 4}
      - {name: ny, scorer: wins, period: daily, time_zone: America/New_York, keep: 5}
      - {name: akl, scorer: wins, period: monthly, time_zone: Pacific/Auckland, keep: 3}
      - {name: reg, scorer: wins, period: weekly, time_zone: Europe/Berlin, keep: 3, split_by: [region], max_segments: 2}
`

type mBoard struct {
	name    string
	zone    *time.Location
	kind    string // "" all-time, week, day, month
	keep    int
	maxSegs int
}

func zone(t *testing.T, n string) *time.Location {
	l, err := time.LoadLocation(n)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// periodOf returns the model's period id and an ordinal that grows by one
// per period (so "keep" is arithmetic on ordinals).
func (b mBoard) periodOf(ms int64) (string, int) {
	t := time.UnixMilli(ms).In(b.zone)
	y, m, d := t.Date()
	civil := func(y int, m time.Month, d int) int { // days since 1970-01-01 of a calendar date
		return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	}
	switch b.kind {
	case "day":
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d), civil(y, m, d)
	case "month":
		return fmt.Sprintf("%04d-%02d", y, m), y*12 + int(m)
	case "week":
		day := civil(y, m, d)
		wd := (day + 3) % 7 // 1970-01-01 was a Thursday: 0 = Monday
		thu := day - wd + 3 // the Thursday of this Monday-to-Sunday week
		ty := time.Unix(int64(thu)*86400, 0).UTC().Year()
		jan1 := civil(ty, 1, 1)
		week := (thu-jan1)/7 + 1
		return fmt.Sprintf("%04d-W%02d", ty, week), (day - wd) / 7
	}
	return "", 0
}

type mInst struct{ board, period, seg string }

type model struct {
	boards []mBoard
	// per board: ordinal -> period id for registered periods
	periods map[string]map[int]string
	scores  map[mInst]map[string]float64
	invalid map[string]int
}

func (m *model) apply(ev event.Event, ms int64) {
	type place struct {
		b   mBoard
		id  string
		ord int
	}
	var places []place
	seg := ev.Fields["region"]
	for _, b := range m.boards {
		if b.kind == "" {
			continue
		}
		id, ord := b.periodOf(ms)
		for o := range m.periods[b.name] {
			if o >= ord+b.keep {
				m.invalid["period_expired"]++
				return
			}
		}
		if b.maxSegs > 0 {
			segs := map[string]bool{}
			for in := range m.scores {
				if in.board == b.name && in.period == id && in.seg != "" {
					segs[in.seg] = true
				}
			}
			if !segs[seg] && len(segs) >= b.maxSegs {
				m.invalid["segment_limit"]++
				return
			}
		}
		places = append(places, place{b, id, ord})
	}
	add := func(in mInst) {
		if m.scores[in] == nil {
			m.scores[in] = map[string]float64{}
		}
		m.scores[in][ev.Fields["winner_id"]]++
		m.scores[in][ev.Fields["loser_id"]] += 0
	}
	add(mInst{board: "all"})
	for _, p := range places {
		if m.periods[p.b.name] == nil {
			m.periods[p.b.name] = map[int]string{}
		}
		m.periods[p.b.name][p.ord] = p.id
		add(mInst{board: p.b.name, period: p.id})
		if p.b.maxSegs > 0 {
			add(mInst{board: p.b.name, period: p.id, seg: seg})
		}
		// Trim periods that fell out of the archive.
		newest := p.ord
		for o := range m.periods[p.b.name] {
			newest = max(newest, o)
		}
		for o, id := range m.periods[p.b.name] {
			if o <= newest-p.b.keep {
				delete(m.periods[p.b.name], o)
				for in := range m.scores {
					if in.board == p.b.name && in.period == id {
						delete(m.scores, in)
					}
				}
			}
		}
	}
}

// events spread over 2020-10 .. 2021-03: ISO week 53 of 2020, the year
// boundary, both US DST changes (2020-11-01, 2021-03-14), Auckland's
// (2021-04-04 is out, 2020-09-27 just before), month ends and February.
// Arrival order is mostly time order with late events: most a few days
// late, some weeks late (past a short archive).
func genEvents(r *rand.Rand, n int) ([]event.Event, []int64) {
	start := time.Date(2020, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	end := time.Date(2021, 3, 31, 0, 0, 0, 0, time.UTC).UnixMilli()
	type te struct {
		ms      int64
		arrival float64
	}
	var ts []te
	for i := 0; i < n; i++ {
		ms := start + r.Int64N(end-start)
		if i%50 == 0 { // hit the edges: midnights in New York, ends of months in Auckland
			base := time.Date(2020, time.Month(10+r.IntN(6)), 1+r.IntN(31), 0, 0, 0, 0, zoneFixed(r))
			ms = base.UnixMilli() + int64(r.IntN(3)-1)
		}
		lag := r.ExpFloat64() * float64(2*24*time.Hour/time.Millisecond)
		if r.IntN(40) == 0 {
			lag += float64(r.IntN(60)) * float64(24*time.Hour/time.Millisecond)
		}
		ts = append(ts, te{ms, float64(ms) + lag})
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].arrival < ts[j].arrival })
	players := []string{"a", "b", "c", "d", "e", "f", "g"}
	regions := []string{"eu", "us", "asia"}
	evs := make([]event.Event, len(ts))
	times := make([]int64, len(ts))
	for i, t := range ts {
		w := players[r.IntN(len(players))]
		l := players[r.IntN(len(players))]
		for l == w {
			l = players[r.IntN(len(players))]
		}
		evs[i] = event.Event{ID: fmt.Sprintf("%d-%d", t.ms, i), Fields: map[string]string{
			"product_id": "p", "type": "game_over", "winner_id": w, "loser_id": l, "region": regions[r.IntN(len(regions))]}}
		times[i] = t.ms
	}
	return evs, times
}

var fixedZones = []string{"America/New_York", "Pacific/Auckland", "Europe/Berlin", "UTC"}

func zoneFixed(r *rand.Rand) *time.Location {
	l, _ := time.LoadLocation(fixedZones[r.IntN(len(fixedZones))])
	return l
}

func TestModelOfPeriods(t *testing.T) {
	m := &model{
		boards: []mBoard{
			{name: "wk", zone: time.UTC, kind: "week", keep: 4},
			{name: "ny", zone: zone(t, "America/New_York"), kind: "day", keep: 5},
			{name: "akl", zone: zone(t, "Pacific/Auckland"), kind: "month", keep: 3},
			{name: "reg", zone: zone(t, "Europe/Berlin"), kind: "week", keep: 3, maxSegs: 2},
		},
		periods: map[string]map[int]string{}, scores: map[mInst]map[string]float64{}, invalid: map[string]int{},
	}
	r := rand.New(rand.NewPCG(12, 2026))
	evs, times := genEvents(r, 3000)
	const checkEvery = 384
	var checkpoints []*model
	seen := map[string]bool{}
	for i, ev := range evs {
		m.apply(ev, times[i])
		for in := range m.scores {
			seen[in.period] = true
		}
		if (i+1)%checkEvery == 0 || i == len(evs)-1 {
			checkpoints = append(checkpoints, m.clone())
		}
	}
	for _, p := range []string{"2020-W53", "2021-W01", "2020-11-01", "2021-03-14", "2021-02"} {
		if !seen[p] {
			t.Errorf("the generated events never reach period %s", p)
		}
	}
	if m.invalid["period_expired"] == 0 || m.invalid["segment_limit"] == 0 {
		t.Fatalf("the generated events exercise too little: %v", m.invalid)
	}
	t.Logf("model: %d instances at the end, invalid %v", len(m.scores), m.invalid)
	allBackends(t, func(t *testing.T, rdb redis.UniversalClient) {
		st := store.New(rdb, store.Options{Namespace: "mt"})
		e := engine.New(registry(t, modelYAML), st)
		got := map[string]int{}
		for i := 0; i < len(evs); i += 64 {
			for _, o := range apply(t, e, evs[i:min(i+64, len(evs))]...) {
				if o.Status == engine.Invalid {
					got[o.Reason]++
				} else if o.Status != engine.Applied {
					t.Fatalf("outcome %+v", o)
				}
			}
			if end := min(i+64, len(evs)); end%checkEvery == 0 {
				compare(t, st, rdb, checkpoints[end/checkEvery-1], fmt.Sprintf("after %d events", end))
			}
		}
		compare(t, st, rdb, m, "at the end")
		if !reflect.DeepEqual(got, m.invalid) {
			t.Errorf("invalid by reason: statsctl %v, model %v", got, m.invalid)
		}
	})
}

func (m *model) clone() *model {
	c := &model{boards: m.boards, periods: map[string]map[int]string{}, scores: map[mInst]map[string]float64{}, invalid: map[string]int{}}
	for b, ps := range m.periods {
		c.periods[b] = map[int]string{}
		for o, id := range ps {
			c.periods[b][o] = id
		}
	}
	for in, sc := range m.scores {
		c.scores[in] = map[string]float64{}
		for u, v := range sc {
			c.scores[in][u] = v
		}
	}
	return c
}

// compare checks every instance of the model against the store, the
// registries against the model's instances, and that no other board key
// exists (the archive is bounded).
func compare(t *testing.T, st *store.Store, rdb redis.UniversalClient, m *model, when string) {
	t.Helper()
	{
		want := map[string]bool{}
		for in, scores := range m.scores {
			inst := in.board
			if in.period != "" {
				inst += "@" + in.period
			}
			if in.seg != "" {
				inst += "~" + in.seg
			}
			want[inst] = true
			if g := board(t, st, inst); !reflect.DeepEqual(g, scores) {
				t.Errorf("%s: %s: statsctl %v, model %v", when, inst, g, scores)
			}
		}
		// The registries list exactly the model's instances, and no board
		// key exists beyond them: the archive is bounded.
		for _, b := range m.boards {
			infos, err := st.Instances(ctx, "p", b.name)
			if err != nil {
				t.Fatal(err)
			}
			for _, in := range infos {
				if !want[in.Instance] {
					t.Errorf("%s: registry of %s lists %s, which the model trimmed", when, b.name, in.Instance)
				}
				delete(want, in.Instance)
			}
		}
		delete(want, "all")
		if len(want) > 0 {
			t.Errorf("%s: instances missing from the registries: %v", when, want)
		}
		keys := allKeys(t, rdb, "mt:{p}:lb:*")
		if len(keys) != len(m.scores) {
			t.Errorf("%s: %d board keys stored, model has %d instances: %v", when, len(keys), len(m.scores), keys)
		}
	}
}

func allKeys(t *testing.T, rdb redis.UniversalClient, pattern string) []string {
	return e2etest.Keys(ctx, t, rdb, pattern)
}
