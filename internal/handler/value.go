package handler

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/varcade/statsctl/internal/event"
)

// Value boards (issue 11): a score taken from an event field and kept by an
// operator, with bounds, exact fixed-point arithmetic, first-to-reach ties
// and a few fields of metadata per entry. The scorer stays pure: every
// comparison with the stored score (best, min, max, decr's floor, max_change
// and the tie-break) is an apply-script op (internal/store/apply.lua), so a
// value board needs no read before the write and takes the fast path.

// Change ops of value boards. They start at 32 so other new ops can take
// the numbers after StateSet without clashing.
const (
	// ScoreMax sets the player's score on Board to Str (a scaled integer)
	// if they have none or a lower one (best on desc boards, max).
	ScoreMax Op = 32 + iota
	// ScoreMin sets the score to Str if none or higher (best on asc, min).
	ScoreMin
	// ScoreAddExact adds Str (a scaled integer) to the score; the result
	// must stay within ±MaxExact, and, when Field is not "", is floored at
	// Field (decr's minimum).
	ScoreAddExact
	// ScoreCheck refuses the event (out_of_range) when the player has a
	// score and Str differs from it by more than Field (max_change). It
	// writes nothing, so it goes before the write it guards.
	ScoreCheck
	// ScoreTie records when the player reached their current score on a
	// ties: first board: Str is the fixed-width order prefix (TiePrefix),
	// Field the mode ("a"/"d" = the board's order, then "k" to keep the
	// earliest of equal scores, "r" to stamp any change), Int the event's
	// value (under "k" only an event whose value equals the stored score
	// can move its stamp earlier). It goes after the board's write.
	ScoreTie
	// MetaSet sets the player's entry metadata on Board to Str (compact
	// JSON of the kept fields).
	MetaSet
	// StatMax sets stat Field to Str (a scaled integer) when absent or
	// lower; StatMin when absent or higher.
	StatMax
	StatMin
	// StatAddExact adds Str to stat Field within ±MaxExact.
	StatAddExact
	// StatDistinct adds member Str to the player's distinct set for stat
	// Field and keeps the stat at the set's size, refusing (out_of_range)
	// a new member beyond Int members.
	StatDistinct
)

// ValueOp is what a value board does with a new value.
type ValueOp uint8

// The operators of value boards (Nakama's best/set/incr/decr, PlayFab's
// last/min/max/sum).
const (
	OpBest ValueOp = iota + 1 // keep the better of old and new for the board's order
	OpLast                    // set
	OpSum                     // add (incr is the same)
	OpDecr                    // subtract, floored at Floor
	OpMin                     // keep the lower
	OpMax                     // keep the higher
)

// ValueOps maps config spellings to operators.
var ValueOps = map[string]ValueOp{"best": OpBest, "last": OpLast, "set": OpLast, "sum": OpSum, "incr": OpSum, "decr": OpDecr, "min": OpMin, "max": OpMax}

// String is the canonical config spelling.
func (o ValueOp) String() string {
	switch o {
	case OpBest:
		return "best"
	case OpLast:
		return "last"
	case OpSum:
		return "sum"
	case OpDecr:
		return "decr"
	case OpMin:
		return "min"
	case OpMax:
		return "max"
	}
	return "?"
}

// Metadata bounds: a board keeps at most MaxMetaFields fields per entry,
// each value at most MaxMetaValue bytes, so a hostile event cannot grow an
// entry without bound.
const (
	MaxMetaFields = 8
	MaxMetaValue  = 64
)

// Bounds limit the values an event may carry (scaled integers); Has* false
// means unbounded (the exact range still holds).
type Bounds struct {
	Min, Max       int64
	HasMin, HasMax bool
	// MaxChange > 0 bounds one event's change: the value itself for
	// sum/decr, the distance from the stored score for the others.
	MaxChange int64
}

// Check returns an out_of_range verdict for v outside the bounds.
func (b Bounds) Check(what, field, text string, v int64, scale int) error {
	switch {
	case b.HasMin && v < b.Min:
		return Invalidf(ReasonOutOfRange, "%s: %s %s is below the minimum %s", what, field, text, FormatFixed(b.Min, scale))
	case b.HasMax && v > b.Max:
		return Invalidf(ReasonOutOfRange, "%s: %s %s is above the maximum %s", what, field, text, FormatFixed(b.Max, scale))
	}
	return nil
}

// Value is the value-board scorer: it matches events like a stats rule,
// reads the player from Player and the value from Field, and keeps it on
// Board by Op.
type Value struct {
	Board  string
	Match  map[string]string
	Player string
	Field  string
	Op     ValueOp
	Order  Order
	Ties   Ties
	Scale  int
	Bounds Bounds
	Floor  int64 // decr's minimum (scaled)
	Meta   []string
}

