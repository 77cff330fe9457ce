package config

import (
	"strings"
	"testing"
)

// TestStatShadowingRatingFieldRefused: a stats counter named like a rating
// field ("elo_rating") gave two values for one name: the portal's /stats
// showed the counter, the v1 API the rating. config check (and every
// command loading the file) refuses it, at the line.
func TestStatShadowingRatingFieldRefused(t *testing.T) {
	head := "products:\n  p:\n    boards:\n      - {name: wins, scorer: wins}\n      - {name: elo, scorer: elo}\n      - {name: g, scorer: glicko2}\n    stats:\n"
	for _, c := range []struct{ name, rule, want string }{
		{"add", "      - match: {type: x}\n        player: user_id\n        add: {elo_rating: 1}\n", "x.yaml:10: product p stats rule: stat \"elo_rating\" is a field of rating board elo"},
		{"add games", "      - match: {type: x}\n        player: user_id\n        add: {n: 1, g_volatility: 1}\n", "x.yaml:10: product p stats rule: stat \"g_volatility\""},
		{"plain template", "      - match: {type: x}\n        player: user_id\n        stat: elo_games\n", "x.yaml:10: product p stats rule: stat template \"elo_games\" can name \"elo_games\""},
		{"mapped template", "      - match: {type: x}\n        player: user_id\n        stat: \"{d}_rating\"\n        values: {\"0\": rock, \"1\": elo}\n", "x.yaml:10: product p stats rule: stat template \"{d}_rating\" can name \"elo_rating\""},
		// A template without a values map is refused before this check
		// (stat names must be bounded by the file), whatever it could name.
		{"open template", "      - match: {type: x}\n        player: user_id\n        stat: \"g_{d}\"\n", "no values map"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(head+c.rule))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant %s", err, c.want)
			}
		})
	}
	ok := head + "      - match: {type: x}\n        player: user_id\n        add: {wins_rating: 1}\n        stat: \"{d}_rating\"\n        values: {\"0\": rock}\n"
	if _, err := Parse("x.yaml", []byte(ok)); err != nil {
		t.Fatalf("a stat that names no rating field was refused: %v", err)
	}
}
