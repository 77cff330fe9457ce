package streamid_test

import (
	"slices"
	"testing"

	"github.com/varcade/statsctl/internal/streamid"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want streamid.ID
	}{
		{"0", streamid.ID{}},
		{"0-0", streamid.ID{}},
		{"1700000000000-0", streamid.ID{MS: 1700000000000}},
		{"1700000000000-42", streamid.ID{MS: 1700000000000, Seq: 42}},
		{"18446744073709551615-18446744073709551615", streamid.ID{MS: 1<<64 - 1, Seq: 1<<64 - 1}},
		{"007-01", streamid.ID{MS: 7, Seq: 1}},
	} {
		got, err := streamid.Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
		if !streamid.Valid(tc.in) {
			t.Errorf("Valid(%q) = false", tc.in)
		}
	}
	for _, in := range []string{"", "$", ">", "-", "+", "*", "yesterday", "1-", "-1", "1-2-3", "1-x", "x-1", " 1-2",
		"18446744073709551616-0", "1700000000000-*"} {
		if id, err := streamid.Parse(in); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", in, id)
		}
		if streamid.Valid(in) {
			t.Errorf("Valid(%q) = true", in)
		}
	}
}

func TestCompareOrdersByTimeThenSequence(t *testing.T) {
	ids := []string{"10-0", "9-5", "9-10", "0-1", "10-0", "9-0"}
	parsed := make([]streamid.ID, len(ids))
	for i, s := range ids {
		parsed[i], _ = streamid.Parse(s)
	}
	slices.SortFunc(parsed, streamid.Compare)
	var got []string
	for _, id := range parsed {
		got = append(got, id.String())
	}
	want := []string{"0-1", "9-0", "9-5", "9-10", "10-0", "10-0"}
	if !slices.Equal(got, want) {
		t.Errorf("sorted %v, want %v", got, want)
	}
	a, b := streamid.ID{MS: 1, Seq: 2}, streamid.ID{MS: 2, Seq: 1}
	if streamid.Compare(a, b) != -1 || streamid.Compare(b, a) != 1 || streamid.Compare(a, a) != 0 {
		t.Errorf("Compare(%v, %v) is not -1/1/0", a, b)
	}
}

// TestHourBucket pins the buckets of the Redis key layout: a change here
// would move markers to other keys.
func TestHourBucket(t *testing.T) {
	for in, want := range map[string]string{
		"0-0":             "h0",
		"3599999-7":       "h0",
		"3600000-0":       "h1",
		"1700000000000-0": "h472222",
		"1700000000000-x": "h472222", // only the time part is read
		"12-":             "h0",
		"1700000000000":   "ids", // no '-': not a stream id in a marker's eyes
		"game-42":         "ids",
		"":                "ids",
		"-5":              "ids",
	} {
		if got := streamid.HourBucket(in); got != want {
			t.Errorf("HourBucket(%q) = %q, want %q", in, got, want)
		}
	}
}
