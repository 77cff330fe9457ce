package e2etest

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/gen"
)

// Entry is one stream entry as a test writes it: field, value, ...
type Entry []string

// GenEntries turns a generated stream into stream entries. Lines that are
// not even JSON become entries with a single "raw" field (no product_id),
// which is what a broken producer would XADD.
func GenEntries(t testing.TB, o gen.Options) []Entry {
	t.Helper()
	var out []Entry
	err := gen.Each(o, func(f gen.Fields, raw string, _ bool) error {
		if raw != "" {
			out = append(out, Entry{"raw", raw})
			return nil
		}
		out = append(out, Entry(append([]string(nil), f...)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// GenEntriesN is GenEntries for n entries: it sizes the number of games
// from a sample (gen.GamesFor; o.Games is ignored) and cuts the stream at
// n, so a benchmark of "1,000,000 events" drains exactly that many.
func GenEntriesN(t testing.TB, o gen.Options, n int) []Entry {
	t.Helper()
	games, err := gen.GamesFor(o, n)
	if err != nil {
		t.Fatal(err)
	}
	o.Games = games
	es := GenEntries(t, o)
	return es[:min(len(es), n)]
}

// ExtraBad are entries no generator line covers: non-UTF-8, an absurd size,
// a product id that cannot be a key.
func ExtraBad() []Entry {
	return []Entry{
		{"product_id", "exrps", "game_id", "gx1", "type", "game_over", "winner_id", "u1\xff\xfe", "loser_id", "u2"},
		{"product_id", "exrps", "game_id", "gx2", "type", "game_over", "winner_id", "u1", "loser_id", strings.Repeat("x", 5000)},
		{"product_id", "ex{rps}", "game_id", "gx3", "type", "game_over", "winner_id", "u1", "loser_id", "u2"},
	}
}

// EntryOf turns a stream entry read back from Redis into an Entry (fields
// sorted, which the model does not care about).
func EntryOf(m redis.XMessage) Entry {
	keys := make([]string, 0, len(m.Values))
	for k := range m.Values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	e := make(Entry, 0, 2*len(keys))
	for _, k := range keys {
		e = append(e, k, fmt.Sprint(m.Values[k]))
	}
	return e
}

// XAddAll appends entries in pipelined chunks and returns their ids.
func XAddAll(ctx context.Context, t testing.TB, rdb redis.UniversalClient, stream string, es []Entry) []string {
	t.Helper()
	ids := make([]string, 0, len(es))
	for start := 0; start < len(es); start += 2000 {
		end := min(start+2000, len(es))
		cmds := make([]*redis.StringCmd, 0, end-start)
		_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, e := range es[start:end] {
				cmds = append(cmds, p.XAdd(ctx, XAddArgs(stream, e)))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("xadd: %v", err)
		}
		for _, c := range cmds {
			ids = append(ids, c.Val())
		}
	}
	return ids
}

// XAddArgs is the XADD of one entry.
func XAddArgs(stream string, e Entry) *redis.XAddArgs {
	vals := make([]any, len(e))
	for i, s := range e {
		vals[i] = s
	}
	return &redis.XAddArgs{Stream: stream, Values: vals}
}

// ReadStream reads a whole stream back as entries, in stream order.
func ReadStream(ctx context.Context, t testing.TB, rdb redis.UniversalClient, stream string) []Entry {
	t.Helper()
	var out []Entry
	from := "-"
	for {
		ms, err := rdb.XRangeN(ctx, stream, from, "+", 5000).Result()
		if err != nil {
			t.Fatalf("read back %s: %v", stream, err)
		}
		for _, m := range ms {
			out = append(out, EntryOf(m))
		}
		if len(ms) < 5000 {
			return out
		}
		from = "(" + ms[len(ms)-1].ID
	}
}

// GroupPending is the group's pending count (-1 if the group is unknown).
func GroupPending(ctx context.Context, rdb redis.UniversalClient, stream, group string) int64 {
	gs, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return -1
	}
	for _, g := range gs {
		if g.Name == group {
			return g.Pending
		}
	}
	return -1
}
