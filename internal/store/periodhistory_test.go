package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// periodYAML: a weekly wins board (desc, shared ties) keeping 3 periods,
// and a weekly best-lap board (asc, ties: first) split by region.
const periodYAML = `products:
  p:
    boards:
      - {name: wins, scorer: wins, history: {points: 10}}
      - {name: weekly, scorer: wins, period: weekly, keep: 3}
      - name: laps
        scorer: value
        match: {type: gameplay, event_name: lap}
        player: user_id
        field: lap_ms
        op: best
        order: asc
        ties: first
        period: weekly
        keep: 4
        split_by: [region]
        segments: [eu, us]
`

// monday is the Monday 00:00 UTC starting ISO week w of 2026.
func monday(w int) time.Time {
	return time.Date(2025, 12, 29, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*(w-1))
}

// pModel is one period of a board as the contract ranks it, written from
// the rules alone: desc boards by score, ties shared (1 + players strictly
// better); asc ties: first boards by value, then by when the player first
// reached it.
type pModel struct {
	score map[string]float64
	at    map[string]int64 // asc boards: when the player's best was first reached
}

func (m *pModel) win(w, l string) {
	m.score[w]++
	if _, ok := m.score[l]; !ok {
		m.score[l] = 0
	}
}

func (m *pModel) lap(u string, ms float64, at int64) {
	if old, ok := m.score[u]; !ok || ms < old {
		m.score[u], m.at[u] = ms, at
	}
}

func (m *pModel) rank(u string, asc bool) (int64, float64, bool) {
	s, ok := m.score[u]
	if !ok {
		return 0, 0, false
	}
	r := int64(1)
	for o, os := range m.score {
		switch {
		case !asc && os > s:
			r++
		case asc && (os < s || os == s && m.at[o] < m.at[u]):
			r++
		}
	}
	return r, s, true
}

func newPModel() *pModel { return &pModel{score: map[string]float64{}, at: map[string]int64{}} }

