package e2etest

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// OldService writes boards and stats the way the old Stats Tracker's worker
// did (stats-tracker-contract.md), with the same Redis commands, so import
// tests start from keys shaped exactly like a real deployment's: ZINCRBY
// winner +1 and loser +0 on _lb:wins:<product>, HINCRBY of games, wins,
// losses and the exrps <weapon>_selection_count on _pstats:<user>:<product>,
// and the cursor string after each batch.
type OldService struct {
	RDB redis.UniversalClient // the old stats database (database 2 on the platform)
}

// CursorKey is the old worker's cursor (last processed stream id).
const CursorKey = "_stats_tracker.workers.event_stream_index"

// Apply processes one event as the old worker did: a game over with both
// players, or an exrps weapon pick with a known code; anything else was
// logged and skipped.
func (o OldService) Apply(ctx context.Context, t testing.TB, e Entry) {
	t.Helper()
	f := map[string]string{}
	for i := 0; i+1 < len(e); i += 2 {
		f[e[i]] = e[i+1]
	}
	p := f["product_id"]
	if p == "" {
		return
	}
	var cmds []func(redis.Pipeliner)
	switch f["type"] {
	case "game_over":
		w, l := f["winner_id"], f["loser_id"]
		if w == "" || l == "" {
			return
		}
		cmds = append(cmds,
			func(p2 redis.Pipeliner) { p2.ZIncrBy(ctx, "_lb:wins:"+p, 1, w) },
			func(p2 redis.Pipeliner) { p2.ZIncrBy(ctx, "_lb:wins:"+p, 0, l) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+w+":"+p, "games", 1) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+w+":"+p, "wins", 1) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+w+":"+p, "losses", 0) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+l+":"+p, "games", 1) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+l+":"+p, "wins", 0) },
			func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+l+":"+p, "losses", 1) },
		)
	case "gameplay":
		if p != "exrps" || f["event_name"] != "select_weapon" || f["user_id"] == "" {
			return
		}
		weapon := map[string]string{"0": "rock", "1": "paper", "2": "scissors", "null": "botch"}[f["event_data"]]
		if weapon == "" {
			return
		}
		u := f["user_id"]
		cmds = append(cmds, func(p2 redis.Pipeliner) { p2.HIncrBy(ctx, "_pstats:"+u+":"+p, weapon+"_selection_count", 1) })
	default:
		return
	}
	_, err := o.RDB.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, c := range cmds {
			c(p)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("old service: apply %v: %v", e, err)
	}
}

// SaveCursor is the old worker saving its position after a batch.
func (o OldService) SaveCursor(ctx context.Context, t testing.TB, id string) {
	t.Helper()
	if err := o.RDB.Set(ctx, CursorKey, id, 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// Dump is every key of a database with its DUMP serialization, to prove
// that something only read it.
func Dump(ctx context.Context, t testing.TB, rdb redis.UniversalClient, pattern string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range Keys(ctx, t, rdb, pattern) {
		v, err := rdb.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("dump %s: %v", k, err)
		}
		ttl, _ := rdb.PTTL(ctx, k).Result()
		out[k] = v + "|ttl>0:" + map[bool]string{true: "y", false: "n"}[ttl > 0]
	}
	return out
}

// AddLegacy adds the old service's boards and stats, read from its keys, to
// the model: with the events since the swap added on top, the model is
// "old plus new", what the portal must show after an import.
func (m *Model) AddLegacy(ctx context.Context, t testing.TB, rdb redis.UniversalClient) {
	t.Helper()
	for _, k := range Keys(ctx, t, rdb, "_lb:wins:*") {
		p := strings.TrimPrefix(k, "_lb:wins:")
		zs, err := rdb.ZRangeWithScores(ctx, k, 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if m.boards[p] == nil {
			m.boards[p] = map[string]float64{}
		}
		for _, z := range zs {
			m.boards[p][z.Member.(string)] += z.Score
		}
	}
	for _, k := range Keys(ctx, t, rdb, "_pstats:*") {
		rest := strings.TrimPrefix(k, "_pstats:")
		i := strings.LastIndexByte(rest, ':')
		u, p := rest[:i], rest[i+1:]
		h, err := rdb.HGetAll(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for f, v := range h {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("old stats %s %s = %q", k, f, v)
			}
			m.stat(p, u, f, n)
		}
	}
}

// Scored is one board row of the model.
type Scored struct {
	User  string
	Score float64
}

// TopTen is the model's ten best of a product's board, in the order Redis
// gives them (score descending, then member descending).
func (m *Model) TopTen(p string) []Scored {
	var out []Scored
	for u, s := range m.boards[p] {
		out = append(out, Scored{u, s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].User > out[j].User
	})
	return out[:min(10, len(out))]
}

// Stats is the model's stats of one player (nil: none).
func (m *Model) Stats(p, u string) map[string]int64 { return m.stats[p][u] }

// Users are the players with stats in a product, sorted.
func (m *Model) Users(p string) []string {
	var out []string
	for u := range m.stats[p] {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// BoardSize is the number of players on the model's board of a product.
func (m *Model) BoardSize(p string) int { return len(m.boards[p]) }

// AddStat adds to one stat of the model, for stats outside the contract's
// rules that a test wrote itself.
func (m *Model) AddStat(p, u, name string, d int64) { m.stat(p, u, name, d) }
