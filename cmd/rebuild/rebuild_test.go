package rebuild_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/cmd/rebuild"
	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/testredis"
)

func writeConfig(t *testing.T, k string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "games.yaml")
	text := "products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins}\n      - {name: elo, scorer: elo, k: " + k + "}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Flags and the argument reach the options; nothing is opened to check them.
func TestRebuildFlags(t *testing.T) {
	f := cmdutil.New(cmdutil.IOStreams{}, func(string) (string, bool) { return "", false })
	var got *rebuild.Options
	c := rebuild.NewCmd(f, func(_ context.Context, o *rebuild.Options) error { got = o; return nil })
	c.SetArgs([]string{"exrps", "--board", "elo", "-f", "a.jsonl", "-f", "b.jsonl", "--batch", "50"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Product != "exrps" || got.Board != "elo" || got.FromStream || fmt.Sprint(got.Files) != "[a.jsonl b.jsonl]" ||
		got.Batch != 50 || got.Stream != "game_event_stream" || got.StreamURL != "" {
		t.Fatalf("options %+v", got)
	}
	c = rebuild.NewCmd(f, func(context.Context, *rebuild.Options) error { t.Fatal("ran despite a usage error"); return nil })
	c.SetArgs([]string{"exrps", "--board", "elo"})
	c.SilenceErrors, c.SilenceUsage = true, true
	if err := c.Execute(); !cmdutil.IsUsage(err) {
		t.Fatalf("no history: %v, want a usage error", err)
	}
}

func TestRebuildUsage(t *testing.T) {
	srv := testredis.Start(t)
	for _, args := range [][]string{
		{"rebuild", "exrps", "--from-stream"},
		{"rebuild", "exrps", "--board", "elo"},
		{"rebuild", "exrps", "--board", "nope", "--from-stream"},
		{"rebuild", "exrps", "--board", "elo", "--from-stream", "-f", "x.jsonl"},
		{"rebuild", "exrps", "--board", "elo", "-f", "no-such.jsonl"},
		{"rebuild", "exrps", "--board", "elo", "--from-stream", "--stream-redis", "localhost:1"},
	} {
		r := cmdtest.Run(t, cmdtest.Redis(srv.URL()), nil, args...)
		if r.Code != 2 {
			t.Fatalf("%v: exit %d (%s), want 2", args, r.Code, r.Err)
		}
	}
}

// --stream-redis reads the stream from another server than the stats one.
func TestRebuildFromStreamRedis(t *testing.T) {
	stats, events := testredis.Start(t), testredis.Start(t)
	for _, w := range []string{"a", "a", "b"} {
		l := map[string]string{"a": "b", "b": "a"}[w]
		if err := events.Client().XAdd(context.Background(), &redis.XAddArgs{Stream: "game_event_stream",
			Values: []string{"product_id", "exrps", "game_id", "g", "type", "game_over", "winner_id", w, "loser_id", l}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	env := cmdtest.Env{cmdutil.EnvRedisURL: stats.URL(), cmdutil.EnvStreamRedisURL: events.URL()}
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "--config", writeConfig(t, "32"), "rebuild", "exrps", "--board", "elo", "--from-stream"))
	if !strings.HasPrefix(r.Out, "rebuilt exrps/elo: 2 players on the board; replayed 3 events: 3 applied") {
		t.Fatalf("report: %s", r.Out)
	}
}

// A file rebuild counts only the rebuilt product's events: other products'
// events, valid or not, are not its business, and a line that cannot be
// read names no product, so it is listed and counted apart.
func TestRebuildFromFileCountsOnlyItsProduct(t *testing.T) {
	srv := testredis.Start(t)
	var text []byte
	for _, name := range []string{"../../testdata/malformed.jsonl", "../../testdata/generic-game.jsonl"} {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		text = append(append(text, bytes.TrimRight(b, "\n")...), '\n')
	}
	// Another product's invalid game_over must not count as the board's.
	text = append(text, `{"id":"o1","product_id":"other","type":"game_over","winner_id":"x"}`+"\n"...)
	file := filepath.Join(t.TempDir(), "mixed.jsonl")
	if err := os.WriteFile(file, text, 0o644); err != nil {
		t.Fatal(err)
	}

	r := cmdtest.MustOK(t, cmdtest.Run(t, cmdtest.Redis(srv.URL()), nil, "--config", writeConfig(t, "32"), "rebuild", "exrps", "--board", "elo", "-f", file))
	// exrps lines of malformed.jsonl that decode: m1 (applied), m2 and m7
	// (invalid), m3, m9 and m11 (not game_over: ignored by the elo board).
	want := "rebuilt exrps/elo: 2 players on the board; replayed 6 events: 1 applied, 0 duplicate, 3 ignored, 2 invalid; skipped 6 unreadable lines (product unknown)\n"
	if r.Out != want {
		t.Fatalf("report:\n got %q\nwant %q", r.Out, want)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(r.Err), "\n") {
		lines = append(lines, strings.SplitN(l, " ", 2)[0])
	}
	wantLines := []string{"4:", "5:", "7:", "11:", "13:", "15:"}
	for i := range wantLines {
		wantLines[i] = file + ":" + wantLines[i]
	}
	if fmt.Sprint(lines) != fmt.Sprint(wantLines) || strings.Count(r.Err, "skipped (unreadable): ") != 6 {
		t.Fatalf("stderr should list the unreadable lines 4, 5, 7, 11, 13, 15:\n%s", r.Err)
	}
}
