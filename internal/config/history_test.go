package config

import (
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/handler"
)

func TestHistorySetting(t *testing.T) {
	text := "products:\n  p:\n    boards:\n      - {name: wins, scorer: wins, history: {points: 50, every: 1h}}\n      - {name: elo, scorer: elo, history: {}}\n      - {name: g, scorer: glicko2}\n"
	c, err := Parse("x.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := c.Registry()
	if err != nil {
		t.Fatal(err)
	}
	b := reg.Lookup("p").Boards
	want := []handler.History{{Points: 50, Every: time.Hour}, {Points: handler.DefaultHistoryPoints}, {}}
	for i, w := range want {
		if b[i].History != w {
			t.Fatalf("board %s history %+v, want %+v", b[i].Name, b[i].History, w)
		}
	}
	for _, bad := range []struct{ hist, want string }{
		{"{points: 0}", "x.yaml:4: product p board wins history points 0 is out of range [1, 10000]"},
		{"{points: 10001}", "out of range"},
		{"{points: 2.5}", "must be a whole number"},
		{"{every: 10ms}", "every \"10ms\" must be a duration of at least 1s"},
		{"{every: soon}", "every \"soon\""},
		{"{keep: 3}", "unknown key \"keep\" in product p board wins history"},
		{"yes", "must be a mapping"},
	} {
		_, err := Parse("x.yaml", []byte("products:\n  p:\n    boards:\n      - {name: wins, scorer: wins, history: "+bad.hist+"}\n"))
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("history: %s: %v, want %q", bad.hist, err, bad.want)
		}
	}
}
