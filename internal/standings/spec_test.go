package standings_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
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

const specCfg = `
products:
  v:
    boards:
      - {name: laps, scorer: value, match: {type: lap}, player: user_id, field: lap_s, op: best, order: asc, scale: 1,
         period: weekly, keep: 4, grace: 1h, standings: 3}
      - {name: pts, scorer: value, match: {type: lap}, player: user_id, field: pts, op: best, ties: first,
         period: weekly, keep: 4, grace: 1h, standings: 3}
`

// specEntry is one ranked entry as the model writes it.
type specEntry struct {
	Rank   int64       `json:"rank"`
	UserID string      `json:"user_id"`
	Score  json.Number `json:"score"`
}

// TestStandingsRankWithTheBoardsSpec: a period of an asc value board
// publishes its lowest times as the winners (as exact decimals), and a
// ties: first board ranks a tie by who reached the score first, both in the
// period_closed entry and in on-demand standings, as a model ranks them.
func TestStandingsRankWithTheBoardsSpec(t *testing.T) {
	type lap struct {
		user, secs string
		pts        int
	}
	// In time order within 2026-W10 (Monday 2026-03-02).
	laps := []lap{
		{"a", "61.5", 50}, {"z", "70.0", 50}, {"m", "59.9", 40}, {"b", "80.2", 50},
		{"z", "58.4", 30}, {"q", "61.6", 60}, {"c", "65.0", 40}, {"a", "62.0", 20},
	}
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var evs []event.Event
	for i, l := range laps {
		ms := start.Add(time.Duration(i) * time.Hour).UnixMilli()
		evs = append(evs, event.Event{ID: strconv.FormatInt(ms, 10) + "-0", Fields: map[string]string{
			"product_id": "v", "type": "lap", "user_id": l.user, "lap_s": l.secs, "pts": strconv.Itoa(l.pts)}})
	}
	// The model: best time per player (lowest), best points per player
	// (highest) with the index of the lap that first reached it.
	type best struct {
		user  string
		secs  float64
		text  string
		pts   int
		first int
	}
	bests := map[string]*best{}
	for i, l := range laps {
		s, _ := strconv.ParseFloat(l.secs, 64)
		b := bests[l.user]
		if b == nil {
			bests[l.user] = &best{l.user, s, l.secs, l.pts, i}
			continue
		}
		if s < b.secs {
			b.secs, b.text = s, l.secs
		}
		if l.pts > b.pts {
			b.pts, b.first = l.pts, i
		}
	}
	var all []*best
	for _, b := range bests {
		all = append(all, b)
	}
	exact := func(text string) json.Number { // "70.0" -> 70, "61.5" -> 61.5
		f, _ := strconv.ParseFloat(text, 64)
		return json.Number(strconv.FormatFloat(f, 'f', -1, 64))
	}
	sort.Slice(all, func(i, j int) bool { return all[i].secs < all[j].secs })
	var wantLaps []specEntry
	for i, b := range all[:3] {
		if b.secs == all[i+1].secs {
			t.Fatal("model: the test wants distinct times down to the fourth")
		}
		wantLaps = append(wantLaps, specEntry{int64(i + 1), b.user, exact(b.text)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].pts != all[j].pts {
			return all[i].pts > all[j].pts
		}
		return all[i].first < all[j].first
	})
	var wantPts []specEntry
	for i, b := range all[:3] {
		wantPts = append(wantPts, specEntry{int64(i + 1), b.user, json.Number(strconv.Itoa(b.pts))})
	}
	enc := func(es []specEntry) string { b, _ := json.Marshal(es); return string(b) }
	want := map[string]string{"laps": enc(wantLaps), "pts": enc(wantPts)}
	if want["pts"] != `[{"rank":1,"user_id":"q","score":60},{"rank":2,"user_id":"a","score":50},{"rank":3,"user_id":"z","score":50}]` {
		t.Fatalf("model: the tie is not the one this test means to check: %s", want["pts"])
	}

	run := func(t *testing.T, rdb redis.UniversalClient) {
		c, err := config.Parse("t.yaml", []byte(specCfg))
		if err != nil {
			t.Fatal(err)
		}
		reg, err := c.Registry()
		if err != nil {
			t.Fatal(err)
		}
		st := store.New(rdb, store.Options{Namespace: "sp"})
		outs, err := engine.New(reg, st).Apply(ctx, evs)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			if o.Status != engine.Applied {
				t.Fatalf("outcome %+v", o)
			}
		}
		stream := "rewards:{sp}"
		now := func() time.Time { return start.AddDate(0, 0, 10) }
		for _, board := range []string{"laps", "pts"} {
			l, _ := reg.Lookup("v").Layers(board)
			f, err := standings.Final(ctx, st, reg.Lookup("v"), "v", l, "2026-W10", false)
			if err != nil {
				t.Fatal(err)
			}
			if got := store.EntriesJSON(f.Entries); got != want[board] {
				t.Errorf("on-demand standings of %s:\n got %s\nwant %s", board, got, want[board])
			}
		}
		cl := &standings.Closer{Store: st, Registry: reg, Stream: stream, Now: now}
		if n, err := cl.Pass(ctx); err != nil || n != 2 {
			t.Fatalf("pass published %d (%v), want 2", n, err)
		}
		xs, err := rdb.XRange(ctx, stream, "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range xs {
			b := fmt.Sprint(x.Values["board"])
			if got := x.Values["entries"]; got != want[b] {
				t.Errorf("published standings of %s:\n got %s\nwant %s", b, got, want[b])
			}
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
