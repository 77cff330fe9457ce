package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
)

// ReadRequest is what the engine reads for one product before running its
// stateful scorers: rating states, and whether events are applied already.
type ReadRequest struct {
	Refs     []handler.Ref
	EventIDs []string
}

// StateValue is one rating state as read (Present false: the player has
// none on that board yet).
type StateValue struct {
	State   string
	Present bool
}

// Snapshot is what was read for one product at one moment per key.
type Snapshot struct {
	States map[handler.Ref]StateValue
	Seen   map[string]bool // event id -> already applied
}

// ReadStates reads every product's request in one pipelined round trip.
// The values may change right after; ApplyGuarded's guards catch that.
func (s *Store) ReadStates(ctx context.Context, reqs map[string]ReadRequest) (map[string]Snapshot, error) {
	type refCmd struct {
		ref handler.Ref
		cmd *redis.StringCmd
	}
	type seenCmd struct {
		id  string
		cmd *redis.BoolCmd
	}
	states := map[string][]refCmd{}
	seen := map[string][]seenCmd{}
	_, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for p, r := range reqs {
			done := map[handler.Ref]bool{}
			for _, ref := range r.Refs {
				if done[ref] {
					continue
				}
				done[ref] = true
				states[p] = append(states[p], refCmd{ref, pipe.HGet(ctx, s.keys.RatingState(p, ref.Board), ref.User)})
			}
			for _, id := range r.EventIDs {
				if id != "" {
					seen[p] = append(seen[p], seenCmd{id, pipe.HExists(ctx, s.keys.Seen(p, id), id)})
				}
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) && !isWrongType(err) {
		return nil, fmt.Errorf("read rating states: %w", err)
	}
	out := make(map[string]Snapshot, len(reqs))
	for p := range reqs {
		snap := Snapshot{States: map[handler.Ref]StateValue{}, Seen: map[string]bool{}}
		for _, rc := range states[p] {
			v, err := rc.cmd.Result()
			switch {
			case errors.Is(err, redis.Nil), isWrongType(err):
				// A rating-state key of the wrong type reads as no state:
				// the apply script rejects the events that write it.
				snap.States[rc.ref] = StateValue{}
			case err != nil:
				return nil, fmt.Errorf("read rating of %s on %s/%s: %w", rc.ref.User, p, rc.ref.Board, err)
			default:
				snap.States[rc.ref] = StateValue{State: v, Present: true}
			}
		}
		for _, sc := range seen[p] {
			v, err := sc.cmd.Result()
			if isWrongType(err) {
				v, err = false, nil // the apply script rejects the event
			}
			if err != nil {
				return nil, fmt.Errorf("read applied marker of %s in %s: %w", sc.id, p, err)
			}
			snap.Seen[sc.id] = v
		}
		out[p] = snap
	}
	return out, nil
}

func isWrongType(err error) bool { return err != nil && redis.HasErrorPrefix(err, "WRONGTYPE") }

// PlayerStats is a player's stats as people and the API show them: the
// stats hash plus, for each rating board of prod, the rating fields its
// scorer describes ("elo_rating", "elo_games"). Ratings live apart from the
// stats hash so a rebuild can swap a board whole; this puts them together
// again in one pipelined round trip.
func (s *Store) PlayerStats(ctx context.Context, prod handler.Product, product, user string) (map[string]string, error) {
	type rated struct {
		board string
		d     handler.Describer
		state *redis.StringCmd
	}
	var boards []rated
	for _, b := range prod.Boards {
		if d, ok := b.Scorer.(handler.Describer); ok {
			boards = append(boards, rated{board: b.Name, d: d})
		}
	}
	var stats *redis.MapStringStringCmd
	_, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		stats = pipe.HGetAll(ctx, s.keys.Stats(product, user))
		for i := range boards {
			boards[i].state = pipe.HGet(ctx, s.keys.RatingState(product, boards[i].board), user)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("stats of %s in %s: %w", user, product, err)
	}
	out, err := stats.Result()
	if err != nil {
		return nil, fmt.Errorf("stats of %s in %s: %w", user, product, err)
	}
	unscaleStats(prod, out)
	for _, b := range boards {
		text, err := b.state.Result()
		if errors.Is(err, redis.Nil) {
			continue // no game on this board yet
		}
		if err != nil {
			return nil, fmt.Errorf("rating of %s on %s/%s: %w", user, product, b.board, err)
		}
		for _, kv := range b.d.Describe(b.board, text) {
			out[kv[0]] = kv[1]
		}
	}
	return out, nil
}
