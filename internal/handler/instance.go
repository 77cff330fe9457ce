package handler

import "strings"

// Rebinder is implemented by every scorer, so the period and segment layers
// (docs/boards.md) can point one configured kind at another instance of its
// board without knowing what the kind keeps.
type Rebinder interface {
	Rebind(instance string) Handler
}

// Instance names where one instance of a board keeps its data: the board's
// name, then "@" and the period id if the board is periodic, then "~" and
// the segment if it is split. Board names, period ids and segment values
// never hold '@' or '~' (config checks them), so two instances never share
// a key. The result is what Change.Board and store.Keys.Board take.
func Instance(board, period, segment string) string {
	var b strings.Builder
	b.Grow(len(board) + len(period) + len(segment) + 2)
	b.WriteString(board)
	if period != "" {
		b.WriteByte('@')
		b.WriteString(period)
	}
	if segment != "" {
		b.WriteByte('~')
		b.WriteString(segment)
	}
	return b.String()
}

// ParseInstance splits an instance key part back into board, period and
// segment, for tools that list a product's keys.
func ParseInstance(instance string) (board, period, segment string) {
	rest, segment, _ := strings.Cut(instance, "~")
	board, period, _ = strings.Cut(rest, "@")
	return board, period, segment
}

// Rebind points the wins scorer at another instance of its board.
func (s Wins) Rebind(instance string) Handler { s.Board = instance; return s }

// Rebind points the Elo scorer, and the rating state it reads, at another
// instance of its board.
func (s Elo) Rebind(instance string) Handler { s.Board = instance; return s }

// Rebind points the Glicko-2 scorer, and the rating state it reads, at
// another instance of its board.
func (s Glicko2) Rebind(instance string) Handler { s.Board = instance; return s }

var (
	_ Rebinder = Wins{}
	_ Rebinder = Elo{}
	_ Rebinder = Glicko2{}
)
