package store

import (
	"context"
	_ "embed"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/testredis"
)

// applyRefSrc is apply.lua as it was before its hot path was rewritten for
// the Lua VM (issue 15): the reference the rewrite must match reply for
// reply and byte for byte, on both servers. It is never run in production.
//
//go:embed testdata/apply_ref.lua
var applyRefSrc string

// TestApplyMatchesReference runs random batches in apply.lua's wire format
// through the reference script and the current one, each on its own
// database of the same server, from the same poisoned state: keys of the
// wrong type, fields that are not canonical integers, scores at the edge
// of the float range, counters at int64's edge, banned players, closed
// periods, repeated event ids, strict events and guards. After every batch
// both replies and both databases must be identical. APPLY_REF_BATCHES
// sets how many batches per server (default 1,500).
func TestApplyMatchesReference(t *testing.T) {
	n := 1500
	if v, err := strconv.Atoi(os.Getenv("APPLY_REF_BATCHES")); err == nil && v > 0 {
		n = v
	}
	t.Run("redis-server", func(t *testing.T) {
		s := testredis.Start(t)
		compareWithReference(t, s.Addr, n)
	})
	t.Run("miniredis", func(t *testing.T) {
		compareWithReference(t, miniredis.RunT(t).Addr(), n)
	})
}

func compareWithReference(t *testing.T, addr string, n int) {
	ctx := context.Background()
	// RESP2, so that ZRANGE WITHSCORES gives the scores as Redis formats them.
	ref := redis.NewClient(&redis.Options{Addr: addr, DB: 0, Protocol: 2})
	cur := redis.NewClient(&redis.Options{Addr: addr, DB: 1, Protocol: 2})
	t.Cleanup(func() { ref.Close(); cur.Close() })
	refScript, curScript := redis.NewScript(applyRefSrc), redis.NewScript(applySrc)
	rng := rand.New(rand.NewSource(15))
	g := &refGen{rng: rng}
	var replies []string
	applied := 0
	var before string // the state the next batch starts from, for the failure messages
	for b := 0; b < n; b++ {
		if b%100 == 0 {
			// A fresh, freshly poisoned state now and then, so every
			// poison meets every op, on keys no earlier batch has mended.
			poison := g.poison()
			for _, c := range []*redis.Client{ref, cur} {
				if err := c.FlushDB(ctx).Err(); err != nil {
					t.Fatal(err)
				}
				for _, cmd := range poison {
					if err := c.Do(ctx, cmd...).Err(); err != nil {
						t.Fatalf("poison %v: %v", cmd, err)
					}
				}
			}
			before = rawDump(t, ref)
		}
		argv, wire := g.batch()
		rv, rerr := refScript.Run(ctx, ref, refKeys, argv...).Result()
		cv, cerr := curScript.Run(ctx, cur, refKeys, wire...).Result()
		want, got := fmt.Sprintf("%v | %v", rv, rerr), fmt.Sprintf("%v | %v", cv, cerr)
		if want != got {
			t.Fatalf("batch %d: reply %s, the reference replies %s\nargv %v\n%s", b, got, want, argv, before)
		}
		rs, cs := rawDump(t, ref), rawDump(t, cur)
		if rs != cs {
			t.Fatalf("batch %d: state differs from the reference's\nargv %v\nbefore:\n%s\nreference:\n%s\ncurrent:\n%s", b, argv, before, rs, cs)
		}
		before = rs
		replies = append(replies, want)
		if r, ok := rv.([]any); ok && len(r) > 0 {
			if a, ok := r[0].(int64); ok && a > 0 {
				applied++
			}
		}
	}
	// The batches must have reached the paths that matter, or matching the
	// reference proves little.
	all := strings.Join(replies, "\n")
	for _, want := range []string{"WRONGTYPE", "not an integer", "overflow", "OUT_OF_RANGE", "statsctl banned",
		"period_closed", "segment_limit", "[-1]", "[-2 "} {
		if !strings.Contains(all, want) {
			t.Errorf("no batch produced %q: the generator no longer reaches that path", want)
		}
	}
	if applied < n/4 {
		t.Errorf("only %d of %d batches applied an event", applied, n)
	}
}

// refKeys are the keys every generated batch sends; ARGV names them by
// index, as encode does (1-based).
var refKeys = []string{
	"b1", "b2", // 1, 2: boards (sorted sets)
	"s:u1", "s:u2", "s:u3", // 3-5: stats hashes
	"m1", "m2", // 6, 7: applied-event markers
	"ban",        // 8: the banned players
	"rt",         // 9: rating states
	"h:u1",       // 10: a history
	"reg",        // 11: a period and instance registry
	"closed",     // 12: closed periods
	"tie", "tuf", // 13, 14: a ties: first board's tie set and hash
	"d:u1", // 15: a distinct-values set
	"md",   // 16: metadata
}

// refGen draws batches and poisons from one seeded source.
type refGen struct {
	rng *rand.Rand
}

func (g *refGen) pick(vals ...string) string { return vals[g.rng.Intn(len(vals))] }

