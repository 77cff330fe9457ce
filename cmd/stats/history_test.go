package stats_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

// --history charts the score after each game; -o json|csv give the points
// whole; a board without history: and --board without --history are
// refused with what to do.
func TestStatsHistory(t *testing.T) {
	srv := testredis.Start(t)
	cfg := filepath.Join(t.TempDir(), "games.yaml")
	if err := os.WriteFile(cfg, []byte("products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins, history: {points: 3}}\n      - {name: elo, scorer: elo}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cmdtest.Redis(srv.URL())
	env["STATSCTL_CONFIG"] = cfg
	jsonl := filepath.Join(t.TempDir(), "g.jsonl")
	lines := ""
	for i, g := range []string{"ann bob", "ann bob", "bob ann", "ann cy"} {
		w, l, _ := strings.Cut(g, " ")
		lines += `{"id":"g` + string(rune('0'+i)) + `","time":"2026-12-01T1` + string(rune('0'+i)) + `:00:00Z","product_id":"exrps","type":"game_over","winner_id":"` + w + `","loser_id":"` + l + `"}` + "\n"
	}
	if err := os.WriteFile(jsonl, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", jsonl))
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "-o", "csv"))
	// Four games, capped at the newest three: 2, 2, 3.
	want := "at,at_ms,score\n" +
		"2026-12-01T11:00:00.000Z,1796122800000,2\n" +
		"2026-12-01T12:00:00.000Z,1796126400000,2\n" +
		"2026-12-01T13:00:00.000Z,1796130000000,3\n"
	if r.Out != want {
		t.Fatalf("csv\n got %q\nwant %q", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "-o", "json"))
	if !strings.HasPrefix(r.Out, `[{"at":"2026-12-01T11:00:00.000Z","at_ms":1796122800000,"score":2},`) {
		t.Fatalf("json %s", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history"))
	if !strings.Contains(r.Out, "ann on exrps / wins: 3 points") || !strings.Contains(r.Out, "┤") || !strings.Contains(r.Out, "latest 3") || strings.Contains(r.Out, "\x1b") {
		t.Fatalf("chart (plain: not a terminal)\n%s", r.Out)
	}
	r = cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "elo")
	if r.Code != 1 || !strings.Contains(r.Err, "board elo of exrps keeps no history: add `history:") {
		t.Fatalf("no history: exit %d %s", r.Code, r.Err)
	}
	r = cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--board", "wins")
	if r.Code != 2 || !strings.Contains(r.Err, "--board and --segment need --history") {
		t.Fatalf("--board alone: exit %d %s", r.Code, r.Err)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "nobody", "--history"))
	if r.Out != "" || !strings.Contains(r.Err, "No history for nobody") {
		t.Fatalf("nobody: %q %q", r.Out, r.Err)
	}
}

// On a periodic board --history is the player's rank in each kept period,
// derived from the periods (no history: setting): a closed period's rank
// is frozen, the current one is live, a period without the player has
// none; -o csv and json give the points; and a moderation action changes
// the ranks with no history write of its own.
func TestStatsPeriodHistory(t *testing.T) {
	srv := testredis.Start(t)
	cfg := filepath.Join(t.TempDir(), "games.yaml")
	if err := os.WriteFile(cfg, []byte("products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins}\n      - {name: weekly, scorer: wins, period: weekly, keep: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := cmdtest.Redis(srv.URL())
	env["STATSCTL_CONFIG"] = cfg
	per, err := handler.ParsePeriod("weekly", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cur := per.Start(now)
	weeks := []time.Time{per.Shift(cur, -3), per.Shift(cur, -2), per.Prev(cur), cur}
	at := func(w int) time.Time { return weeks[w].Add(now.Sub(cur) / 2) } // within the week, never ahead of now
	// week 0 (trimmed by keep 3): ann beats cy. Week 1: ann and cy beat bob (ann
	// shares rank 1 of 3). Week 2: bob beats cy twice (ann absent). Week 3:
	// cheat beats ann twice, ann beats cy (ann rank 2 of 3; 1 of 2 without cheat).
	games := [][3]any{{0, "ann", "cy"}, {1, "ann", "bob"}, {1, "cy", "bob"}, {2, "bob", "cy"}, {2, "bob", "cy"}, {3, "cheat", "ann"}, {3, "cheat", "ann"}, {3, "ann", "cy"}}
	lines := ""
	for i, g := range games {
		ts := at(g[0].(int)).Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339)
		lines += fmt.Sprintf(`{"id":"g%d","time":%q,"product_id":"exrps","type":"game_over","winner_id":%q,"loser_id":%q}`+"\n", i, ts, g[1], g[2])
	}
	jsonl := filepath.Join(t.TempDir(), "g.jsonl")
	if err := os.WriteFile(jsonl, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", jsonl))
	st := store.New(srv.Client(), store.Options{})
	w1 := per.ID(weeks[1])
	if _, _, err := st.Freeze(context.Background(), store.BoardRef{Product: "exrps", Instance: "weekly@" + w1}, "weekly", w1, 10); err != nil {
		t.Fatal(err)
	}
	row := func(w int, closed, current bool, rank string) string {
		return fmt.Sprintf("%s,weekly@%s,%s,%s,%t,%t,%s", per.ID(weeks[w]), per.ID(weeks[w]), weeks[w].Format(time.RFC3339),
			per.Next(weeks[w]).Format(time.RFC3339), closed, current, rank)
	}
	want := "period,instance,start,end,closed,current,rank,score,players\n" +
		row(1, true, false, "1,1,3") + "\n" + row(2, false, false, ",,2") + "\n" + row(3, false, true, "2,1,3") + "\n"
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "weekly", "-o", "csv"))
	if r.Out != want {
		t.Fatalf("csv\n got %q\nwant %q", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "weekly", "-o", "json"))
	if !strings.Contains(r.Out, fmt.Sprintf(`{"period":%q,"instance":"weekly@%s","start":%q,"end":%q,"closed":false,"current":false,"rank":null,"score":null,"players":2}`,
		per.ID(weeks[2]), per.ID(weeks[2]), weeks[2].Format(time.RFC3339), weeks[3].Format(time.RFC3339))) {
		t.Fatalf("json %s", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "weekly"))
	if !strings.Contains(r.Out, "ann on exrps / weekly: rank in 2 of 3 kept periods") || !strings.Contains(r.Out, "┤") ||
		!strings.Contains(r.Out, "closed") || !strings.Contains(r.Out, "live") {
		t.Fatalf("chart\n%s", r.Out)
	}
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "admin", "remove", "exrps", "cheat", "--reason", "aimbot", "--actor", "ops"))
	want = strings.Replace(want, row(3, false, true, "2,1,3"), row(3, false, true, "1,1,2"), 1)
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "weekly", "-o", "csv"))
	if r.Out != want {
		t.Fatalf("after remove, csv\n got %q\nwant %q", r.Out, want)
	}
	r = cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "--board", "weekly", "--segment", "region=eu")
	if r.Code != 2 || !strings.Contains(r.Err, "not split") {
		t.Fatalf("segment of an unsplit board: exit %d %s", r.Code, r.Err)
	}
}
