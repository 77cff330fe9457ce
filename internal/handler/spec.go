package handler

import (
	"fmt"
	"strconv"
	"strings"
)

// Spec is how a board ranks and reads, for every kind of board: reads take
// it with the instance (store.BoardRef) so top N, pages, around, rank and
// the portal's top_ten all rank one board alike (docs/boards.md). The zero
// Spec is today's behaviour: higher is better, ties shared, integers.
type Spec struct {
	Order  Order
	Ties   Ties
	Format Format
	// Scale is the board's fixed point: scores are stored as the value
	// times 10^Scale, an integer, so sums of decimals are exact. Kinds other
	// than value keep 0.
	Scale int
	// Fixed: scores are scaled integers (value boards); reads turn them
	// back into values and exact text.
	Fixed bool
	// Meta lists the event fields an entry keeps (display_name, ...), at
	// most MaxMetaFields; reads return them with the entries.
	Meta []string
}

// Order says which end of a board is best.
type Order uint8

const (
	// Desc: higher is better (the default).
	Desc Order = iota
	// Asc: lower is better (lap times, strokes).
	Asc
)

// String is the config spelling.
func (o Order) String() string {
	if o == Asc {
		return "asc"
	}
	return "desc"
}

// Ties says how players with equal scores rank.
type Ties uint8

const (
	// Shared: equal scores share a rank, 1, 2, 2, 4 (the default).
	Shared Ties = iota
	// First: whoever reached the score first ranks higher, 1, 2, 3, 4.
	First
)

// String is the config spelling.
func (t Ties) String() string {
	if t == First {
		return "first"
	}
	return "shared"
}

// Format is how tables for people show a board's values; JSON and CSV keep
// the raw number.
type Format uint8

const (
	// FormatAuto: integers as they are, others to at most two decimals.
	FormatAuto Format = iota
	// FormatInteger: the value rounded to a whole number.
	FormatInteger
	// FormatDecimal: every decimal the board keeps (its scale).
	FormatDecimal
	// FormatDurationMs: a value in milliseconds as m:ss.mmm (h:mm:ss.mmm
	// from an hour).
	FormatDurationMs
	// FormatDurationS: a value in seconds as m:ss (h:mm:ss from an hour),
	// decimals kept.
	FormatDurationS
)

// Formats lists the config spellings, in order.
var Formats = []string{"auto", "integer", "decimal", "duration_ms", "duration_s"}

// String is the config spelling.
func (f Format) String() string {
	if int(f) < len(Formats) {
		return Formats[f]
	}
	return "auto"
}

// ParseFormat reads a config spelling.
func ParseFormat(s string) (Format, bool) {
	for i, n := range Formats {
		if n == s {
			return Format(i), true
		}
	}
	return FormatAuto, false
}

// MaxExact is the largest stored (scaled) magnitude kept exactly: every
// integer up to 2^53-1 is a double, so Redis's sorted-set scores, its
// ZINCRBY and Lua's numbers all hold it without rounding.
const MaxExact = 1<<53 - 1

// MaxScale bounds a board's decimal places: 10^9 still leaves seven whole
// digits (9007199.254740991) in the exact range.
const MaxScale = 9

// ParseFixed reads a decimal text ("-12", "62.345") as an integer scaled by
// 10^scale, exactly: no float is involved. It refuses other spellings
// (exponents, "+", spaces, hex), more decimals than the board keeps, and
// magnitudes beyond MaxExact (outOfRange true).
func ParseFixed(s string, scale int) (n int64, outOfRange bool, err error) {
	t := s
	neg := strings.HasPrefix(t, "-")
	if neg {
		t = t[1:]
	}
	whole, frac, hasDot := strings.Cut(t, ".")
	if whole == "" || (hasDot && frac == "") || !digits(whole) || !digits(frac) {
		return 0, false, fmt.Errorf("%.30q is not a decimal number (digits, one optional '.', optional leading '-')", s)
	}
	if len(frac) > scale {
		frac = strings.TrimRight(frac, "0")
		if len(frac) > scale {
			return 0, false, fmt.Errorf("%.30q has %d decimals; this board keeps %d (scale: %d)", s, len(frac), scale, scale)
		}
	}
	whole = strings.TrimLeft(whole, "0")
	text := whole + frac + strings.Repeat("0", scale-len(frac))
	text = strings.TrimLeft(text, "0")
	if len(text) > 16 {
		return 0, true, nil
	}
	if text == "" {
		return 0, false, nil
	}
	v, perr := strconv.ParseInt(text, 10, 64)
	if perr != nil || v > MaxExact {
		return 0, true, nil
	}
	if neg {
		v = -v
	}
	return v, false, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatFixed writes a scaled integer back as exact decimal text, trailing
// zeros of the fraction dropped ("62.345", "-0.5", "12").
func FormatFixed(n int64, scale int) string {
	s := strconv.FormatInt(n, 10)
	if scale == 0 {
		return s
	}
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	whole, frac := s[:len(s)-scale], strings.TrimRight(s[len(s)-scale:], "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}

// Kind names a board's scorer as the config spells it (wins, elo,
// glicko2, value), for listings; "custom" for a scorer from code.
func Kind(h Handler) string {
	switch h.(type) {
	case Wins:
		return "wins"
	case Elo:
		return "elo"
	case Glicko2:
		return "glicko2"
	case Value:
		return "value"
	}
	return "custom"
}
