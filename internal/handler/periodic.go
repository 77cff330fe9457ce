package handler

import (
	"fmt"
	"strconv"
	"time"

	"github.com/varcade/statsctl/internal/event"
)

// Layered is a board with a period and/or a segment layer around its kind
// (docs/boards.md): it decides from the event which instances the event
// counts on (its period by event time, its segment by the split fields)
// and runs the kind rebound to each, the unsplit instance and the
// segment's, so one event updates both in one apply script. It adds the
// registry changes that list the board's instances and let the apply
// script refuse an expired or closed period and a segment beyond the max.
type Layered struct {
	Board  string
	Kind   Rebinder
	Period *Period // nil: all-time
	Split  *Split  // nil: unsplit
	// Standings is how many entries a closed period publishes (0 = none).
	Standings int
}

// NewLayered wraps kind in the layers; it returns a Stateful handler when
// the kind is one, so the engine reads every instance's rating state.
func NewLayered(l Layered) Handler {
	if _, ok := l.Kind.(Stateful); ok {
		return statefulLayered{l}
	}
	return l
}

// Where is one event's place on a layered board.
type Where struct {
	Period  string    // "" if not periodic
	Start   time.Time // the period's start (zero if not periodic)
	Segment string    // "" if not split
	Time    int64     // the event's time in ms (0 if not periodic)
}

// Place decides the event's period and segment, or why it has none.
func (l Layered) Place(ev event.Event) (Where, error) {
	var w Where
	if l.Period != nil {
		ms, ok := EventTime(ev)
		if !ok {
			return w, Invalidf(ReasonMissingTime, "board %s is %s: the event needs a time (a stream id, or a time/ts field in ms or RFC 3339)", l.Board, l.Period.Expr)
		}
		w.Time = ms
		w.Start = l.Period.Start(time.UnixMilli(ms))
		if w.Start.IsZero() {
			return w, Invalidf(ReasonMissingTime, "board %s: no period of %q holds the event's time %d", l.Board, l.Period.Expr, ms)
		}
		w.Period = l.Period.ID(w.Start)
	}
	if l.Split != nil {
		seg, err := l.Split.Segment(ev)
		if err != nil {
			return w, err
		}
		w.Segment = seg
	}
	return w, nil
}

// Handle runs the kind on the event's instances. An event the kind has no
// business with stays ignored even without a time or split field, and a
// Selective kind's (most of a stream) is not even placed.
func (l Layered) Handle(ev event.Event, cur Values) ([]Change, error) {
	if sel, ok := l.Kind.(Selective); ok && !sel.Counts(ev) {
		return nil, nil
	}
	w, err := l.Place(ev)
	if err != nil {
		// Only an event the board would count is refused for lacking a
		// place; the kind on the bare board says whether it would.
		ch, kerr := l.Kind.Rebind(l.Board).Handle(ev, cur)
		if kerr != nil {
			return nil, kerr
		}
		if len(ch) == 0 {
			return nil, nil
		}
		return nil, err
	}
	base := Instance(l.Board, w.Period, "")
	inner, err := l.Kind.Rebind(base).Handle(ev, cur)
	if err != nil || len(inner) == 0 {
		return nil, err
	}
	var start int64
	out := make([]Change, 0, 2+2*len(inner))
	if l.Period != nil {
		start = w.Start.UnixMilli()
		ms := w.Time
		horizon := l.Period.Shift(w.Start, l.Period.Keep).UnixMilli()
		cutoff := l.Period.Shift(w.Start, 1-l.Period.Keep).UnixMilli()
		out = append(out, Change{Op: PeriodOpen, Board: base, Field: l.Board, Num: float64(start),
			Str: strconv.FormatInt(horizon, 10) + " " + strconv.FormatInt(cutoff, 10) + " " + strconv.FormatInt(ms, 10)})
	} else if l.Split != nil {
		out = append(out, Change{Op: InstanceAdd, Board: base, Field: l.Board})
	}
	out = append(out, inner...)
	if l.Split == nil {
		return out, nil
	}
	segInst := Instance(l.Board, w.Period, w.Segment)
	seg, err := l.Kind.Rebind(segInst).Handle(ev, cur)
	if err != nil {
		return nil, err
	}
	max := int64(l.Split.Max)
	if l.Split.Values != nil {
		max = 0 // the allow-list is the bound, checked above
	}
	out = append(out, Change{Op: InstanceAdd, Board: segInst, Field: l.Board, Num: float64(start), Int: max})
	return append(out, seg...), nil
}

// Instances lists the instances an event counts on, unsplit first.
func (l Layered) Instances(ev event.Event) ([]string, error) {
	w, err := l.Place(ev)
	if err != nil {
		return nil, err
	}
	out := []string{Instance(l.Board, w.Period, "")}
	if l.Split != nil {
		out = append(out, Instance(l.Board, w.Period, w.Segment))
	}
	return out, nil
}

// statefulLayered is a Layered board of a stateful kind (Elo per segment,
// per period): it names the rating state of every instance it touches.
type statefulLayered struct{ Layered }

// Needs names the kind's state on each of the event's instances; an event
// a Selective kind does not count is not placed (see Handle).
func (s statefulLayered) Needs(ev event.Event) []Ref {
	if sel, ok := s.Kind.(Selective); ok && !sel.Counts(ev) {
		return nil
	}
	insts, err := s.Instances(ev)
	if err != nil {
		return nil // Handle refuses it, or ignores it
	}
	var out []Ref
	for _, in := range insts {
		if st, ok := s.Kind.Rebind(in).(Stateful); ok {
			out = append(out, st.Needs(ev)...)
		}
	}
	return out
}

// LayersOf returns the layers of a board's scorer, and false for a plain
// board (all-time, unsplit).
func LayersOf(h Handler) (Layered, bool) {
	switch l := h.(type) {
	case Layered:
		return l, true
	case statefulLayered:
		return l.Layered, true
	}
	return Layered{}, false
}

// Describe passes a stateful kind's description through (stats of Elo
// per segment show the kind's fields).
func (s statefulLayered) Describe(board, state string) [][2]string {
	if d, ok := s.Kind.(Describer); ok {
		return d.Describe(board, state)
	}
	return nil
}

// String shows the layers for `config check` and errors.
func (l Layered) String() string {
	s := l.Board
	if l.Period != nil {
		s += fmt.Sprintf(" period %s keep %d grace %v", l.Period, l.Period.Keep, l.Period.Grace)
	}
	if l.Split != nil {
		s += fmt.Sprintf(" split_by %v", l.Split.By)
	}
	return s
}

var (
	_ Handler  = Layered{}
	_ Stateful = statefulLayered{}
)
