package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/handler"
)

// The v1 history route gives the points the CLI charts; a board without
// history: is a 404 that says how to turn it on.
func TestV1History(t *testing.T) {
	f := newFixture(t, func(c *Config) {
		reg := handler.NewRegistry(handler.DefaultProduct())
		p := handler.Exrps()
		p.Boards[0].History = handler.History{Points: 2}
		p.Boards = append(p.Boards, handler.Board{Name: "elo", Scorer: handler.Elo{Board: "elo", K: 32, Initial: 1500}})
		if err := reg.Register("exrps", p); err != nil {
			t.Fatal(err)
		}
		c.Registry = reg
		c.Engine = engine.New(reg, c.Store)
	})
	f.eng = f.srv.cfg.Engine
	at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
	for i, r := range [][2]string{{"u1", "u2"}, {"u2", "u1"}, {"u1", "u3"}} {
		f.apply(event.Event{ID: strconv.FormatInt(at+int64(i)*1000, 10) + "-0", Fields: map[string]string{
			event.FieldProduct: "exrps", event.FieldType: event.TypeGameOver, event.FieldWinner: r[0], event.FieldLoser: r[1]}})
	}
	f.get("/v1/products/exrps/players/u1/history").want(t, 200,
		`{"product_id":"exrps","user_id":"u1","board":"wins","points":[{"at":"2026-12-01T10:00:01.000Z","at_ms":1796119201000,"score":1},{"at":"2026-12-01T10:00:02.000Z","at_ms":1796119202000,"score":2}]}`+"\n")
	f.get("/v1/products/exrps/players/nobody/history").want(t, 200,
		`{"product_id":"exrps","user_id":"nobody","board":"wins","points":[]}`+"\n")
	f.get("/v1/products/exrps/players/u1/history?board=elo").wantError(t, 404, "history_not_kept")
	f.get("/v1/products/exrps/players/u1/history?board=nope").wantError(t, 404, "unknown_board")
	f.get("/v1/products/exrps/players/a%09b/history").wantError(t, 400, "invalid_user")
}

// On a periodic board the history route answers the player's rank in each
// kept period (derived, so no history: setting is needed), for the
// unsplit instances or segment='s; period= is refused, since the answer
// covers every kept period.
func TestV1PeriodHistory(t *testing.T) {
	c, err := config.Parse("t.yaml", []byte(`products:
  p:
    boards:
      - {name: wk, scorer: wins, period: weekly, keep: 4, split_by: [region], segments: [eu, us]}
`))
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := c.Registry()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // 2026-W49
	f := newFixture(t, func(cfg *Config) {
		cfg.Registry = reg
		cfg.Engine = engine.New(reg, cfg.Store)
		cfg.Now = func() time.Time { return now }
		cfg.CacheTTL = -1
	})
	var evs []event.Event
	for i, g := range []struct {
		at           time.Time
		w, l, region string
	}{{now.AddDate(0, 0, -7), "a", "b", "eu"}, {now.AddDate(0, 0, -7), "a", "c", "us"}, {now, "c", "a", "us"}} {
		evs = append(evs, event.Event{ID: strconv.FormatInt(g.at.UnixMilli(), 10) + "-" + strconv.Itoa(i), Fields: map[string]string{
			"product_id": "p", "type": "game_over", "winner_id": g.w, "loser_id": g.l, "region": g.region}})
	}
	if _, err := f.srv.cfg.Engine.Apply(t.Context(), evs); err != nil {
		t.Fatal(err)
	}
	w48 := `{"period":"2026-W48","instance":"wk@2026-W48","start":"2026-11-23T00:00:00Z","end":"2026-11-30T00:00:00Z","closed":false,"current":false,`
	w49 := `{"period":"2026-W49","instance":"wk@2026-W49","start":"2026-11-30T00:00:00Z","end":"2026-12-07T00:00:00Z","closed":false,"current":true,`
	f.get("/v1/products/p/players/a/history").want(t, 200, `{"product_id":"p","user_id":"a","board":"wk","periods":[`+
		w48+`"rank":1,"score":2,"players":3},`+w49+`"rank":2,"score":0,"players":2}]}`+"\n")
	f.get("/v1/products/p/players/b/history?segment=eu").want(t, 200, `{"product_id":"p","user_id":"b","board":"wk","segment":"eu","periods":[`+
		strings.ReplaceAll(w48, "wk@2026-W48", "wk@2026-W48~eu")+`"rank":2,"score":0,"players":2},`+
		strings.ReplaceAll(w49, "wk@2026-W49", "wk@2026-W49~eu")+`"rank":null,"score":null,"players":0}]}`+"\n")
	f.get("/v1/products/p/players/a/history?period=previous").wantError(t, 400, "invalid_parameter")
	f.get("/v1/products/p/players/a/history?segment=asia").wantError(t, 404, "unknown_segment")
}
