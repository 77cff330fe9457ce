// Package streamid parses and orders Redis stream entry ids ("<ms>-<seq>")
// and names the hour an id falls in. It is the one place that knows the id
// format, so the consumer, the commands, the store's marker buckets and the
// embedded store's snapshots cannot drift apart on it. It depends on nothing.
package streamid

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// ID is a parsed stream entry id: the server's millisecond clock and a
// sequence number within that millisecond. Comparing IDs rather than their
// text is needed because "9-0" sorts after "10-0" as a string.
type ID struct {
	MS  uint64
	Seq uint64
}

// Parse reads "<ms>-<seq>", or "<ms>" alone (sequence 0), the forms Redis
// accepts as an explicit id. The special ids "$", ">", "-", "+" and "*" are
// not entry ids and are rejected: callers handle them by name.
func Parse(s string) (ID, error) {
	ms, seq, hasSeq := strings.Cut(s, "-")
	a, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return ID{}, fmt.Errorf("bad stream id %q", s)
	}
	var b uint64
	if hasSeq {
		if b, err = strconv.ParseUint(seq, 10, 64); err != nil {
			return ID{}, fmt.Errorf("bad stream id %q", s)
		}
	}
	return ID{a, b}, nil
}

// Valid reports whether s parses as an entry id, for flag checks that only
// need a yes or no.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// Compare orders two ids as Redis does: by time, then by sequence. It
// returns -1, 0 or +1 like cmp.Compare, so it fits slices.SortFunc.
func Compare(a, b ID) int {
	if c := cmp.Compare(a.MS, b.MS); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// String is the id as Redis writes it, "<ms>-<seq>".
func (id ID) String() string {
	return strconv.FormatUint(id.MS, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// HourBucket names the hour an event id falls in, "h<hours since the epoch>",
// for marker keys that should expire an hour's worth at a time; an id that
// is not "<ms>-<anything>" (an event from a file, say) gets the one bucket
// "ids". Only the part before the first '-' is read, so the bucket of every
// id stays what it has always been: the key layout depends on it.
func HourBucket(id string) string {
	if h, ok := Hour(id); ok {
		return "h" + strconv.FormatUint(h, 10)
	}
	return "ids"
}

// Hour is the number in id's HourBucket, and false for an id in "ids":
// two ids with the same Hour share a bucket, which lets a caller reuse a
// marker key without building it again.
func Hour(id string) (uint64, bool) {
	ms, _, ok := strings.Cut(id, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(ms, 10, 64)
	if err != nil {
		return 0, false
	}
	return n / 3_600_000, true
}
