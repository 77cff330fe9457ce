package store

import (
	"context"
	_ "embed"
	"fmt"
	"github.com/varcade/statsctl/internal/handler"
	"sort"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Ranked lists: a friends list, a clan, any set of ids ranked on one board,
// each player with their place on the whole board and within the list.

//go:embed ranked.lua
var rankedSrc string

// rankedScript is shared by every store: it holds no state, and one
// *redis.Script keeps its SHA computed once.
var rankedScript = sync.OnceValue(func() *redis.Script { return redis.NewScript(rankedSrc) })

// DefaultMaxListIDs bounds the ids of one ranked list unless the caller
// configures another bound. The cost is one ZSCORE and one ZCOUNT per id
// (on a ties: first board one ZSCORE, one HGET and one ZRANK)
// inside one script (docs/lists.md has the measured figures).
const DefaultMaxListIDs = 1000

// ListedEntry is one player of a ranked list: Entry.Rank is the rank on the
// whole board, ListRank the rank within the list, both by the board's spec
// (ties shared: 1, 2, 2, 4; ties: first: 1, 2, 3, 4), as every read ranks.
type ListedEntry struct {
	Entry
	ListRank int64
}

// RankedList is a list of players ranked on one board at one moment.
type RankedList struct {
	// Entries are the listed players on the board, best first, in the
	// board's own read order (that of Top): equal scores by who reached
	// them first on a ties: first board, else by member bytes as Redis
	// orders them (higher first on desc boards, lower first on asc).
	Entries []ListedEntry
	// Absent are the listed ids that are not on the board, in the order
	// given: a friend who never played is shown as such, not dropped.
	Absent []string
	// Total is the number of players on the whole board.
	Total int64
}

// RankList ranks users on a board in one script call, so every rank comes
// from one moment of the board and a list of any length costs one round
// trip. An id given twice is listed once. The caller bounds and checks the
// ids (event.CheckUser). The board's spec decides, as for Top and Rank:
// its order what is better, its tie rule whether equal scores share a rank
// (on the board and in the list) or rank by who reached them first.
func (s *Store) RankList(ctx context.Context, ref BoardRef, users []string) (RankedList, error) {
	product, board := ref.Product, ref.Instance
	asc, first := ref.Spec.Order == handler.Asc, ref.Spec.Ties == handler.First
	keys, head := s.readKeys(ref, "")
	args := make([]any, 0, len(users)+2)
	args = append(args, head[1], head[2]) // order, ties
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			args = append(args, u)
		}
	}
	ids := args[2:]
	v, err := rankedScript().Run(ctx, s.rdb, keys, args...).Result()
	if err != nil {
		return RankedList{}, fmt.Errorf("rank %d players on %s/%s: %w", len(ids), product, board, err)
	}
	vals, ok := v.([]any)
	if !ok || len(vals) != 1+2*len(ids) {
		return RankedList{}, fmt.Errorf("rank players on %s/%s: unexpected reply of %d items for %d ids", product, board, len(vals), len(ids))
	}
	out := RankedList{Total: toInt(vals[0])}
	var on []Entry
	for j, id := range ids {
		raw := vals[1+2*j]
		if raw == nil {
			out.Absent = append(out.Absent, id.(string))
			continue
		}
		score, err := parseScore(raw)
		if err != nil {
			return RankedList{}, fmt.Errorf("rank %s on %s/%s: %w", id, product, board, err)
		}
		on = append(on, Entry{Rank: toInt(vals[2+2*j]) + 1, UserID: id.(string), Score: score})
	}
	sort.Slice(on, func(a, b int) bool {
		if first {
			return on[a].Rank < on[b].Rank // distinct places in read order
		}
		if on[a].Score != on[b].Score {
			return (on[a].Score > on[b].Score) != asc
		}
		return (on[a].UserID > on[b].UserID) != asc // Redis's member order
	})
	if err := s.dress(ctx, ref, on); err != nil {
		return RankedList{}, fmt.Errorf("rank players on %s/%s: %w", product, board, err)
	}
	for i, e := range on {
		le := ListedEntry{Entry: e, ListRank: int64(i) + 1}
		if !first && i > 0 && e.Score == on[i-1].Score {
			le.ListRank = out.Entries[i-1].ListRank
		}
		out.Entries = append(out.Entries, le)
	}
	return out, nil
}

// Around keeps the listed players within n places of user in the list (by
// position, as Store.Around does on the whole board). ok is false when user
// is not among the list's players on the board.
func (l RankedList) Around(user string, n int) (RankedList, bool) {
	for i, e := range l.Entries {
		if e.UserID != user {
			continue
		}
		lo, hi := max(i-n, 0), min(i+n+1, len(l.Entries))
		return RankedList{Entries: l.Entries[lo:hi], Total: l.Total}, true
	}
	return RankedList{Total: l.Total}, false
}
