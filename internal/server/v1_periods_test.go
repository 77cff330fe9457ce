package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// period= and segment= pick the instance on every board route, the
// periods route lists the board's instances, unknown ones are 404 with
// what exists, and top_ten shows the default board's current period.
func TestV1PeriodAndSegment(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`products:
  p:
    boards:
      - {name: wk, scorer: wins, period: weekly, keep: 4, split_by: [region], segments: [eu, us]}
`))
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := c.Registry()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // 2026-W49, in the past (events from the future are refused)
	f := newFixture(t, func(cfg *Config) {
		cfg.Registry = reg
		cfg.Engine = engine.New(reg, cfg.Store)
		cfg.Now = func() time.Time { return now }
		cfg.CacheTTL = -1
	})
	var evs []event.Event
	for i, g := range []struct {
		at     time.Time
		w, l   string
		region string
	}{
		{now.AddDate(0, 0, -7), "a", "b", "eu"}, {now.AddDate(0, 0, -7), "a", "c", "us"}, {now, "c", "a", "us"},
	} {
		evs = append(evs, event.Event{ID: strconv.FormatInt(g.at.UnixMilli(), 10) + "-" + strconv.Itoa(i), Fields: map[string]string{
			"product_id": "p", "type": "game_over", "winner_id": g.w, "loser_id": g.l, "region": g.region}})
	}
	if _, err := f.srv.cfg.Engine.Apply(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	for target, want := range map[string]string{
		"/v1/products/p/leaderboard":                                   `"board":"wk@2026-W49"`,
		"/v1/products/p/leaderboard?period=previous&segment=us":        `"entries":[{"rank":1,"user_id":"a","score":1},{"rank":2,"user_id":"c","score":0}]`,
		"/v1/products/p/leaderboard?period=2026-W48&segment=region=eu": `"entries":[{"rank":1,"user_id":"a","score":1},{"rank":2,"user_id":"b","score":0}]`,
		"/v1/products/p/leaderboard/around/a?period=previous":          `"total":3`,
		"/v1/products/p/players/c?period=current&segment=us":           `"rank":1`,
		"/v1/products/p/boards/wk/periods":                             `{"instance":"wk@2026-W48~eu","period":"2026-W48","segment":"eu","start":"2026-11-23T00:00:00Z","players":2,"closed":false}`,
		"/leaderboards/top_ten/p":                                      `"c"`,
	} {
		r := f.get(target)
		if r.status != 200 || !strings.Contains(r.body, want) {
			t.Errorf("GET %s: %d %s\nwant it to hold %s", target, r.status, r.body, want)
		}
	}
	for target, code := range map[string]string{
		"/v1/products/p/leaderboard?period=2026-W60": "unknown_period",
		"/v1/products/p/leaderboard?segment=asia":    "unknown_segment",
		"/v1/products/p/leaderboard?board=nope":      "unknown_board",
		"/v1/products/p/boards/nope/periods":         "unknown_board",
	} {
		if r := f.get(target); r.status != 404 || !strings.Contains(r.body, `"code":"`+code+`"`) {
			t.Errorf("GET %s: %d %s, want 404 %s", target, r.status, r.body, code)
		}
	}
}
