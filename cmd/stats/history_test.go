package stats_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
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
	want := "at,at_ms,score,kind,rank\n" +
		"2026-12-01T11:00:00.000Z,1796122800000,2,game,\n" +
		"2026-12-01T12:00:00.000Z,1796126400000,2,game,\n" +
		"2026-12-01T13:00:00.000Z,1796130000000,3,game,\n"
	if r.Out != want {
		t.Fatalf("csv\n got %q\nwant %q", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "ann", "--history", "-o", "json"))
	if !strings.HasPrefix(r.Out, `[{"at":"2026-12-01T11:00:00.000Z","at_ms":1796122800000,"score":2,"kind":"game"},`) {
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
	if r.Code != 2 || !strings.Contains(r.Err, "--board needs --history") {
		t.Fatalf("--board alone: exit %d %s", r.Code, r.Err)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "nobody", "--history"))
	if r.Out != "" || !strings.Contains(r.Err, "No history for nobody") {
		t.Fatalf("nobody: %q %q", r.Out, r.Err)
	}
}
