package configcmd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/varcade/statsctl/cmd"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/testredis"
)

func statsctl(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := cmd.Run(context.Background(), args, cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, Err: &errb}, getenv)
	return code, out.String(), errb.String()
}

const bad = "products:\n  exrps:\n    boards:\n      - name: elo\n        scorer: eol\n"

func TestConfigCheck(t *testing.T) {
	code, out, _ := statsctl(t, nil, "config", "check", "../../testdata/config/statsctl.yaml")
	if code != 0 || !strings.Contains(out, "ok") || !strings.Contains(out, "exrps: boards wins (wins), elo (elo, k fide, initial 1500); 3 stats rules") {
		t.Fatalf("good config: exit %d\n%s", code, out)
	}
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte(bad), 0o644)
	code, _, errs := statsctl(t, nil, "config", "check", path)
	if code != 1 || !strings.Contains(errs, path+":4: product exrps: unknown scorer \"eol\"") || !strings.Contains(errs, "1 problem") {
		t.Fatalf("bad config: exit %d\n%s", code, errs)
	}
	code, out, _ = statsctl(t, nil, "config", "check", path, "-o", "json")
	if code != 1 || !strings.Contains(out, `"ok": false`) {
		t.Fatalf("json: exit %d\n%s", code, out)
	}
	if code, _, _ := statsctl(t, nil, "config", "check"); code != 2 {
		t.Fatalf("no file: exit %d, want 2", code)
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
		env  map[string]string
		args []string
	}{
		{nil, []string{"--config", path, "--data-dir", data, "track", "exrps", "type=game_over", "winner_id=a", "loser_id=b"}},
		{map[string]string{"STATSCTL_CONFIG": path}, []string{"--data-dir", data, "leaderboard", "exrps"}},
	} {
		code, _, errs := statsctl(t, run.env, run.args...)
		if code != 1 || !strings.Contains(errs, path+":4:") {
			t.Fatalf("%v: exit %d\n%s", run.args, code, errs)
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
	env := map[string]string{"STATSCTL_CONFIG": "../../testdata/config/statsctl.yaml", "STATSCTL_REDIS_URL": srv.URL()}
	for _, g := range [][2]string{{"a", "b"}, {"a", "c"}, {"b", "c"}} {
		if code, _, errs := statsctl(t, env, "track", "exchess", "type=game_over", "winner_id="+g[0], "loser_id="+g[1]); code != 0 {
			t.Fatal(errs)
		}
	}
	code, out, errs := statsctl(t, env, "leaderboard", "exchess", "--board", "glicko", "-o", "csv")
	if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(strings.Split(out, "\n")[1], ",a,") {
		t.Fatalf("glicko board: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = statsctl(t, env, "stats", "exchess", "a", "-o", "json")
	for _, want := range []string{`"games"`, `"glicko_rating"`, `"glicko_rd"`, `"glicko_volatility"`, `"glicko_games"`} {
		if code != 0 || !strings.Contains(out, want) {
			t.Fatalf("stats lacks %s: exit %d\n%s", want, code, out)
		}
	}
	if code, _, errs := statsctl(t, env, "leaderboard", "exchess", "--board", "elo"); code != 2 || !strings.Contains(errs, "boards: glicko") {
		t.Fatalf("unknown board: exit %d %s", code, errs)
	}
}