// poison is a random selection of hostile starting states, as commands.
func (g *refGen) poison() [][]any {
	all := [][]any{
		{"SET", "s:u2", "not a hash"},
		{"SET", "b2", "not a zset"},
		{"RPUSH", "m2", "not a hash"},
		{"HSET", "s:u1", "games", "007", "wins", "1.5", "f3", "9223372036854775806"},
		{"HSET", "s:u3", "games", " 5", "wins", "-0", "f3", "-9223372036854775807"},
		{"HSET", "s:u1", "best", "9007199254740991", "low", "abc", "losses", "9007199254740991"},
		{"HSET", "s:u3", "losses", "-0", "wins", "+1"},
		{"ZADD", "b1", "-0", "u1"},
		{"ZADD", "b1", "1e308", "u3", "-1e308", "u2"},
		{"ZADD", "b1", "9007199254740990", "u1"},
		{"HSET", "ban", "u3", "1"},
		{"HSET", "rt", "u1", "state1"},
		{"HSET", "closed", "p2", "1"},
		{"SET", "d:u1", "not a set"},
		{"HSET", "m1", "e1", "1", "e2", "1"},
		{"ZADD", "reg", "900", "w@p0"},
		{"SET", "x:lb:w@p0", "old period board"},
		{"HSET", "tuf", "u1", "0000000000003|u1"},
		{"ZADD", "tie", "4", "0000000000003|u1"},
	}
	var out [][]any
	for _, c := range all {
		if g.rng.Intn(10) < 3 {
			out = append(out, c)
		}
	}
	return out
}

// batch is one random batch twice: in the reference's wire format (an
// event's marker key index, id, strict flag and number of changes, then
// four arguments a change) and in the current one (apply.lua's header),
// written here from the same draws, apart from the encoder.
func (g *refGen) batch() (ref, cur []any) {
	ttl := g.pick("0", "0", "100")
	args := []any{ttl}
	// Guards, now and then: most of them fail, which must write nothing.
	var guards []any
	if g.rng.Intn(10) == 0 {
		for k := g.rng.Intn(2) + 1; k > 0; k-- {
			if g.rng.Intn(2) == 0 {
				guards = append(guards, "9", g.pick("u1", "u2"), "1", g.pick("state1", "state2"))
			} else {
				guards = append(guards, "9", g.pick("u2", "u3"), "0", "")
			}
		}
	}
	args = append(args, strconv.Itoa(len(guards)/4))
	args = append(args, guards...)
	type ev struct {
		mk, id, strict string
		changes        []string
	}
	var evs []ev
	var stricts []any
	ne := g.rng.Intn(8) + 1
	for e := 0; e < ne; e++ {
		x := ev{mk: "0", strict: "0"}
		if g.rng.Intn(5) > 0 {
			x.mk = g.pick("6", "6", "7")
			// A small id space, so replays (duplicates) are common.
			x.id = "e" + strconv.Itoa(g.rng.Intn(40))
		}
		if g.rng.Intn(12) == 0 {
			x.strict = "1"
		}
		if g.rng.Intn(3) == 0 {
			x.changes = g.game()
		} else {
			for c := g.rng.Intn(6) + 1; c > 0; c-- {
				x.changes = append(x.changes, g.change()...)
			}
		}
		if x.strict == "1" && x.mk != "0" {
			stricts = append(stricts, x.mk, x.id)
		}
		evs = append(evs, x)
	}
	args = append(args, strconv.Itoa(len(stricts)/2))
	args = append(args, stricts...)
	args = append(args, g.pick("0", "0", "8")) // the banned hash's index, or 0
	cur = append([]any(nil), args...)
	for _, x := range evs {
		n := strconv.Itoa(len(x.changes) / 4)
		args = append(args, x.mk, x.id, x.strict, n)
		for _, c := range x.changes {
			args = append(args, c)
		}
		h := x.mk + ":" + n
		if x.strict == "1" {
			h += "!"
		}
		cur = append(cur, h, x.id)
		for k := 0; k < len(x.changes); k += 4 {
			cur = append(cur, x.changes[k]+x.changes[k+1], x.changes[k+2], x.changes[k+3])
		}
	}
	return args, cur
}

// game is a game's result as the built-in wins board and stats write it
// (most of a realistic stream's changes), with the players, boards and
// values varied so that poison, repeats and exact-range edges meet it.
func (g *refGen) game() []string {
	users := []string{"u1", "u2", "u3"}
	wi := g.rng.Intn(3)
	li := (wi + 1 + g.rng.Intn(2)) % 3
	if g.rng.Intn(10) == 0 {
		li = wi // the same player twice: repeated members and fields
	}
	w, l := users[wi], users[li]
	ws, ls := strconv.Itoa(3+wi), strconv.Itoa(3+li)
	board := g.pick("1", "1", "2")
	one := func() string { return g.pick("1", "1", "1", "2", "-1", "9007199254740990", "1.5") }
	out := []string{"za", board, w, one(), "ze", board, l, "0",
		"ha", ws, "games", one(), "ha", ws, "wins", one(), "ha", ws, "losses", "0",
		"ha", ls, "games", one(), "ha", ls, "wins", "0", "ha", ls, "losses", one()}
	switch g.rng.Intn(6) {
	case 0: // a change of another kind: the event goes change by change
		out = append(out, g.change()...)
	case 1: // fewer changes
		out = out[:4*(2+g.rng.Intn(6))]
	}
	return out
}

