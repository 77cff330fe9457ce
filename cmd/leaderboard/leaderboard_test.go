package leaderboard_test

import (
	"os"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

func seed(t *testing.T, env cmdtest.Env) {
	t.Helper()
	// u1 beats everyone once, u2 and u3 tie, u4 only loses.
	for _, g := range [][2]string{{"u1", "u2"}, {"u1", "u3"}, {"u2", "u4"}, {"u3", "u4"}, {"u1", "u4"}} {
		cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "record", "exrps", g[0], g[1]))
	}
}

func TestLeaderboardFormats(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	seed(t, env)
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "-o", "json"))
	want := `[{"rank":1,"user_id":"u1","score":3},{"rank":2,"user_id":"u3","score":1},{"rank":2,"user_id":"u2","score":1},{"rank":4,"user_id":"u4","score":0}]`
	if strings.TrimSpace(r.Out) != want {
		t.Fatalf("json\n got %s\nwant %s", r.Out, want)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "-o", "csv", "--limit", "2", "--offset", "1"))
	if r.Out != "rank,user_id,score\n2,u3,1\n2,u2,1\n" {
		t.Fatalf("csv %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--around", "u4", "--limit", "2"))
	if !strings.Contains(r.Out, "u4") || !strings.Contains(r.Out, "u2") || strings.Contains(r.Out, "u1") {
		t.Fatalf("around u4:\n%s", r.Out)
	}
	// Tables are plain when stdout is not a terminal (a buffer here).
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--limit", "2"))
	if strings.ContainsRune(r.Out, 0x1b) || !strings.Contains(r.Out, "RANK") {
		t.Fatalf("table:\n%q", r.Out)
	}
	if !strings.Contains(r.Err, "Showing 2 of 4 players") {
		t.Fatalf("footer on stderr: %q", r.Err)
	}
}

func TestLeaderboardEmptyAndErrors(t *testing.T) {
	env := cmdtest.Embedded(t)
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "nogame"))
	if !strings.Contains(r.Err, "No scores on the wins board of nogame yet") {
		t.Fatalf("stderr %q", r.Err)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "nogame", "-o", "json"))
	if strings.TrimSpace(r.Out) != "[]" || r.Err != "" {
		t.Fatalf("json of empty board: %q %q", r.Out, r.Err)
	}
	for _, args := range [][]string{
		{"leaderboard"},
		{"leaderboard", "a", "b"},
		{"leaderboard", "exrps", "-o", "yaml"},
		{"leaderboard", "exrps", "--limit", "-1"},
		{"leaderboard", "exrps", "--board", "nope"},
		{"leaderboard", "exrps", "--around", "u1", "--offset", "3"},
		{"leaderboard", "bad product"},
		{"leaderboard", "exrps", "--bogus"},
	} {
		if r := cmdtest.Run(t, env, nil, args...); r.Code != 2 {
			t.Errorf("%v: exit %d (%s), want 2", args, r.Code, r.Err)
		}
	}
	r = cmdtest.Run(t, env, nil, "leaderboard", "exrps", "--around", "ghost")
	if r.Code != 1 || !strings.Contains(r.Err, "ghost is not on the wins board of exrps") {
		t.Fatalf("around absent player: %d %q", r.Code, r.Err)
	}
}

// The README's first command, end to end on the embedded default: replay the
// sample, print the board, and find it again in a second process' worth of
// invocations (the data dir persists).
func TestSampleOnEmbeddedDefault(t *testing.T) {
	env := cmdtest.Embedded(t)
	cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", "../../testdata/exrps-sample.jsonl"))
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "leaderboard", "exrps", "-o", "csv", "--limit", "0"))
	if n := strings.Count(r.Out, "\n"); n != 7 { // header + 6 players
		t.Fatalf("board of the sample:\n%s", r.Out)
	}
	golden, err := os.ReadFile("../../testdata/golden/exrps-sample.leaderboard.csv")
	if err != nil {
		t.Fatal(err)
	}
	if r.Out != string(golden) {
		t.Fatalf("board differs from testdata/golden/exrps-sample.leaderboard.csv:\n%s", r.Out)
	}
}
