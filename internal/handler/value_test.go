package handler

import (
	"testing"

	"github.com/varcade/statsctl/internal/event"
)

func TestParseFixedExactAndStrict(t *testing.T) {
	for _, c := range []struct {
		in    string
		scale int
		want  int64
		oor   bool
		bad   bool
	}{
		{"62.345", 3, 62345, false, false},
		{"-0.5", 2, -50, false, false},
		{"-0", 0, 0, false, false},
		{"007.10", 2, 710, false, false},
		{"1.50", 1, 15, false, false}, // trailing zeros beyond the scale are fine
		{"9007199254740991", 0, MaxExact, false, false},
		{"-9007199254740991", 0, -MaxExact, false, false},
		{"9007199254740992", 0, 0, true, false},
		{"99999999999999999999999", 0, 0, true, false},
		{"9007199.254740991", 9, MaxExact, false, false},
		{"1.25", 1, 0, false, true},
		{"1e3", 0, 0, false, true}, {"+1", 0, 0, false, true}, {" 1", 0, 0, false, true},
		{"1.", 0, 0, false, true}, {".5", 1, 0, false, true}, {"", 0, 0, false, true}, {"0x1", 0, 0, false, true},
		{"NaN", 0, 0, false, true}, {"Inf", 0, 0, false, true}, {"--1", 0, 0, false, true},
	} {
		n, oor, err := ParseFixed(c.in, c.scale)
		if (err != nil) != c.bad || oor != c.oor || (!c.bad && !c.oor && n != c.want) {
			t.Errorf("ParseFixed(%q, %d) = %d, %v, %v", c.in, c.scale, n, oor, err)
		}
		if !c.bad && !c.oor {
			back, _, _ := ParseFixed(FormatFixed(n, c.scale), c.scale)
			if back != n {
				t.Errorf("FormatFixed(%d, %d) = %q does not read back", n, c.scale, FormatFixed(n, c.scale))
			}
		}
	}
	if got := FormatFixed(-5, 3); got != "-0.005" {
		t.Errorf("FormatFixed(-5, 3) = %q", got)
	}
}

// Earlier events sort first in read order on both orders: asc reads
// members ascending, desc descending.
func TestTiePrefixOrdersEarlierFirst(t *testing.T) {
	at := func(id string, line int) event.Event {
		return event.Event{ID: id, Fields: map[string]string{}, Src: event.Source{Line: line}}
	}
	early, late, sameMsLater := at("1000-1", 0), at("2000-0", 0), at("1000-2", 0)
	if !(TiePrefix(early, Asc) < TiePrefix(late, Asc) && TiePrefix(early, Asc) < TiePrefix(sameMsLater, Asc)) {
		t.Error("asc: earlier event must have the smaller prefix")
	}
	if !(TiePrefix(early, Desc) > TiePrefix(late, Desc) && TiePrefix(early, Desc) > TiePrefix(sameMsLater, Desc)) {
		t.Error("desc: earlier event must have the larger prefix")
	}
	untimed := event.Event{Fields: map[string]string{}}
	if !(TiePrefix(late, Asc) < TiePrefix(untimed, Asc)) || !(TiePrefix(late, Desc) > TiePrefix(untimed, Desc)) {
		t.Error("an untimed event must rank after timed ones")
	}
	if len(TiePrefix(early, Asc)) != TieWidth || len(TiePrefix(untimed, Desc)) != TieWidth {
		t.Error("prefix width")
	}
}
