package event

import (
	"context"
	"fmt"
	"math/rand"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/testredis"
)

// ReadGroupReply must decode exactly what go-redis's Do + StreamEntries
// decode, for the same XREADGROUP, in RESP2 and RESP3, on redis-server and
// miniredis: two groups on one stream get the same entries, one read raw,
// one decoded. The fields are hostile: CRLF and NUL inside values, empty
// names and values, a field given twice, long values, many fields; some
// entries are deleted after delivery (a pending read returns them with no
// fields), and a caught-up read returns nothing.
func TestReadGroupReplyMatchesDecoded(t *testing.T) {
	servers := map[string]string{
		"redis-server": testredis.Start(t).Addr,
		"miniredis":    miniredis.RunT(t).Addr(),
	}
	for name, addr := range servers {
		for _, proto := range []int{2, 3} {
			t.Run(fmt.Sprintf("%s/RESP%d", name, proto), func(t *testing.T) {
				rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto})
				t.Cleanup(func() { rdb.Close() })
				compareReadGroup(t, rdb, "s"+strconv.Itoa(proto), name == "redis-server")
			})
		}
	}
}

// compareReadGroup: keepsDeleted says the server returns a pending entry
// deleted from the stream with no fields (redis-server) rather than
// leaving it out (miniredis).
func compareReadGroup(t *testing.T, rdb *redis.Client, stream string, keepsDeleted bool) {
	ctx := context.Background()
	rng := rand.New(rand.NewSource(7))
	var ids []string
	for i := 0; i < 300; i++ {
		var vals []any
		for f := rng.Intn(12) + 1; f > 0; f-- {
			vals = append(vals, hostileString(rng), hostileString(rng))
		}
		id, err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: vals}).Result()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, g := range []string{"raw", "decoded"} {
		if err := rdb.XGroupCreate(ctx, stream, g, "0").Err(); err != nil {
			t.Fatal(err)
		}
	}
	// read compares one read of each group and returns how many entries
	// it compared.
	read := func(from string, count int) int {
		t.Helper()
		raw := redis.NewRawCmd(ctx, "XREADGROUP", "GROUP", "raw", "c", "COUNT", count, "STREAMS", stream, from)
		if err := rdb.Process(ctx, raw); err != nil {
			t.Fatal(err)
		}
		got, err := ReadGroupReply(raw.Val())
		if err != nil {
			t.Fatalf("ReadGroupReply(%q...): %v", truncate(raw.Val()), err)
		}
		v, err := rdb.Do(ctx, "XREADGROUP", "GROUP", "decoded", "c", "COUNT", count, "STREAMS", stream, from).Result()
		if err != nil && err != redis.Nil {
			t.Fatal(err)
		}
		want, err := StreamEntries(streamOf(t, v))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 && len(want) == 0 {
			return 0
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("read from %s: ReadGroupReply gives\n%q\nStreamEntries gives\n%q", from, got, want)
		}
		return len(got)
	}
	seen := 0
	for _, n := range []int{1, 7, 100, 1000} {
		seen += read(">", n)
	}
	if seen != len(ids) {
		t.Fatalf("the reads compared %d entries, want all %d", seen, len(ids))
	}
	if n := read(">", 10); n != 0 { // caught up: nothing
		t.Fatalf("a caught-up read returned %d entries", n)
	}
	// Entries deleted after delivery come back with no fields.
	deleted := 0
	for i := 0; i < len(ids); i += 9 {
		rdb.XDel(ctx, stream, ids[i])
		deleted++
	}
	want := len(ids)
	if !keepsDeleted {
		want -= deleted
	}
	if n := read("0", 1000); n != want {
		t.Fatalf("the pending read compared %d entries, want %d (%d of %d deleted)", n, want, deleted, len(ids))
	}
}

// streamOf is the entries part of a decoded XREADGROUP reply.
func streamOf(t *testing.T, v any) any {
	t.Helper()
	switch r := v.(type) {
	case nil:
		return nil
	case []any:
		if len(r) == 0 {
			return nil
		}
		return r[0].([]any)[1]
	case map[any]any:
		for _, e := range r {
			return e
		}
	}
	t.Fatalf("XREADGROUP reply %T", v)
	return nil
}

