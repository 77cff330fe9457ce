package configcmd_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/testredis"
)

const bad = "products:\n  exrps:\n    boards:\n      - name: elo\n        scorer: eol\n"

func TestConfigCheck(t *testing.T) {
	r := cmdtest.Run(t, nil, nil, "config", "check", "../../testdata/config/statsctl.yaml")
	if r.Code != 0 || !strings.Contains(r.Out, "ok") || !strings.Contains(r.Out, "exrps: boards wins (wins), elo (elo, k fide, initial 1500); 3 stats rules") {
		t.Fatalf("good config: exit %d\n%s", r.Code, r.Out)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte(bad), 0o644)
	r = cmdtest.Run(t, nil, nil, "config", "check", path)
	if r.Code != 1 || !strings.Contains(r.Err, path+":4: product exrps: unknown scorer \"eol\"") || !strings.Contains(r.Err, "1 problem") {
		t.Fatalf("bad config: exit %d\n%s", r.Code, r.Err)
	}
	r = cmdtest.Run(t, nil, nil, "config", "check", path, "-o", "json")
	if r.Code != 1 || !strings.Contains(r.Out, `"ok": false`) {
		t.Fatalf("json: exit %d\n%s", r.Code, r.Out)
	}
	if r := cmdtest.Run(t, nil, nil, "config", "check"); r.Code != 2 {
		t.Fatalf("no file: exit %d, want 2", r.Code)
	}
}

// A bad config given by flag or environment is refused before anything is
// opened or written.
func TestBadConfigRefusedAtStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.yaml")
	os.WriteFile(path, []byte(bad), 0o644)
	data := filepath.Join(dir, "data")
	for _, run := range []struct {
		env  cmdtest.Env
		args []string
	}{
		{nil, []string{"--config", path, "--data-dir", data, "track", "exrps", "type=game_over", "winner_id=a", "loser_id=b"}},
		{cmdtest.Env{"STATSCTL_CONFIG": path}, []string{"--data-dir", data, "leaderboard", "exrps"}},
	} {
		r := cmdtest.Run(t, run.env, nil, run.args...)
		if r.Code != 1 || !strings.Contains(r.Err, path+":4:") {
			t.Fatalf("%v: exit %d\n%s", run.args, r.Code, r.Err)
		}
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatalf("the data dir was created although the config was refused: %v", err)
	}
}

// With a config, boards and ratings come from it: a Glicko-2 board shows
// in leaderboard --board and its fields in stats.
func TestConfiguredBoardsInLeaderboardAndStats(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Env{"STATSCTL_CONFIG": "../../testdata/config/statsctl.yaml", "STATSCTL_REDIS_URL": srv.URL()}
	for _, g := range [][2]string{{"a", "b"}, {"a", "c"}, {"b", "c"}} {
		if r := cmdtest.Run(t, env, nil, "track", "exchess", "type=game_over", "winner_id="+g[0], "loser_id="+g[1]); r.Code != 0 {
			t.Fatal(r.Err)
		}
	}
	r := cmdtest.Run(t, env, nil, "leaderboard", "exchess", "--board", "glicko", "-o", "csv")
	if r.Code != 0 || strings.Count(r.Out, "\n") != 4 || !strings.Contains(strings.Split(r.Out, "\n")[1], ",a,") {
		t.Fatalf("glicko board: exit %d\n%s%s", r.Code, r.Out, r.Err)
	}
	r = cmdtest.Run(t, env, nil, "stats", "exchess", "a", "-o", "json")
	for _, want := range []string{`"games"`, `"glicko_rating"`, `"glicko_rd"`, `"glicko_volatility"`, `"glicko_games"`} {
		if r.Code != 0 || !strings.Contains(r.Out, want) {
			t.Fatalf("stats lacks %s: exit %d\n%s", want, r.Code, r.Out)
		}
	}
	if r := cmdtest.Run(t, env, nil, "leaderboard", "exchess", "--board", "elo"); r.Code != 2 || !strings.Contains(r.Err, "boards: glicko") {
		t.Fatalf("unknown board: exit %d %s", r.Code, r.Err)
	}
}
