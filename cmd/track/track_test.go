package track_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/cmdtest"
	"github.com/varcade/statsctl/internal/gen"
	"github.com/varcade/statsctl/internal/testredis"
)

// model is an independent reading of the contract's rules, written from the
// contract file and not from the handler package, so a bug in the handlers
// cannot hide in the expected values.
type model struct {
	boards map[string]map[string]float64          // product -> user -> score
	stats  map[string]map[string]map[string]int64 // product -> user -> stat -> n
	seen   map[string]bool
	bad    int
}

func newModel() *model {
	return &model{boards: map[string]map[string]float64{}, stats: map[string]map[string]map[string]int64{}, seen: map[string]bool{}}
}

func (m *model) stat(p, u, s string, d int64) {
	if m.stats[p] == nil {
		m.stats[p] = map[string]map[string]int64{}
	}
	if m.stats[p][u] == nil {
		m.stats[p][u] = map[string]int64{}
	}
	m.stats[p][u][s] += d
}

func (m *model) line(raw []byte) {
	var obj map[string]any
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&obj); err != nil || dec.More() {
		m.bad++
		return
	}
	f := map[string]string{}
	for k, v := range obj {
		switch x := v.(type) {
		case string:
			f[k] = x
		case nil:
			f[k] = "null"
		default:
			m.bad++
			return
		}
	}
	p := f["product_id"]
	if p == "" {
		m.bad++
		return
	}
	if f["id"] != "" && m.seen[p+"/"+f["id"]] {
		return
	}
	applied := false
	switch {
	case f["type"] == "game_over":
		w, l := f["winner_id"], f["loser_id"]
		if w == "" || l == "" || w == l {
			m.bad++
			return
		}
		if m.boards[p] == nil {
			m.boards[p] = map[string]float64{}
		}
		m.boards[p][w]++
		m.boards[p][l] += 0
		m.stat(p, w, "games", 1)
		m.stat(p, w, "wins", 1)
		m.stat(p, w, "losses", 0)
		m.stat(p, l, "games", 1)
		m.stat(p, l, "wins", 0)
		m.stat(p, l, "losses", 1)
		applied = true
	case p == "exrps" && f["type"] == "gameplay" && f["event_name"] == "select_weapon":
		weapon := map[string]string{"0": "rock", "1": "paper", "2": "scissors", "null": "botch"}[f["event_data"]]
		if weapon == "" || f["user_id"] == "" {
			m.bad++
			return
		}
		m.stat(p, f["user_id"], weapon+"_selection_count", 1)
		applied = true
	}
	if applied && f["id"] != "" {
		m.seen[p+"/"+f["id"]] = true
	}
}

// stored reads every board and stats hash statsctl wrote.
func stored(t *testing.T, rdb *redis.Client) (map[string]map[string]float64, map[string]map[string]map[string]int64) {
	t.Helper()
	ctx := context.Background()
	boards := map[string]map[string]float64{}
	stats := map[string]map[string]map[string]int64{}
	iter := rdb.Scan(ctx, 0, "statsctl:{*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		p := k[strings.Index(k, "{")+1 : strings.Index(k, "}")]
		rest := k[strings.Index(k, "}")+2:]
		switch {
		case strings.HasPrefix(rest, "lb:wins"):
			zs, _ := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
			boards[p] = map[string]float64{}
			for _, z := range zs {
				boards[p][z.Member.(string)] = z.Score
			}
		case strings.HasPrefix(rest, "stats:"):
			u := strings.TrimPrefix(rest, "stats:")
			h, _ := rdb.HGetAll(ctx, k).Result()
			if stats[p] == nil {
				stats[p] = map[string]map[string]int64{}
			}
			stats[p][u] = map[string]int64{}
			for f, v := range h {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("%s %s = %q, not an integer", k, f, v)
				}
				stats[p][u][f] = n
			}
		}
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	return boards, stats
}

func writeGenerated(t *testing.T, o gen.Options) (string, *model) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gen.WriteJSONL(fh, o); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	m := newModel()
	fh, _ = os.Open(path)
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) != "" {
			m.line(sc.Bytes())
		}
	}
	return path, m
}

func TestReplayMatchesIndependentModel(t *testing.T) {
	srv := testredis.Start(t)
	path, m := writeGenerated(t, gen.Options{Games: 3000, Players: 80, Seed: 11, IDs: true, BadEvery: 40,
		Products: []string{"exrps", "exrps", "tictactoe"}})
	env := cmdtest.Redis(srv.URL())
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", path, "-o", "json", "--batch", "500"))
	var sum struct{ Events, Applied, Invalid, Duplicates int }
	if err := json.Unmarshal([]byte(r.Out), &sum); err != nil {
		t.Fatalf("summary %q: %v", r.Out, err)
	}
	if sum.Invalid != m.bad || sum.Invalid == 0 {
		t.Errorf("invalid %d, model counted %d bad lines", sum.Invalid, m.bad)
	}
	boards, stats := stored(t, srv.Client())
	if !reflect.DeepEqual(boards, m.boards) {
		t.Fatalf("boards differ from the model:\n%s", diff(boards, m.boards))
	}
	if !reflect.DeepEqual(stats, m.stats) {
		t.Fatalf("stats differ from the model:\n%s", diff(stats, m.stats))
	}
	// A second replay of the same file changes nothing: every event has an id.
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", path, "-o", "json"))
	if err := json.Unmarshal([]byte(r.Out), &sum); err != nil || sum.Applied != 0 || sum.Duplicates == 0 {
		t.Fatalf("second replay: %s %v", r.Out, err)
	}
	boards2, stats2 := stored(t, srv.Client())
	if !reflect.DeepEqual(boards2, m.boards) || !reflect.DeepEqual(stats2, m.stats) {
		t.Fatal("second replay changed the data")
	}
}