// hostileString is a field name or value chosen to break a parser that
// trusts delimiters or lengths.
func hostileString(rng *rand.Rand) string {
	switch rng.Intn(8) {
	case 0:
		return ""
	case 1:
		return "a\r\nb"
	case 2:
		return "\r\n$5\r\nfake\r\n*"
	case 3:
		return strings.Repeat("x", rng.Intn(5000))
	case 4:
		return "nul\x00byte"
	case 5:
		return "dup"
	case 6:
		return "ünïcode ✓"
	default:
		return strconv.Itoa(rng.Int())
	}
}

func truncate(b []byte) []byte {
	if len(b) > 200 {
		return b[:200]
	}
	return b
}

// Malformed replies are refused with an error, never a panic or a silent
// partial decode.
func TestReadGroupReplyRefusesMalformed(t *testing.T) {
	good := "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"
	if es, err := ReadGroupReply([]byte(good)); err != nil || len(es) != 1 || es[0].ID != "1-1" || !reflect.DeepEqual(es[0].KV, []string{"a", "b"}) {
		t.Fatalf("good reply: %v, %v", es, err)
	}
	for _, c := range []string{
		"",
		"+OK\r\n",
		":1\r\n",
		good[:len(good)-1],            // truncated
		good[:len(good)-3] + "bb\r\n", // a bulk longer than its length
		good + "extra",                // bytes after the reply
		strings.Replace(good, "\r\n", "\n", 1),
		"*2\r\n" + good[4:],             // two streams announced
		"*1\r\n*3\r\n$1\r\ns\r\n*0\r\n", // stream is not a pair
		"*1\r\n*2\r\n:1\r\n*0\r\n",      // stream name not a string
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*1\r\n:5\r\n", // field not a string
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n%1\r\n",       // fields a map
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$99999999999999999999\r\n", // huge length
		"*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$-2\r\n",
		"*x\r\n",
	} {
		if es, err := ReadGroupReply([]byte(c)); err == nil {
			t.Errorf("ReadGroupReply(%q) = %v, want an error", c, es)
		}
	}
	for _, null := range []string{"_\r\n", "*-1\r\n", "*0\r\n"} {
		if es, err := ReadGroupReply([]byte(null)); err != nil || len(es) != 0 {
			t.Errorf("ReadGroupReply(%q) = %v, %v, want nothing", null, es, err)
		}
	}
}

// FuzzReadGroupReply: any bytes either decode or are refused, without a
// panic; what decodes, encoded again as RESP2, decodes to the same entries.
func FuzzReadGroupReply(f *testing.F) {
	f.Add([]byte("*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"))
	f.Add([]byte("%1\r\n$1\r\ns\r\n*2\r\n*2\r\n$3\r\n1-1\r\n_\r\n*2\r\n$3\r\n1-2\r\n*0\r\n"))
	f.Add([]byte("_\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := ReadGroupReply(b)
		if err != nil {
			return
		}
		again, err := ReadGroupReply(encodeReadGroup(es))
		if err != nil {
			t.Fatalf("re-encoded reply refused: %v", err)
		}
		if len(es) != len(again) {
			t.Fatalf("%d entries, %d after a round trip", len(es), len(again))
		}
		for i := range es {
			if es[i].ID != again[i].ID || len(es[i].KV) != len(again[i].KV) || (len(es[i].KV) > 0 && !reflect.DeepEqual(es[i].KV, again[i].KV)) {
				t.Fatalf("entry %d: %q, then %q", i, es[i], again[i])
			}
		}
	})
}

// encodeReadGroup is the RESP2 XREADGROUP reply of one stream's entries.
func encodeReadGroup(es []StreamEntry) []byte {
	var b strings.Builder
	bulk := func(s string) { fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(s), s) }
	fmt.Fprintf(&b, "*1\r\n*2\r\n")
	bulk("s")
	fmt.Fprintf(&b, "*%d\r\n", len(es))
	for _, e := range es {
		fmt.Fprintf(&b, "*2\r\n")
		bulk(e.ID)
		if len(e.KV) == 0 {
			b.WriteString("*-1\r\n")
			continue
		}
		fmt.Fprintf(&b, "*%d\r\n", len(e.KV))
		for _, s := range e.KV {
			bulk(s)
		}
	}
	return []byte(b.String())
}
