package handler

import "github.com/varcade/statsctl/internal/event"

// Selective is implemented by a kind that can tell cheaply, without
// parsing or scoring, that an event is none of its business. The period
// and segment layers (Layered) ask it first, so the events most of a
// stream is made of (no result, no matching value) cost a periodic or
// split board what they cost an all-time one: no event time, period or
// segment is worked out for them. Counts may say true of an event Handle
// then ignores; it says false only of events Handle returns no change and
// no error for.
type Selective interface {
	Counts(ev event.Event) bool
}

// IsResult reports whether ev is a result ParseResult reads (game_over or
// match_over): the only events the result kinds count.
func IsResult(ev event.Event) bool {
	t := ev.Type()
	return t == event.TypeGameOver || t == TypeMatchOver
}

// Counts is true of results only.
func (Wins) Counts(ev event.Event) bool { return IsResult(ev) }

// Counts is true of results only.
func (Elo) Counts(ev event.Event) bool { return IsResult(ev) }

// Counts is true of results only.
func (Glicko2) Counts(ev event.Event) bool { return IsResult(ev) }

// Counts is true of results only.
func (OpenSkill) Counts(ev event.Event) bool { return IsResult(ev) }

// Counts is true of the events the board's match: selects.
func (s Value) Counts(ev event.Event) bool { return s.matches(ev) }

var (
	_ Selective = Wins{}
	_ Selective = Elo{}
	_ Selective = Glicko2{}
	_ Selective = OpenSkill{}
	_ Selective = Value{}
)
