package store

import (
	"strconv"

	"github.com/varcade/statsctl/internal/handler"
)

// encodeValue lays out one change of a value board or value stat as the
// apply script takes a change: op and key index as one string, member,
// value (see apply.lua's header); ok is false for an op it does not know.
func (s *Store) encodeValue(product string, c handler.Change, keyIdx, scratchIdx func(string) string) ([]any, bool) {
	board := func() string { return scratchIdx(s.keys.Board(product, c.Board)) }
	switch c.Op {
	case handler.ScoreMax:
		return []any{opScoreMax + board(), c.User, c.Str}, true
	case handler.ScoreMin:
		return []any{opScoreMin + board(), c.User, c.Str}, true
	case handler.ScoreAddExact:
		v := c.Str
		if c.Field != "" {
			v += "|" + c.Field
		}
		return []any{opScoreExact + board(), c.User, v}, true
	case handler.ScoreCheck:
		return []any{opScoreCheck + board(), c.User, c.Str + "|" + c.Field}, true
	case handler.ScoreTie:
		v := c.Field + "|" + board() + "|" + scratchIdx(s.keys.TieOf(product, c.Board)) + "|" + strconv.FormatInt(c.Int, 10) + "|" + c.Str
		return []any{opScoreTie + scratchIdx(s.keys.TieSet(product, c.Board)), c.User, v}, true
	case handler.MetaSet:
		return []any{opHashSet + scratchIdx(s.keys.Meta(product, c.Board)), c.User, c.Str}, true
	case handler.StatMax:
		return []any{opHashMax + keyIdx(s.keys.Stats(product, c.User)), c.Field, c.Str}, true
	case handler.StatMin:
		return []any{opHashMin + keyIdx(s.keys.Stats(product, c.User)), c.Field, c.Str}, true
	case handler.StatAddExact:
		return []any{opHashAdd + keyIdx(s.keys.Stats(product, c.User)), c.Field, c.Str}, true
	case handler.StatDistinct:
		v := keyIdx(s.keys.Stats(product, c.User)) + "|" + strconv.FormatInt(c.Int, 10) + "|" + c.Field
		return []any{opDistinct + keyIdx(s.keys.Distinct(product, c.User, c.Field)), c.Str, v}, true
	}
	return nil, false
}
