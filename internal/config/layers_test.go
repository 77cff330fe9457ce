package config

import (
	"strings"
	"testing"
)

func TestLayerKeysRefused(t *testing.T) {
	for _, c := range []struct{ board, want string }{
		{"{name: g, scorer: glicko2, period: weekly}", "not periodic"},
		{"{name: e, scorer: elo, period: daily}", "a week or more"},
		{"{name: w, scorer: wins, segments: [eu]}", "needs split_by"},
		{"{name: w, scorer: wins, split_by: [region]}", "needs a bound"},
		{"{name: w, scorer: wins, split_by: [region], segments: [eu], max_segments: 3}", "not both"},
		{"{name: w, scorer: wins, split_by: [region], segments: [e~u]}", "segments"},
		{"{name: w, scorer: wins, split_by: [region, mode], segments: [eu]}", "2 value(s)"},
		{"{name: w, scorer: wins, period: daily, grace: 25h}", "shorter than"},
		{"{name: w, scorer: wins, period: weekly, time_zone: Mars/Olympus}", "IANA"},
		{"{name: w, scorer: wins, period: weekly, keep: 1}", "out of range"},
		{"{name: w, scorer: wins, keep: 3}", "needs a board period"},
		{"{name: w, scorer: wins, period: '*/5 * * * *'}", "shortest allowed"},
		{"{name: w, scorer: wins, period: monthly, week_start: sunday}", "weekly only"},
	} {
		_, err := Parse("t.yaml", []byte("products:\n  p:\n    boards:\n      - "+c.board+"\n"))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.board, err, c.want)
		}
	}
	if _, err := Parse("t.yaml", []byte("products:\n  p:\n    boards:\n      - {name: e, scorer: elo, period: weekly, time_zone: Europe/Berlin, split_by: [region], max_segments: 4}\n      - {name: g, scorer: glicko2, period: 24h, split_by: [region], segments: [eu, us]}\n")); err != nil {
		t.Errorf("weekly Elo per region and Glicko-2 per region refused: %v", err)
	}
}
