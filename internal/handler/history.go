package handler

import (
	"time"

	"github.com/varcade/statsctl/internal/event"
)

// History is a board's `history:` setting: keep, per player and board
// instance, the score after each game, at most one point per Every (0:
// every game) and at most Points of them (the oldest go first). The zero
// value keeps none. Bounds travel in every HistoryPoint change so the apply
// script, which records the point, can trim in the same atomic run.
type History struct {
	Points int
	Every  time.Duration
}

// History bounds config enforces: a player's history is at most
// MaxHistoryPoints points per board instance.
const (
	DefaultHistoryPoints = 100
	MaxHistoryPoints     = 10000
)

// On reports whether the board keeps history.
func (h History) On() bool { return h.Points > 0 }

// HistoryPoints is how a board's history is asked for, purely: for every
// player whose score on an instance of the board the board's changes touch
// (in the order first touched), one HistoryPoint change after them, saying
// "record the score of this player on this instance at the event's time".
// The store records the score the event's own writes left, so increments
// (ZINCRBY) get their result without the handler knowing the old score. An
// event with no time (handler.EventTime) gets Int 0: the store then uses
// its own clock, the only time such an event has.
func (h History) HistoryPoints(ev event.Event, changes []Change) []Change {
	if !h.On() {
		return nil
	}
	at, _ := EventTime(ev)
	type ref struct{ board, user string }
	seen := map[ref]bool{}
	var out []Change
	for _, c := range changes {
		switch c.Op {
		case ScoreAdd, ScoreEnsure, ScoreSet:
		default:
			continue
		}
		r := ref{c.Board, c.User}
		if seen[r] {
			continue
		}
		seen[r] = true
		out = append(out, Change{Op: HistoryPoint, Board: c.Board, User: c.User, Int: at, History: h})
	}
	return out
}

// KeepsHistory reports whether the product's board keeps history, so the
// CLI and the API refuse a history query alike.
func (p Product) KeepsHistory(board string) bool {
	for _, b := range p.Boards {
		if b.Name == board {
			return b.History.On()
		}
	}
	return false
}
