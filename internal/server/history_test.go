package server

import (
	"strconv"
	"testing"
	"time"

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
		`{"product_id":"exrps","user_id":"u1","board":"wins","points":[{"at":"2026-12-01T10:00:01.000Z","at_ms":1796119201000,"score":1,"kind":"game"},{"at":"2026-12-01T10:00:02.000Z","at_ms":1796119202000,"score":2,"kind":"game"}]}`+"\n")
	f.get("/v1/products/exrps/players/nobody/history").want(t, 200,
		`{"product_id":"exrps","user_id":"nobody","board":"wins","points":[]}`+"\n")
	f.get("/v1/products/exrps/players/u1/history?board=elo").wantError(t, 404, "history_not_kept")
	f.get("/v1/products/exrps/players/u1/history?board=nope").wantError(t, 404, "unknown_board")
	f.get("/v1/products/exrps/players/a%09b/history").wantError(t, 400, "invalid_user")
}
