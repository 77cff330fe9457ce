package rebuild_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

// load replays a file through the engine with a config's registry, as
// `track -f` would. (Not via `track` itself: its progress callback races
// with its reader under -race, a known issue of that command.)
func load(t *testing.T, srv *testredis.Server, ns, cfg, file string) {
	t.Helper()
	reg, err := config.LoadRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	eng := engine.New(reg, store.New(srv.Client(), store.Options{Namespace: ns}))
	if _, err := eng.Run(ctx, event.NewDecoder(fh, file), engine.RunOptions{BatchSize: 100}); err != nil {
		t.Fatal(err)
	}
}

// ratings decodes a rating-state hash to rating and games per player,
// leaving out the event time (stream ids carry one, JSONL ids do not).
func ratings(t *testing.T, h map[string]string) string {
	t.Helper()
	out := map[string]string{}
	for u, v := range h {
		s, err := handler.DecodeRatingState(v)
		if err != nil {
			t.Fatal(err)
		}
		out[u] = fmt.Sprintf("%v/%d", s.Rating, s.Games)
	}
	return fmt.Sprint(out)
}

func writeConfig(t *testing.T, k string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "games.yaml")
	text := "products:\n  exrps:\n    boards:\n      - {name: wins, scorer: wins}\n      - {name: elo, scorer: elo, k: " + k + "}\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func snapshot(t *testing.T, rdb *redis.Client, pattern string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range rdb.Keys(ctx, pattern).Val() {
		switch rdb.Type(ctx, k).Val() {
		case "hash":
			out[k] = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		case "zset":
			out[k] = fmt.Sprint(rdb.ZRangeWithScores(ctx, k, 0, -1).Val())
		}
	}
	return out
}

func TestRebuildBoardWithNewKFromFileAndStream(t *testing.T) {
	srv := testredis.Start(t)
	rdb := srv.Client()
	dir := t.TempDir()
	file := filepath.Join(dir, "history.jsonl")
	fh, _ := os.Create(file)
	if _, _, err := gen.WriteJSONL(fh, gen.Options{Games: 300, Players: 30, Seed: 3, IDs: true, Products: []string{"exrps", "other"}}); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	k32, k16 := writeConfig(t, "32"), writeConfig(t, "16")

	load(t, srv, "statsctl", k32, file)
	before := snapshot(t, rdb, "statsctl:*")
	eloK32 := ratings(t, rdb.HGetAll(ctx, "statsctl:{exrps}:rt:elo").Val())
	// What K=16 gives when scored from the start, in another namespace.
	load(t, srv, "ref", k16, file)
	ref := snapshot(t, rdb, "ref:*")

	r := cmdtest.Run(t, nil, nil, "--redis", srv.URL(), "--config", k16, "rebuild", "exrps", "--board", "elo", "-f", file)
	if r.Code != 0 {
		t.Fatalf("rebuild: %d %s %s", r.Code, r.Out, r.Err)
	}
	if !strings.Contains(r.Out, "rebuilt exrps/elo") {
		t.Fatalf("report: %s", r.Out)
	}
	after := snapshot(t, rdb, "statsctl:*")
	for _, k := range []string{"{exrps}:rt:elo", "{exrps}:lb:elo"} {
		if after["statsctl:"+k] != ref["ref:"+k] {
			t.Fatalf("%s after rebuild with K=16 differs from scoring with K=16 from the start", k)
		}
		if after["statsctl:"+k] == before["statsctl:"+k] {
			t.Fatalf("%s did not change: the rebuild had no effect", k)
		}
	}
	// Everything else (wins board, stats, markers) is exactly as before, and
	// no scratch key is left behind.
	for k, v := range before {
		if strings.HasSuffix(k, ":elo") {
			continue
		}
		if after[k] != v {
			t.Fatalf("rebuild changed %s", k)
		}
	}
	if len(after) != len(before) {
		t.Fatalf("%d keys before, %d after: scratch keys left? %v", len(before), len(after), rdb.Keys(ctx, "*rebuild*").Val())
	}

	// Back to K=32 from the stream: the game servers' entries, XADDed with
	// their own ids, give the ratings the original K=32 run gave.
	sc := bufio.NewScanner(bytes.NewReader(must(os.ReadFile(file))))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "id")
		for k, v := range m {
			if v == nil {
				m[k] = "null"
			}
		}
		rdb.XAdd(ctx, &redis.XAddArgs{Stream: "game_event_stream", Values: m})
	}
	r = cmdtest.Run(t, nil, nil, "--redis", srv.URL(), "--config", k32, "rebuild", "exrps", "--board", "elo", "--from-stream")
	if r.Code != 0 {
		t.Fatalf("rebuild --from-stream: %d %s %s", r.Code, r.Out, r.Err)
	}
	if got := ratings(t, rdb.HGetAll(ctx, "statsctl:{exrps}:rt:elo").Val()); got != eloK32 || len(got) < 100 {
		t.Fatal("rebuilt from the stream with K=32, ratings differ from the original K=32 run")
	}
	if n := len(rdb.Keys(ctx, "*rebuild*").Val()); n != 0 {
		t.Fatalf("%d scratch keys left after the stream rebuild", n)
	}
	if n, _ := rdb.XLen(ctx, "game_event_stream").Result(); n == 0 {
		t.Fatal("the stream must be left as it was")
	}
}

func TestRebuildUsage(t *testing.T) {
	srv := testredis.Start(t)
	for _, args := range [][]string{
		{"rebuild", "exrps", "--from-stream"},
		{"rebuild", "exrps", "--board", "elo"},
		{"rebuild", "exrps", "--board", "nope", "--from-stream"},
		{"rebuild", "exrps", "--board", "elo", "--from-stream", "-f", "x.jsonl"},
	} {
		r := cmdtest.Run(t, nil, nil, append([]string{"--redis", srv.URL()}, args...)...)
		if r.Code != 2 {
			t.Fatalf("%v: exit %d (%s), want 2", args, r.Code, r.Err)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
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

	r := cmdtest.Run(t, nil, nil, "--redis", srv.URL(), "--config", writeConfig(t, "32"), "rebuild", "exrps", "--board", "elo", "-f", file)
	if r.Code != 0 {
		t.Fatalf("rebuild: %d %s %s", r.Code, r.Out, r.Err)
	}
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
