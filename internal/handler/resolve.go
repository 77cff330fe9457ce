package handler

import (
	"fmt"
	"strings"
	"time"
)

// Choice is one board instance a query reads, as the resolver chose it
// from --board/--period/--segment (CLI) or board=/period=/segment= (v1).
type Choice struct {
	Board    string
	Period   string // "" for an all-time board
	Segment  string // "" for the unsplit instance
	Instance string // handler.Instance of the three: what store reads take
}

// ResolveError is a query naming a board, period or segment the product
// does not have. Code is stable for API clients (unknown_board,
// unknown_period, unknown_segment); Choices lists what exists or a hint.
type ResolveError struct {
	Code    string
	Msg     string
	Choices []string
}

func (e *ResolveError) Error() string { return e.Msg }

// Resolve picks the instance a query reads (docs/boards.md "Choosing an
// instance"): the product's first board by default, a periodic board's
// current period (by now, in the board's zone) unless period is
// "previous" or a period id, the unsplit instance unless segment is given
// ("region=eu" or "eu"). It is the one resolver of CLI and API.
func (p Product) Resolve(board, period, segment string, now time.Time) (Choice, error) {
	if board == "" {
		board = p.DefaultBoard()
	}
	var sc Handler
	names := make([]string, len(p.Boards))
	for i, b := range p.Boards {
		names[i] = b.Name
		if b.Name == board {
			sc = b.Scorer
		}
	}
	if sc == nil {
		return Choice{}, &ResolveError{Code: "unknown_board", Choices: names,
			Msg: fmt.Sprintf("the product has no board %.40q; boards: %s", board, strings.Join(names, ", "))}
	}
	c := Choice{Board: board}
	l, layered := LayersOf(sc)
	switch {
	case l.Period == nil && period != "":
		return Choice{}, &ResolveError{Code: "unknown_period",
			Msg: fmt.Sprintf("board %s is not periodic, so it takes no period (%.40q); leave the period out", board, period)}
	case l.Period != nil:
		cur := l.Period.Start(now)
		var start time.Time
		switch period {
		case "", "current":
			start = cur
		case "previous":
			start = l.Period.Prev(cur)
		default:
			s, err := l.Period.ParseID(period)
			if err != nil {
				return Choice{}, &ResolveError{Code: "unknown_period", Choices: []string{"current", "previous", l.Period.ID(cur)},
					Msg: fmt.Sprintf("board %s: %v; or use current or previous", board, err)}
			}
			start = s
		}
		c.Period = l.Period.ID(start)
	}
	if segment != "" {
		if !layered || l.Split == nil {
			return Choice{}, &ResolveError{Code: "unknown_segment",
				Msg: fmt.Sprintf("board %s is not split, so it has no segment %.40q; leave the segment out", board, segment)}
		}
		seg, err := l.Split.ParseSegment(segment)
		if err != nil {
			return Choice{}, &ResolveError{Code: "unknown_segment", Choices: l.Split.Values,
				Msg: fmt.Sprintf("board %s: %v", board, err)}
		}
		if l.Split.Values != nil && !containsStr(l.Split.Values, seg) {
			return Choice{}, &ResolveError{Code: "unknown_segment", Choices: l.Split.Values,
				Msg: fmt.Sprintf("board %s has no segment %q; segments: %s", board, seg, strings.Join(l.Split.Values, ", "))}
		}
		c.Segment = seg
	}
	c.Instance = Instance(c.Board, c.Period, c.Segment)
	return c, nil
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// Layers returns the layers of the named board, false if it has none.
func (p Product) Layers(board string) (Layered, bool) {
	for _, b := range p.Boards {
		if b.Name == board {
			return LayersOf(b.Scorer)
		}
	}
	return Layered{}, false
}
