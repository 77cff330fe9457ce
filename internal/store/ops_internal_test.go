package store

import (
	"strconv"
	"strings"
	"testing"
)

// Every op the Go side emits must be one the script knows and its header
// lists; a typo on either side would only show as a failed apply.
func TestApplyOpsKnownToScript(t *testing.T) {
	for _, op := range []string{opScoreAdd, opScoreEnsure, opScoreSet, opHashAdd, opHashSet} {
		if !strings.Contains(applySrc, "op == '"+op+"'") {
			t.Errorf("apply.lua does not handle op %q", op)
		}
		if !strings.Contains(applySrc, "--   '"+op+"'") {
			t.Errorf("apply.lua's header does not list op %q", op)
		}
	}
}

// The value ops (issue 11) live in apply.lua's vop table and its header.
func TestValueOpsKnownToScript(t *testing.T) {
	for _, op := range []string{opScoreMax, opScoreMin, opScoreExact, opScoreCheck, opScoreTie, opHashMax, opHashMin, opDistinct} {
		if !strings.Contains(applySrc, "vop['"+op+"']") {
			t.Errorf("apply.lua does not handle value op %q", op)
		}
		if !strings.Contains(applySrc, "--   '"+op+"'") {
			t.Errorf("apply.lua's header does not list op %q", op)
		}
	}
}

// TestMarkerIdxIsSeen holds encode's marker cache to Keys.Seen: whatever
// the order of ids (hour boundaries, external ids, ids with no time),
// each event's marker index names the key Seen names for it.
func TestMarkerIdxIsSeen(t *testing.T) {
	ks := Keys{NS: "statsctl"}
	var keys []string
	idx := func(k string) string {
		for i, have := range keys {
			if have == k {
				return strconv.Itoa(i)
			}
		}
		keys = append(keys, k)
		return strconv.Itoa(len(keys) - 1)
	}
	m := markerIdx{keys: ks, product: "exrps", idx: idx}
	ids := []string{
		"3599999-0", "3599999-1", "3600000-0", "3600000-0", "x:3600001-0", "7199999-5",
		"x:7199999-5", "7200000-0", "abc", "3600000-9", "x:abc", "x:x:3600000-0", "1-",
		"18446744073709551615-0", "18446744073709551616-0", "3600000-0",
	}
	for _, id := range ids {
		i, err := strconv.Atoi(m.of(id))
		if err != nil {
			t.Fatal(err)
		}
		if want := ks.Seen("exrps", id); keys[i] != want {
			t.Fatalf("marker of %q is %q, want %q", id, keys[i], want)
		}
	}
}
