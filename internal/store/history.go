package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/varcade/statsctl/internal/handler"
)

// A player's history on one board instance is one sorted set,
//
//	<ns>:{<product>}:hist:<instance>:<user>
//
// scored by point time (Unix ms), members "<ms>|g|<score>" (the score after
// a game). The score lives in the member so one key holds a point whole; the
// time as the sorted-set score makes the oldest point the cheapest to find
// for the trim, and every trim and replacement an exactly undoable ZREM.
// Instances hold no ':', so the key's parts never blur into each other.
// Only boards without a period keep these keys: a periodic board's history
// is derived from its instances (periodhistory.go).

// History is a player's history on one board instance.
func (k Keys) History(product, instance, user string) string {
	return k.tag(product) + "hist:" + instance + ":" + user
}

// Point is one point of a player's history.
type Point struct {
	// At is when (Unix ms): the event's time.
	At int64
	// Score is the player's score on the board after that game.
	Score float64
}

// historyArg is a HistoryPoint change as apply.lua's 'hp' value.
func historyArg(c handler.Change, boardIdx string) string {
	at := max(c.Int, 0)
	points := max(c.History.Points, 1)
	every := max(c.History.Every.Milliseconds(), 0)
	return boardIdx + ":" + strconv.FormatInt(at, 10) + ":" + strconv.Itoa(points) + ":" + strconv.FormatInt(every, 10)
}

// historyFilter drops history points from what a scratch store (rebuild)
// writes: a rebuild recomputes boards, and a player's history stays the
// one recorded as the games were played.
func (s *Store) historyFilter(changes []handler.Change) []handler.Change {
	if s.keys.Scratch == "" {
		return changes
	}
	out := changes[:0:0]
	for _, c := range changes {
		if c.Op != handler.HistoryPoint {
			out = append(out, c)
		}
	}
	return out
}

// History returns a player's history on one board instance, oldest first
// (empty when they have none).
func (s *Store) History(ctx context.Context, product, instance, user string) ([]Point, error) {
	key := s.keys.History(product, instance, user)
	zs, err := s.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("history of %s on %s/%s: %w", user, product, instance, err)
	}
	out := make([]Point, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		p, err := parsePoint(m)
		if err != nil {
			return nil, fmt.Errorf("history of %s on %s/%s: key %s: %w", user, product, instance, key, err)
		}
		out = append(out, p)
	}
	// Points of one millisecond: lower scores first is as good as any
	// order and stable.
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out, nil
}

func parsePoint(m string) (Point, error) {
	parts := strings.Split(m, "|")
	bad := fmt.Errorf("history point %.60q is not <ms>|g|<score>", m)
	if len(parts) != 3 || parts[1] != "g" {
		return Point{}, bad
	}
	at, err1 := strconv.ParseInt(parts[0], 10, 64)
	score, err2 := strconv.ParseFloat(parts[2], 64)
	if err1 != nil || err2 != nil {
		return Point{}, bad
	}
	return Point{At: at, Score: score}, nil
}