// Rebind points the value scorer, its tie-break and metadata at another
// instance of its board.
func (s Value) Rebind(instance string) Handler { s.Board = instance; return s }

var _ Rebinder = Value{}

func (s Value) matches(ev event.Event) bool {
	for f, v := range s.Match {
		if ev.Fields[f] != v {
			return false
		}
	}
	return true
}

// Handle turns a matching event into the board's changes; others are not
// its business.
func (s Value) Handle(ev event.Event, _ Values) ([]Change, error) {
	if !s.matches(ev) {
		return nil, nil
	}
	what := "board " + s.Board
	user, ok := ev.Get(s.Player)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "%s: event without %s", what, s.Player)
	}
	if err := event.CheckUser(user); err != nil {
		return nil, Invalidf(ReasonBadUser, "%s: %v", s.Player, err)
	}
	text, ok := ev.Get(s.Field)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "%s: event without %s", what, s.Field)
	}
	v, err := parseValue(what, s.Field, text, s.Scale)
	if err != nil {
		return nil, err
	}
	if err := s.Bounds.Check(what, s.Field, text, v, s.Scale); err != nil {
		return nil, err
	}
	num := strconv.FormatInt(v, 10)
	maxc := strconv.FormatInt(s.Bounds.MaxChange, 10)
	out := make([]Change, 0, 4)
	switch s.Op {
	case OpSum, OpDecr:
		if s.Bounds.MaxChange > 0 && (v > s.Bounds.MaxChange || v < -s.Bounds.MaxChange) {
			return nil, Invalidf(ReasonOutOfRange, "%s: %s %s changes the score by more than max_change %s", what, s.Field, text, FormatFixed(s.Bounds.MaxChange, s.Scale))
		}
		c := Change{Op: ScoreAddExact, Board: s.Board, User: user, Str: num}
		if s.Op == OpDecr {
			c.Str = strconv.FormatInt(-v, 10)
			c.Field = strconv.FormatInt(s.Floor, 10)
		}
		out = append(out, c)
	default:
		if s.Bounds.MaxChange > 0 {
			out = append(out, Change{Op: ScoreCheck, Board: s.Board, User: user, Str: num, Field: maxc})
		}
		switch s.keepOp() {
		case ScoreMax:
			out = append(out, Change{Op: ScoreMax, Board: s.Board, User: user, Str: num})
		case ScoreMin:
			out = append(out, Change{Op: ScoreMin, Board: s.Board, User: user, Str: num})
		default:
			out = append(out, Change{Op: ScoreSet, Board: s.Board, User: user, Num: float64(v)})
		}
	}
	if s.Ties == First {
		mode := "d"
		if s.Order == Asc {
			mode = "a"
		}
		if s.Op == OpBest || s.Op == OpMin || s.Op == OpMax {
			mode += "k"
		} else {
			mode += "r"
		}
		out = append(out, Change{Op: ScoreTie, Board: s.Board, User: user, Str: TiePrefix(ev, s.Order), Field: mode, Int: v})
	}
	if len(s.Meta) > 0 {
		m, err := metaJSON(what, ev, s.Meta)
		if err != nil {
			return nil, err
		}
		if m != "" {
			out = append(out, Change{Op: MetaSet, Board: s.Board, User: user, Str: m})
		}
	}
	return out, nil
}

// keepOp is the compare-and-set op of best/min/max, or ScoreSet for last.
func (s Value) keepOp() Op {
	switch {
	case s.Op == OpMax, s.Op == OpBest && s.Order == Desc:
		return ScoreMax
	case s.Op == OpMin, s.Op == OpBest && s.Order == Asc:
		return ScoreMin
	}
	return ScoreSet
}

func parseValue(what, field, text string, scale int) (int64, error) {
	v, oor, err := ParseFixed(text, scale)
	if err != nil {
		return 0, Invalidf(ReasonMalformed, "%s: %s %v", what, field, err)
	}
	if oor {
		return 0, Invalidf(ReasonOutOfRange, "%s: %s %.30q is beyond the exact range ±%s", what, field, text, FormatFixed(MaxExact, scale))
	}
	return v, nil
}

// metaJSON is the kept fields of ev as compact JSON with sorted keys, ""
// when the event carries none of them. A value over MaxMetaValue bytes is
// refused (malformed) rather than cut, so what is shown is what was sent.
func metaJSON(what string, ev event.Event, fields []string) (string, error) {
	m := make(map[string]string, len(fields))
	for _, f := range fields {
		v, ok := ev.Get(f)
		if !ok {
			continue
		}
		if len(v) > MaxMetaValue || !utf8.ValidString(v) {
			return "", Invalidf(ReasonMalformed, "%s: %s is %d bytes; entry metadata keeps at most %d", what, f, len(v), MaxMetaValue)
		}
		m[f] = v
	}
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m) // map keys are sorted: the same event gives the same bytes
	if err != nil {
		return "", fmt.Errorf("%s: metadata: %w", what, err)
	}
	return string(b), nil
}

