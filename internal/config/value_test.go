package config

import (
	"strings"
	"testing"
)

// Value boards and value stats refuse what cannot be kept exactly or
// bounded, naming the line and the fix.
func TestBadValueConfigs(t *testing.T) {
	board := "products:\n  p:\n    boards:\n      - name: v\n        scorer: value\n        match: {event_name: lap}\n        player: user_id\n        field: ms\n"
	rule := "products:\n  p:\n    boards: [{name: w, scorer: wins}]\n    stats:\n      - match: {event_name: hit}\n        player: user_id\n        field: dmg\n        stat: total\n"
	cases := []struct{ name, text, want string }{
		{"bad op", board + "        op: avg\n", "x.yaml:9: product p board v op \"avg\""},
		{"bad order", board + "        order: up\n", "x.yaml:9: product p board v order \"up\""},
		{"bad ties", board + "        ties: random\n", "x.yaml:9: product p board v ties \"random\""},
		{"bad format", board + "        format: roman\n", "x.yaml:9: product p board v format \"roman\""},
		{"scale too big", board + "        scale: 10\n", "x.yaml:9: product p board v scale \"10\""},
		{"min beyond the exact range", board + "        min: -9007199254740992\n", "x.yaml:9: product p board v min -9007199254740992 is beyond the exact range"},
		{"min more decimals than scale", board + "        scale: 1\n        min: 0.25\n", "x.yaml:10: product p board v min: \"0.25\" has 2 decimals"},
		{"max below min", board + "        min: 5\n        max: 4\n", "x.yaml:10: product p board v: max 4 is below min 5"},
		{"floor without decr", board + "        floor: 0\n", "x.yaml:9: product p board v: floor is decr's minimum"},
		{"too many meta", board + "        meta: [a, b, c, d, e, f, g, h, i]\n", "x.yaml:9: product p board v meta lists 9 fields"},
		{"no field", strings.Replace(board, "        field: ms\n", "", 1), "x.yaml:4: product p board v has no field"},
		{"no match", strings.Replace(board, "        match: {event_name: lap}\n", "", 1), "x.yaml:4: product p board v needs match"},
		{"ties first on wins", "products:\n  p:\n    boards:\n      - {name: w, scorer: wins, ties: first}\n", "product p board w: ties: first needs a value board"},
		{"bad rule op", rule + "        op: avg\n", "x.yaml:9: product p value stats rule op \"avg\""},
		{"distinct unbounded too far", rule + "        op: distinct\n        max_distinct: 1000000\n", "x.yaml:10: product p value stats rule max_distinct \"1000000\""},
		{"distinct with scale", rule + "        op: distinct\n        scale: 2\n", "x.yaml:10: product p value stats rule: scale does not apply to op: distinct"},
		{"stat name with colon", strings.Replace(rule, "stat: total", "stat: \"a:b\"", 1), "x.yaml:8: product p value stats rule: stat name \"a:b\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(c.text))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error\n%v\nwant it to contain\n%s", err, c.want)
			}
		})
	}
	if _, err := Parse("x.yaml", []byte(board+"        op: decr\n        floor: -5\n        order: asc\n        ties: first\n        format: duration_ms\n        meta: [display_name]\n")); err != nil {
		t.Fatalf("a good value board: %v", err)
	}
}
