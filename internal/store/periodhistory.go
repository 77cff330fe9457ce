package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/varcade/statsctl/internal/handler"
)

// A periodic board's history of a player is derived, not written: one
// point per kept period, the player's rank and score in that period's
// instance (docs/boards.md "History"). A closed period's instance is
// frozen (the apply script refuses its events), so its rank is the rank
// the period closed with; moderation, which edits the instances, changes
// the derived history with them, and the period trim expires it with them.

// PeriodPoint is a player's place in one kept period of a periodic board.
type PeriodPoint struct {
	Period   string // the period id (2026-W48)
	Instance string // the instance read (weekly@2026-W48, weekly@2026-W48~eu)
	// Start and End bound the period, in the board's zone.
	Start, End time.Time
	// Closed: the period's standings are published and its instance no
	// longer changes; Rank is the rank at close.
	Closed bool
	// Current: the period holds now (its rank is live).
	Current bool
	// Rank is 0 when the player has no entry in that period; ties rank as
	// the board's spec says, as in every read.
	Rank  int64
	Score float64
	Value string // exact text of Score on a value board, else ""
	Total int64  // players in that period's instance
}

// ErrNotPeriodic says a board has no period, so its history is the kept
// per-game points (History), not per-period ranks.
var ErrNotPeriodic = errors.New("board is not periodic")

// PeriodHistory is user's place in each kept period of c's board (the
// unsplit instances, or c.Segment's), oldest first, at most the board's
// keep periods: one script in the product's slot, so every period is read
// at one moment. now decides which period is current.
func (s *Store) PeriodHistory(ctx context.Context, prod handler.Product, product string, c handler.Choice, user string, now time.Time) ([]PeriodPoint, error) {
	l, _ := prod.Layers(c.Board)
	if l.Period == nil {
		return nil, fmt.Errorf("history of %s on %s/%s: %w", user, product, c.Board, ErrNotPeriodic)
	}
	ref := RefOf(prod, product, c.Board)
	_, head := s.readKeys(ref, "periods")
	keys := []string{s.keys.Instances(product, c.Board), s.keys.Closed(product, c.Board)}
	args := append(head, user, c.Board, c.Segment, s.keys.tag(product)+"lb:", s.keys.Scratch, max(l.Period.Keep, 1))
	v, err := s.read.Run(ctx, s.rdb, keys, args...).Slice()
	if err != nil {
		return nil, fmt.Errorf("history of %s on %s/%s: %w", user, product, c.Board, err)
	}
	if len(v)%6 != 0 {
		return nil, fmt.Errorf("history of %s on %s/%s: unexpected reply of %d items", user, product, c.Board, len(v))
	}
	cur := l.Period.Start(now)
	out := make([]PeriodPoint, len(v)/6)
	for i := range out {
		row := v[len(v)-6*(i+1):] // the script answers newest first
		inst := fmt.Sprint(row[0])
		start, err := parseScore(row[1])
		if err != nil {
			return nil, fmt.Errorf("history of %s on %s/%s: registry %s: %w", user, product, c.Board, keys[0], err)
		}
		_, per, _ := handler.ParseInstance(inst)
		st := time.UnixMilli(int64(start)).In(l.Period.Loc)
		p := PeriodPoint{Period: per, Instance: inst, Start: st, End: l.Period.Next(st), Closed: toInt(row[2]) == 1,
			Current: st.Equal(cur), Rank: toInt(row[4]), Total: toInt(row[5])}
		if p.Rank > 0 {
			if p.Score, err = parseScore(row[3]); err != nil {
				return nil, fmt.Errorf("history of %s on %s: %w", user, inst, err)
			}
			if ref.Spec.Fixed {
				p.Value = fixedText(p.Score, ref.Spec.Scale)
				p.Score = unscale(p.Score, ref.Spec.Scale)
			}
		}
		out[i] = p
	}
	return out, nil
}
