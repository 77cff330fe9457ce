package consume_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/gen"
)

// buildStatsctl builds the real binary once per test into a temp dir.
func buildStatsctl(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	bin := filepath.Join(t.TempDir(), "statsctl")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// entry is one stream entry as the test wrote it.
type entry []string // field, value, ...

// genEntries turns a generated stream into stream entries. Lines that are
// not even JSON become entries with a single "raw" field (no product_id),
// which is what a broken producer would XADD.
func genEntries(t testing.TB, o gen.Options) []entry {
	t.Helper()
	var out []entry
	err := gen.Each(o, func(f gen.Fields, raw string, _ bool) error {
		if raw != "" {
			out = append(out, entry{"raw", raw})
			return nil
		}
		out = append(out, entry(append([]string(nil), f...)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// xaddAll appends entries in pipelined chunks and returns their ids.
func xaddAll(ctx context.Context, t testing.TB, rdb redis.UniversalClient, stream string, es []entry) []string {
	t.Helper()
	ids := make([]string, 0, len(es))
	for start := 0; start < len(es); start += 2000 {
		end := min(start+2000, len(es))
		cmds := make([]*redis.StringCmd, 0, end-start)
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range es[start:end] {
				vals := make([]any, len(e))
				for i, s := range e {
					vals[i] = s
				}
				cmds = append(cmds, p.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: vals}))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("xadd: %v", err)
		}
		for _, c := range cmds {
			ids = append(ids, c.Val())
		}
	}
	return ids
}

// model is the expected end state computed straight from the contract's
// rules (stats-tracker-contract.md), deliberately without the handler
// package, so a bug there cannot hide in both sides of the comparison.
type model struct {
	boards  map[string]map[string]float64          // product -> user -> score
	stats   map[string]map[string]map[string]int64 // product -> user -> stat -> value
	invalid int
}

func newModel() *model {
	return &model{boards: map[string]map[string]float64{}, stats: map[string]map[string]map[string]int64{}}
}

func validProductID(p string) bool {
	if p == "" || len(p) > 64 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

func validUserID(u string) bool {
	if u == "" || len(u) > 128 || !utf8.ValidString(u) {
		return false
	}
	for _, r := range u {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (m *model) stat(p, u, name string, d int64) {
	if m.stats[p] == nil {
		m.stats[p] = map[string]map[string]int64{}
	}
	if m.stats[p][u] == nil {
		m.stats[p][u] = map[string]int64{}
	}
	m.stats[p][u][name] += d
}

// add applies one entry by the contract's rules.
func (m *model) add(e entry) {
	f := map[string]string{}
	for i := 0; i+1 < len(e); i += 2 {
		f[e[i]] = e[i+1]
	}
	ok := len(f) <= 64
	for k, v := range f {
		if len(k) > 64 || len(v) > 4096 || !utf8.ValidString(k) || !utf8.ValidString(v) {
			ok = false
		}
	}
	p := f["product_id"]
	if !ok || !validProductID(p) {
		m.invalid++
		return
	}
	switch f["type"] {
	case "game_over":
		w, l := f["winner_id"], f["loser_id"]
		if !validUserID(w) || !validUserID(l) || w == l {
			m.invalid++
			return
		}
		if m.boards[p] == nil {
			m.boards[p] = map[string]float64{}
		}
		m.boards[p][w]++
		if _, ok := m.boards[p][l]; !ok {
			m.boards[p][l] = 0
		}
		m.stat(p, w, "games", 1)
		m.stat(p, w, "wins", 1)
		m.stat(p, w, "losses", 0)
		m.stat(p, l, "games", 1)
		m.stat(p, l, "wins", 0)
		m.stat(p, l, "losses", 1)
	case "gameplay":
		if p != "exrps" || f["event_name"] != "select_weapon" {
			return
		}
		weapon := map[string]string{"0": "rock", "1": "paper", "2": "scissors", "null": "botch"}[f["event_data"]]
		if !validUserID(f["user_id"]) || weapon == "" {
			m.invalid++
			return
		}
		m.stat(p, f["user_id"], weapon+"_selection_count", 1)
	}
}

// compare checks Redis against the model: every board member and score,
// every stats hash, and no stats hash or board the model does not have.
func (m *model) compare(ctx context.Context, t testing.TB, rdb redis.UniversalClient, ns string) {
	t.Helper()
	var problems []string
	for p, board := range m.boards {
		got, err := rdb.ZRangeWithScores(ctx, ns+":{"+p+"}:lb:wins", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(board) {
			problems = append(problems, fmt.Sprintf("board %s: %d players, want %d", p, len(got), len(board)))
		}
		for _, z := range got {
			want, ok := board[z.Member.(string)]
			if !ok || math.Abs(want-z.Score) > 1e-9 {
				problems = append(problems, fmt.Sprintf("board %s: %s has %v, want %v (present %v)", p, z.Member, z.Score, want, ok))
			}
		}
	}
	nStats := 0
	for p, users := range m.stats {
		for u, want := range users {
			nStats++
			got, err := rdb.HGetAll(ctx, ns+":{"+p+"}:stats:"+u).Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				problems = append(problems, fmt.Sprintf("stats %s/%s: %v, want %v", p, u, got, want))
				continue
			}
			for k, v := range want {
				if got[k] != strconv.FormatInt(v, 10) {
					problems = append(problems, fmt.Sprintf("stats %s/%s %s = %q, want %d", p, u, k, got[k], v))
				}
			}
		}
	}
	var keys []string
	iter := rdb.Scan(ctx, 0, ns+":{*}:*", 1000).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	boards, stats := 0, 0
	for _, k := range keys {
		switch {
		case strings.Contains(k, "}:lb:"):
			boards++
		case strings.Contains(k, "}:stats:"):
			stats++
		}
	}
	if boards != len(m.boards) || stats != nStats {
		problems = append(problems, fmt.Sprintf("%d boards and %d stats hashes in redis, want %d and %d", boards, stats, len(m.boards), nStats))
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
		}
		t.Fatalf("end state differs from one clean pass:\n%s", strings.Join(problems, "\n"))
	}
}

func envWithout(names ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		keep := true
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				keep = false
			}
		}
		if keep {
			out = append(out, kv)
		}
	}
	return out
}
