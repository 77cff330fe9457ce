package store

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
)

// InstanceInfo is one registered instance of a periodic or segmented
// board (docs/boards.md), for listing a board's periods and segments.
type InstanceInfo struct {
	Instance string
	Period   string
	Segment  string
	Start    int64 // the period's start in ms, 0 for an all-time board
	Size     int64 // players on it
	Closed   bool  // its period is closed (standings published)
}

// Instances lists a board's registered instances, oldest period first,
// each with its player count, in two round trips. The registry holds at
// most keep periods times (1 + segments) members, so the list is bounded.
func (s *Store) Instances(ctx context.Context, product, board string) ([]InstanceInfo, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.keys.Instances(product, board), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("instances of %s/%s: %w", product, board, err)
	}
	out := make([]InstanceInfo, len(zs))
	cmds := make([]*redis.IntCmd, len(zs))
	var closed *redis.StringSliceCmd
	if _, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		closed = pipe.HKeys(ctx, s.keys.Closed(product, board))
		for i, z := range zs {
			m, _ := z.Member.(string)
			_, per, seg := handler.ParseInstance(m)
			out[i] = InstanceInfo{Instance: m, Period: per, Segment: seg, Start: int64(z.Score)}
			cmds[i] = pipe.ZCard(ctx, s.keys.Board(product, m))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("sizes of %s/%s's instances: %w", product, board, err)
	}
	isClosed := map[string]bool{}
	for _, p := range closed.Val() {
		isClosed[p] = true
	}
	for i, c := range cmds {
		out[i].Size = c.Val()
		out[i].Closed = out[i].Period != "" && isClosed[out[i].Period]
	}
	return out, nil
}

// ClosedPeriods lists the periods of a board that are closed (their
// standings published).
func (s *Store) ClosedPeriods(ctx context.Context, product, board string) (map[string]bool, error) {
	ks, err := s.rdb.HKeys(ctx, s.keys.Closed(product, board)).Result()
	if err != nil {
		return nil, fmt.Errorf("closed periods of %s/%s: %w", product, board, err)
	}
	out := make(map[string]bool, len(ks))
	for _, k := range ks {
		out[k] = true
	}
	return out, nil
}
