package store

import (
	"context"
	"strings"

	"github.com/redis/go-redis/v9"
)

// IsWrongType reports whether err is Redis's WRONGTYPE: a key statsctl
// reads holds another type of value. That is damaged data, which no retry
// repairs, so callers report it as permanent rather than "unavailable".
func IsWrongType(err error) bool {
	return err != nil && strings.Contains(err.Error(), "WRONGTYPE")
}

// WrongTypeKey finds which of the keys a read of product (and user, when
// not "") touches holds the wrong type, so an operator is told which key to
// fix or delete. It returns "" when none does (the damage was elsewhere, or
// has been repaired meanwhile). It costs one pipelined TYPE per key and is
// meant for the error path only.
func (s *Store) WrongTypeKey(ctx context.Context, product, user string, boards []string) string {
	type want struct{ key, typ string }
	var keys []want
	if product != "" {
		if user != "" {
			keys = append(keys, want{s.keys.Stats(product, user), "hash"})
		}
		for _, b := range boards {
			keys = append(keys, want{s.keys.Board(product, b), "zset"}, want{s.keys.RatingState(product, b), "hash"})
		}
	}
	keys = append(keys, want{s.keys.Products(), "set"})
	cmds := make([]*redis.StatusCmd, len(keys))
	_, _ = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			cmds[i] = p.Type(ctx, k.key)
		}
		return nil
	})
	for i, k := range keys {
		if t, err := cmds[i].Result(); err == nil && t != "none" && t != k.typ {
			return k.key
		}
	}
	return ""
}
