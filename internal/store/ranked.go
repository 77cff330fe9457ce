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
// inside one script (docs/lists.md has the measured figures).
const DefaultMaxListIDs = 1000

// ListedEntry is one player of a ranked list: Entry.Rank is the rank on the
// whole board (ties shared, as everywhere), ListRank the rank within the
// list (ties shared too).
type ListedEntry struct {
	Entry
	ListRank int64
}

// RankedList is a list of players ranked on one board at one moment.
type RankedList struct {
	// Entries are the listed players on the board, best first; players
	// tied on score come in the board's own order (ZREVRANGE's: higher
	// member first).
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
// ids (event.CheckUser). The board's order decides what is better; ties
// are shared on every board, ties: first ones included (a list is ranked by
// score alone).
func (s *Store) RankList(ctx context.Context, ref BoardRef, users []string) (RankedList, error) {
	product, board := ref.Product, ref.Instance
	asc := ref.Spec.Order == handler.Asc
	order := "d"
	if asc {
		order = "a"
	}
	ids := make([]any, 0, len(users))
	seen := make(map[string]bool, len(users))
	for _, u := range users {
		if !seen[u] {
			seen[u] = true
			ids = append(ids, u)
		}
	}
	v, err := rankedScript().Run(ctx, s.rdb, []string{s.keys.Board(product, board)}, append([]any{order}, ids...)...).Result()
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
		if on[a].Score != on[b].Score {
			return (on[a].Score > on[b].Score) != asc
		}
		return on[a].UserID > on[b].UserID
	})
	if err := s.dress(ctx, ref, on); err != nil {
		return RankedList{}, fmt.Errorf("rank players on %s/%s: %w", product, board, err)
	}
	for _, e := range on {
		out.Entries = append(out.Entries, ListedEntry{Entry: e})
	}
	for i := range out.Entries {
		if i > 0 && out.Entries[i].Score == out.Entries[i-1].Score {
			out.Entries[i].ListRank = out.Entries[i-1].ListRank
		} else {
			out.Entries[i].ListRank = int64(i) + 1
		}
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