// TieWidth is the length of TiePrefix's prefix, including its ':'.
const TieWidth = 15 + 20 + 1

const (
	untimed = 999_999_999_999_999 // 15 digits: later than any event time
	maxSeq  = ^uint64(0)
)

// TiePrefix orders equal scores on a ties: first board: the event time (ms,
// EventTime; an untimed event counts as later than every timed one), then
// the stream id's sequence number, else the event's line in its file, as
// fixed-width decimal digits. On desc boards (read highest member first
// among equal scores) both are inverted, so on either order the earlier
// event's prefix comes first in read order.
func TiePrefix(ev event.Event, order Order) string {
	ms, ok := EventTime(ev)
	if !ok || ms > untimed || ms < 0 {
		ms = untimed
	}
	seq := uint64(0)
	if ev.ID != "" {
		if a, b, cut := strings.Cut(ev.ID, "-"); cut && a != "" {
			if _, err := strconv.ParseInt(a, 10, 64); err == nil {
				if n, err := strconv.ParseUint(b, 10, 64); err == nil {
					seq = n
				}
			}
		}
	}
	if seq == 0 && ev.Src.Line > 0 {
		seq = uint64(ev.Src.Line)
	}
	if order == Desc {
		ms, seq = untimed-ms, maxSeq-seq
	}
	return fmt.Sprintf("%015d%020d:", ms, seq)
}

// ValueRule is a stats rule that takes a value from the event: add it,
// keep its max, min or last, or count the distinct values seen (bounded by
// MaxDistinct). Values are fixed point like value boards (Scale), stored as
// the scaled integer, and bounded by Bounds.
type ValueRule struct {
	Match  map[string]string
	Player string
	Field  string
	Stat   string
	Op     string // add | max | min | last | distinct
	Scale  int
	Bounds Bounds
	// MaxDistinct bounds a distinct count's set (config default 1000).
	MaxDistinct int64
}

// Handle applies the rule to a matching event; others are not its business.
func (r ValueRule) Handle(ev event.Event, _ Values) ([]Change, error) {
	for f, v := range r.Match {
		if ev.Fields[f] != v {
			return nil, nil
		}
	}
	what := "stat " + r.Stat
	user, ok := ev.Get(r.Player)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "%s: event without %s", what, r.Player)
	}
	if err := event.CheckUser(user); err != nil {
		return nil, Invalidf(ReasonBadUser, "%s: %v", r.Player, err)
	}
	text, ok := ev.Get(r.Field)
	if !ok {
		return nil, Invalidf(ReasonMissingField, "%s: event without %s", what, r.Field)
	}
	if r.Op == "distinct" {
		if len(text) > MaxMetaValue {
			return nil, Invalidf(ReasonMalformed, "%s: %s is %d bytes; a distinct count keeps values of at most %d", what, r.Field, len(text), MaxMetaValue)
		}
		return []Change{{Op: StatDistinct, User: user, Field: r.Stat, Str: text, Int: r.MaxDistinct}}, nil
	}
	v, err := parseValue(what, r.Field, text, r.Scale)
	if err != nil {
		return nil, err
	}
	if err := r.Bounds.Check(what, r.Field, text, v, r.Scale); err != nil {
		return nil, err
	}
	num := strconv.FormatInt(v, 10)
	switch r.Op {
	case "add":
		if r.Bounds.MaxChange > 0 && (v > r.Bounds.MaxChange || v < -r.Bounds.MaxChange) {
			return nil, Invalidf(ReasonOutOfRange, "%s: %s %s is more than max_change %s", what, r.Field, text, FormatFixed(r.Bounds.MaxChange, r.Scale))
		}
		return []Change{{Op: StatAddExact, User: user, Field: r.Stat, Str: num}}, nil
	case "max":
		return []Change{{Op: StatMax, User: user, Field: r.Stat, Str: num}}, nil
	case "min":
		return []Change{{Op: StatMin, User: user, Field: r.Stat, Str: num}}, nil
	default:
		return []Change{{Op: StatSet, User: user, Field: r.Stat, Str: num}}, nil
	}
}

// ValueStats lists the stats the value rules of a product write, sorted,
// for tools that show them unscaled.
func ValueStats(p Product) map[string]int {
	out := map[string]int{}
	for _, h := range p.Stats {
		if r, ok := h.(ValueRule); ok && r.Op != "distinct" {
			out[r.Stat] = r.Scale
		}
	}
	return out
}
