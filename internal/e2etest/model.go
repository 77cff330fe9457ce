package e2etest

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Model is the expected end state computed straight from the contract's
// rules (stats-tracker-contract.md), deliberately without the handler
// package, so a bug there cannot hide in both sides of the comparison.
type Model struct {
	boards  map[string]map[string]float64          // product -> user -> score
	stats   map[string]map[string]map[string]int64 // product -> user -> stat -> value
	Invalid int                                    // entries that must be dead-lettered
	// Poison names keys (with namespace NS) a test planted with the wrong
	// type: an event touching one must be rejected whole by Redis
	// (store_rejected), so the model applies nothing of it and counts it
	// in Rejected; Diff leaves the planted keys out of its key count.
	NS       string
	Poison   map[string]bool
	Rejected int // entries that must be dead-lettered as store_rejected
}

// NewModel is an empty model: the state before any event.
func NewModel() *Model {
	return &Model{boards: map[string]map[string]float64{}, stats: map[string]map[string]map[string]int64{}}
}

// ModelOf is the model of one clean pass over entries.
func ModelOf(es []Entry) *Model {
	m := NewModel()
	for _, e := range es {
		m.Add(e)
	}
	return m
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

func (m *Model) stat(p, u, name string, d int64) {
	if m.stats[p] == nil {
		m.stats[p] = map[string]map[string]int64{}
	}
	if m.stats[p][u] == nil {
		m.stats[p][u] = map[string]int64{}
	}
	m.stats[p][u][name] += d
}

// Add applies one entry by the contract's rules.
func (m *Model) Add(e Entry) {
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
		m.Invalid++
		return
	}
	switch f["type"] {
	case "game_over":
		w, l := f["winner_id"], f["loser_id"]
		if !validUserID(w) || !validUserID(l) || w == l {
			m.Invalid++
			return
		}
		if m.poisoned(p, "lb:wins", "stats:"+w, "stats:"+l) {
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
			m.Invalid++
			return
		}
		if m.poisoned(p, "stats:"+f["user_id"]) {
			return
		}
		m.stat(p, f["user_id"], weapon+"_selection_count", 1)
	}
}

// poisoned counts the event as rejected when one of the keys of product p
// it touches (by the contract: its wins board, its players' stats hashes)
// is in Poison.
func (m *Model) poisoned(p string, keys ...string) bool {
	for _, k := range keys {
		if m.Poison[m.NS+":{"+p+"}:"+k] {
			m.Rejected++
			return true
		}
	}
	return false
}

// Products are the products the model has boards for.
func (m *Model) Products() []string {
	var ps []string
	for p := range m.boards {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps
}

// Compare checks Redis (one server or a cluster) against the model: every
// board member and score, every stats hash, and no stats hash or board the
// model does not have.
func (m *Model) Compare(ctx context.Context, t testing.TB, rdb redis.UniversalClient, ns string) {
	t.Helper()
	if problems := m.Diff(ctx, t, rdb, ns); len(problems) > 0 {
		t.Fatalf("end state differs from one clean pass:\n%s", strings.Join(problems, "\n"))
	}
}

// Diff lists how Redis differs from the model (at most 21 lines).
func (m *Model) Diff(ctx context.Context, t testing.TB, rdb redis.UniversalClient, ns string) []string {
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
	boards, stats := 0, 0
	for _, k := range Keys(ctx, t, rdb, ns+":{*}:*") {
		switch {
		case m.Poison[k]:
		case strings.Contains(k, "}:lb:"):
			boards++
		case strings.Contains(k, "}:stats:"):
			stats++
		}
	}
	if boards != len(m.boards) || stats != nStats {
		problems = append(problems, fmt.Sprintf("%d boards and %d stats hashes in redis, want %d and %d", boards, stats, len(m.boards), nStats))
	}
	sort.Strings(problems)
	if len(problems) > 20 {
		problems = append(problems[:20], fmt.Sprintf("... and %d more", len(problems)-20))
	}
	return problems
}