// The derived history of a periodic board equals the model's rank and
// score in each kept period, oldest first, bounded by keep; closed and
// current flags are the closed hash's and the clock's; a segment's
// history reads that segment's instances; and moderation, which edits the
// instances, changes the derived ranks with no history write of its own.
func TestPeriodHistoryMatchesModel(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(periodYAML))
	if err != nil {
		t.Fatal(err)
	}
	prod := cfg.Products["p"]
	allBackends(t, func(t *testing.T, st *store.Store) {
		r := rand.New(rand.NewPCG(5, 6))
		players := []string{"ann", "bob", "cat", "dan", "eve", "cheat"}
		weekly := map[string]*pModel{} // period id -> model
		laps := map[string]*pModel{}   // "period~region" -> model
		get := func(m map[string]*pModel, k string) *pModel {
			if m[k] == nil {
				m[k] = newPModel()
			}
			return m[k]
		}
		var items []store.Item
		seq := 0
		for w := 44; w <= 48; w++ { // five weeks: keep 3 drops 44 and 45
			id := fmt.Sprintf("2026-W%02d", w)
			for range 12 {
				seq++
				at := monday(w).Add(time.Duration(seq%100) * time.Hour).UnixMilli()
				a := r.IntN(len(players))
				b := (a + 1 + r.IntN(len(players)-1)) % len(players)
				var ev event.Event
				if seq%2 == 0 {
					ev = event.Event{ID: fmt.Sprintf("%d-0", at), Fields: map[string]string{"product_id": "p", "type": "game_over", "winner_id": players[a], "loser_id": players[b]}}
					get(weekly, id).win(players[a], players[b])
				} else {
					region := []string{"eu", "us"}[r.IntN(2)]
					ms := float64(60000 + 1000*r.IntN(4)) // few values: ties are common
					ev = event.Event{ID: fmt.Sprintf("%d-0", at), Fields: map[string]string{"product_id": "p", "type": "gameplay", "event_name": "lap",
						"user_id": players[a], "lap_ms": fmt.Sprint(ms), "region": region}}
					get(laps, id+"~"+region).lap(players[a], ms, at)
					get(laps, id+"~").lap(players[a], ms, at)
				}
				ch, err := prod.Handle(ev, handler.NoValues{})
				if err != nil {
					t.Fatal(err)
				}
				items = append(items, store.Item{EventID: ev.ID, Changes: ch})
			}
		}
		res, err := st.Apply(ctx, map[string][]store.Item{"p": items})
		if err != nil || res.Applied != len(items) {
			t.Fatalf("apply: %+v %v", res, err)
		}
		for _, w := range []string{"2026-W46", "2026-W47"} {
			if _, _, err := st.Freeze(ctx, store.BoardRef{Product: "p", Instance: "weekly@" + w}, "weekly", w, 10); err != nil {
				t.Fatal(err)
			}
		}
		now := monday(48).Add(50 * time.Hour)
		check := func(t *testing.T, board, seg string, m map[string]*pModel, asc bool, weeks []int, closed map[int]bool) {
			t.Helper()
			for _, u := range append(players, "never") {
				got, err := st.PeriodHistory(ctx, prod, "p", handler.Choice{Board: board, Segment: seg}, u, now)
				if err != nil {
					t.Fatal(err)
				}
				var want, have []string
				for _, w := range weeks {
					id := fmt.Sprintf("2026-W%02d", w)
					inst := board + "@" + id
					if seg != "" {
						inst += "~" + seg
					}
					pm := get(m, id)
					if board == "laps" {
						pm = get(m, id+"~"+seg)
					}
					rank, score, ok := pm.rank(u, asc)
					line := fmt.Sprintf("%s %s..%s closed=%t current=%t total=%d", inst, monday(w).Format(time.DateOnly),
						monday(w+1).Format(time.DateOnly), closed[w], w == 48, len(pm.score))
					if ok {
						line += fmt.Sprintf(" rank=%d score=%g", rank, score)
					}
					want = append(want, line)
				}
				for _, p := range got {
					line := fmt.Sprintf("%s %s..%s closed=%t current=%t total=%d", p.Instance, p.Start.Format(time.DateOnly),
						p.End.Format(time.DateOnly), p.Closed, p.Current, p.Total)
					if p.Rank > 0 {
						line += fmt.Sprintf(" rank=%d score=%g", p.Rank, p.Score)
					}
					have = append(have, line)
				}
				if strings.Join(have, "\n") != strings.Join(want, "\n") {
					t.Fatalf("%s %s of %s:\n got %s\nwant %s", board, seg, u, strings.Join(have, "\n     "), strings.Join(want, "\n     "))
				}
			}
		}
		closed := map[int]bool{46: true, 47: true}
		check(t, "weekly", "", weekly, false, []int{46, 47, 48}, closed)
		check(t, "laps", "", laps, true, []int{45, 46, 47, 48}, nil)
		check(t, "laps", "eu", laps, true, []int{45, 46, 47, 48}, nil)
		check(t, "laps", "us", laps, true, []int{45, 46, 47, 48}, nil)

		// Moderation changes the derived ranks: the model without the
		// player, closed periods included.
		if _, err := st.BanPlayer(ctx, prod, "p", "cheat", false, false, who, now); err != nil {
			t.Fatal(err)
		}
		for _, m := range []map[string]*pModel{weekly, laps} {
			for _, pm := range m {
				delete(pm.score, "cheat")
			}
		}
		check(t, "weekly", "", weekly, false, []int{46, 47, 48}, closed)
		check(t, "laps", "eu", laps, true, []int{45, 46, 47, 48}, nil)
		check(t, "laps", "", laps, true, []int{45, 46, 47, 48}, nil)
	})
}

// An all-time board has no per-period history; a registry of the wrong
// type is an error naming the board, not a panic or an empty answer.
func TestPeriodHistoryRefusals(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(periodYAML))
	if err != nil {
		t.Fatal(err)
	}
	prod := cfg.Products["p"]
	allBackends(t, func(t *testing.T, st *store.Store) {
		if _, err := st.PeriodHistory(ctx, prod, "p", handler.Choice{Board: "wins"}, "ann", time.Now()); !errors.Is(err, store.ErrNotPeriodic) {
			t.Fatalf("all-time board: %v", err)
		}
		got, err := st.PeriodHistory(ctx, prod, "p", handler.Choice{Board: "weekly"}, "ann", time.Now())
		if err != nil || len(got) != 0 {
			t.Fatalf("no data: %v %v", got, err)
		}
		st.Client().Set(ctx, st.Keys().Instances("p", "weekly"), "x", 0)
		_, err = st.PeriodHistory(ctx, prod, "p", handler.Choice{Board: "weekly"}, "ann", time.Now())
		if err == nil || !strings.Contains(err.Error(), "p/weekly") || !store.IsWrongType(err) {
			t.Fatalf("wrong-type registry: %v", err)
		}
	})
}
