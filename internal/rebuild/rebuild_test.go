package rebuild_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/rebuild"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/testredis"
)

var ctx = context.Background()

func registry(t *testing.T, cfg string) *handler.Registry {
	t.Helper()
	reg, err := config.LoadRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// load replays a file through the engine with a config's registry, as
// `track -f` would.
func load(t *testing.T, srv *testredis.Server, ns, cfg, file string) {
	t.Helper()
	fh, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	eng := engine.New(registry(t, cfg), store.New(srv.Client(), store.Options{Namespace: ns}))
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

func files(t *testing.T, names ...string) *event.Files {
	t.Helper()
	fs, err := event.OpenFiles(names, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fs
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

	live := store.New(rdb, store.Options{Namespace: "statsctl"})
	res, err := rebuild.Run(ctx, rebuild.Options{Product: "exrps", Board: "elo", Registry: registry(t, k16), Live: live, History: files(t, file)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Players != 30 || res.Replayed.Total == 0 || res.Unreadable != 0 {
		t.Fatalf("result %+v", res)
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
	// their own ids, give the ratings the original K=32 run gave. A small
	// page makes the source page through XRANGE many times.
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
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
	src := &rebuild.StreamSource{Ctx: ctx, RDB: rdb, Key: "game_event_stream", Page: 7}
	if _, err := rebuild.Run(ctx, rebuild.Options{Product: "exrps", Board: "elo", Registry: registry(t, k32), Live: live, History: src}); err != nil {
		t.Fatal(err)
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

// A board the registry does not give the product is refused, and a
// history that fails leaves the live board as it was and no scratch key.
func TestRebuildRefusesAndFailsCleanly(t *testing.T) {
	srv := testredis.Start(t)
	rdb := srv.Client()
	cfg := writeConfig(t, "32")
	file := filepath.Join(t.TempDir(), "h.jsonl")
	if err := os.WriteFile(file, []byte(`{"id":"g1","product_id":"exrps","type":"game_over","game_id":"g1","winner_id":"a","loser_id":"b"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load(t, srv, "statsctl", cfg, file)
	live := store.New(rdb, store.Options{Namespace: "statsctl"})
	if _, err := rebuild.Run(ctx, rebuild.Options{Product: "exrps", Board: "nope", Registry: registry(t, cfg), Live: live, History: files(t, file)}); err == nil {
		t.Fatal("an unknown board was rebuilt")
	}
	before := snapshot(t, rdb, "statsctl:*")
	broken := &failing{src: files(t, file)}
	_, err := rebuild.Run(ctx, rebuild.Options{Product: "exrps", Board: "elo", Registry: registry(t, cfg), Live: live, History: broken})
	if err == nil || !strings.Contains(err.Error(), "live board untouched") {
		t.Fatalf("failed history: %v", err)
	}
	if after := snapshot(t, rdb, "statsctl:*"); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatal("a failed rebuild changed the live keys or left scratch keys")
	}
}

// failing yields its source's events, then an error instead of io.EOF.
type failing struct{ src engine.Source }

func (f *failing) Next() (event.Event, error) {
	ev, err := f.src.Next()
	if err == io.EOF {
		return ev, fmt.Errorf("disk on fire")
	}
	return ev, err
}