func diff(got, want any) string {
	g, _ := json.MarshalIndent(got, "", " ")
	w, _ := json.MarshalIndent(want, "", " ")
	gl, wl := strings.Split(string(g), "\n"), strings.Split(string(w), "\n")
	var b strings.Builder
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var a, c string
		if i < len(gl) {
			a = gl[i]
		}
		if i < len(wl) {
			c = wl[i]
		}
		if a != c {
			fmt.Fprintf(&b, "line %d: got %q want %q\n", i+1, a, c)
			if b.Len() > 2000 {
				break
			}
		}
	}
	return b.String()
}

func TestStrictWritesNothingOnBadInput(t *testing.T) {
	srv := testredis.Start(t)
	env := cmdtest.Redis(srv.URL())
	r := cmdtest.Run(t, env, nil, "track", "--strict", "-f", "../../testdata/malformed.jsonl")
	if r.Code != 1 || !strings.Contains(r.Err, "nothing was written") || !strings.Contains(r.Err, "malformed.jsonl:2:") {
		t.Fatalf("exit %d\n%s", r.Code, r.Err)
	}
	if n, _ := srv.Client().DBSize(context.Background()).Result(); n != 0 {
		t.Fatalf("--strict wrote %d keys", n)
	}
	// Without --strict the good lines apply and bad ones are listed by line.
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "-f", "../../testdata/malformed.jsonl"))
	for _, want := range []string{"malformed.jsonl:3: skipped (unknown_weapon)", "malformed.jsonl:4: skipped (malformed)", "malformed.jsonl:15:"} {
		if !strings.Contains(r.Err, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.Err)
		}
	}
	if !strings.Contains(r.Out, "2 applied") || !strings.Contains(r.Out, "11 invalid") {
		t.Errorf("summary: %s", r.Out)
	}
	// --strict with a clean file from stdin writes it.
	in, _ := os.ReadFile("../../testdata/exrps-sample.jsonl")
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, strings.NewReader(string(in)), "track", "--strict", "-f", "-"))
	if !strings.Contains(r.Out, "200 events") {
		t.Errorf("strict stdin: %s", r.Out)
	}
}

func TestTrackOneEvent(t *testing.T) {
	env := cmdtest.Embedded(t)
	r := cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "exrps", "type=gameplay", "event_name=select_weapon", "event_data=null", "user_id=u1", "id=k1"))
	if strings.TrimSpace(r.Out) != "applied" {
		t.Fatalf("out %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "exrps", "type=gameplay", "event_name=select_weapon", "event_data=null", "user_id=u1", "id=k1"))
	if !strings.HasPrefix(r.Out, "duplicate") {
		t.Fatalf("out %q", r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "track", "exrps", "type=state_change", "new_state=x"))
	if !strings.HasPrefix(r.Out, "ignored") {
		t.Fatalf("out %q", r.Out)
	}
	r = cmdtest.Run(t, env, nil, "track", "exrps", "type=gameplay", "event_name=select_weapon", "event_data=9", "user_id=u1")
	if r.Code != 1 || !strings.Contains(r.Out, "unknown weapon code") {
		t.Fatalf("exit %d out %q", r.Code, r.Out)
	}
	r = cmdtest.MustOK(t, cmdtest.Run(t, env, nil, "stats", "exrps", "u1", "-o", "json"))
	if strings.TrimSpace(r.Out) != `{"botch_selection_count":1}` {
		t.Fatalf("stats %q", r.Out)
	}
}

func TestTrackUsageErrors(t *testing.T) {
	env := cmdtest.Embedded(t)
	for _, args := range [][]string{
		{"track"},
		{"track", "exrps"},
		{"track", "-f", "x.jsonl", "exrps", "a=b"},
		{"track", "-f", "/does/not/exist.jsonl"},
		{"track", "exrps", "novalue"},
		{"track", "bad{p}", "a=b"},
		{"track", "exrps", "product_id=other"},
		{"track", "-f", "../../testdata/exrps-sample.jsonl", "--batch", "0"},
	} {
		if r := cmdtest.Run(t, env, nil, args...); r.Code != 2 || r.Err == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 with a message", args, r.Code, r.Err)
		}
	}
}