// change is one change: op, key index, member, value.
func (g *refGen) change() []string {
	user := g.pick("u1", "u2", "u3")
	stats := g.pick("3", "4", "5")
	board := g.pick("1", "1", "2")
	field := g.pick("games", "wins", "f3", "best", "low")
	switch r := g.rng.Intn(100); {
	case r < 28:
		return []string{"ha", stats, field, g.pick("1", "1", "2", "-1", "0", "0", "9223372036854775807", "-9223372036854775808")}
	case r < 38:
		// Scores reach 1e308 and infinity on b1 only: zc (a value op, on
		// b2) fails with a Lua error, in both scripts, on miniredis, whose
		// Lua reads neither "inf" nor "1e+308" as a number.
		if board == "1" {
			return []string{"za", board, user, g.pick("1", "1", "2.5", "-1", "1e308", "-1e308")}
		}
		return []string{"za", board, user, g.pick("1", "2.5", "-1")}
	case r < 45:
		return []string{"ze", board, user, g.pick("0", "5")}
	case r < 50:
		if board == "1" {
			return []string{"zs", board, user, g.pick("3", "1e308", "-2")}
		}
		return []string{"zs", board, user, g.pick("3", "-2")}
	case r < 56:
		return []string{"hs", g.pick(stats, stats, "9", "16"), g.pick(field, user), g.pick("x", "5", "007")}
	case r < 60:
		return []string{"bx", "8", user, ""}
	case r < 64:
		return []string{"hp", "10", user, board + ":" + strconv.Itoa(1700000000000+g.rng.Intn(4)*500) + ":" + g.pick("1", "2", "3") + ":" + g.pick("0", "1000")}
	case r < 72:
		op := g.pick("zg", "zl", "hg", "hl")
		key := "2"
		if op[0] == 'h' {
			key, user = stats, field
		}
		return []string{op, key, user, g.pick("10", "-5", "9007199254740991", "3")}
	case r < 77:
		return []string{"zx", "2", user, g.pick("3", "5|0", "-7|0", "9007199254740990", "-4")}
	case r < 79:
		return []string{"zc", "2", user, g.pick("10|5", "100|1")}
	case r < 83:
		return []string{"sd", "15", g.pick("a", "b", "c"), g.pick("3", "4") + "|" + g.pick("1", "2") + "|distinct"}
	case r < 88:
		return []string{"ir", "11", g.pick("i:A", "i:B", "i:C"), g.pick("1000 1", "1000 0", "2000 2")}
	case r < 93:
		p := g.pick("p1", "p2", "p3")
		start := map[string]string{"p1": "1000", "p2": "2000", "p3": "3000"}[p]
		horizon := map[string]string{"p1": "3000", "p2": "4000", "p3": "5000"}[p]
		cutoff := g.pick("0", "950", "1500")
		return []string{"pw", "11", "w@" + p, "12 " + start + " " + horizon + " " + cutoff + " 1700000000000 x:lb: x:rt:"}
	case r < 97:
		prefix := fmt.Sprintf("%013d|", g.rng.Intn(6))
		return []string{"zt", "13", user, g.pick("ar", "ak", "dr", "dk") + "|2|14|" + g.pick("4", "10") + "|" + prefix}
	default:
		return []string{"hs", "16", user, g.pick("meta", "007")}
	}
}

// rawDump is a database's whole content as Redis gives it: every key's type
// and members with their exact value or score strings, and whether it has
// a TTL.
func rawDump(t *testing.T, c *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		typ := c.Type(ctx, k).Val()
		fmt.Fprintf(&b, "%s %s ttl=%v ", k, typ, c.TTL(ctx, k).Val() > 0)
		switch typ {
		case "hash":
			m := c.HGetAll(ctx, k).Val()
			fs := make([]string, 0, len(m))
			for f, v := range m {
				fs = append(fs, f+"="+v)
			}
			sort.Strings(fs)
			b.WriteString(strings.Join(fs, ","))
		case "zset":
			v, err := c.Do(ctx, "ZRANGE", k, 0, -1, "WITHSCORES").StringSlice()
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(strings.Join(v, ","))
		case "set":
			m := c.SMembers(ctx, k).Val()
			sort.Strings(m)
			b.WriteString(strings.Join(m, ","))
		case "list":
			b.WriteString(strings.Join(c.LRange(ctx, k, 0, -1).Val(), ","))
		case "string":
			b.WriteString(c.Get(ctx, k).Val())
		}
		b.WriteString("\n")
	}
	return b.String()
}
