package server

import (
	"context"
	"testing"

	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
)

// A value board over the API (issue 11): lower is better, first-to-reach
// ties, exact decimals and metadata on v1; board_info lists the board;
// the portal's top_ten keeps its fields (score, user_id only), in the
// board's order.
func TestV1ValueBoard(t *testing.T) {
	cfg, err := config.Parse("x.yaml", []byte(`products:
  race:
    boards:
      - {name: laps, scorer: value, match: {event_name: lap}, player: user_id, field: t, op: best, order: asc, ties: first, scale: 3, format: duration_s, meta: [display_name]}
`))
	if err != nil {
		t.Fatal(err)
	}
	reg, err := cfg.Registry()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, func(c *Config) { c.Registry = reg; c.Engine = engine.New(reg, c.Store) })
	lap := func(id, user, v, name string) event.Event {
		return event.Event{ID: id, Fields: map[string]string{"product_id": "race", "event_name": "lap", "user_id": user, "t": v, "display_name": name}}
	}
	if _, err := engine.New(reg, f.st).Apply(context.Background(), []event.Event{
		lap("1000-0", "b", "62.345", "Bee"), lap("2000-0", "a", "62.345", "Ay"), lap("3000-0", "c", "61.1", "Cee"), lap("4000-0", "c", "70", "Cee"),
	}); err != nil {
		t.Fatal(err)
	}
	f.get("/v1/products/race/leaderboard").want(t, 200,
		`{"product_id":"race","board":"laps","total":3,"offset":0,"entries":[{"rank":1,"user_id":"c","score":61.1,"meta":{"display_name":"Cee"}},{"rank":2,"user_id":"b","score":62.345,"meta":{"display_name":"Bee"}},{"rank":3,"user_id":"a","score":62.345,"meta":{"display_name":"Ay"}}],"next_cursor":null}`+"\n")
	if m := f.get("/v1/products/race/players/a").jsonOf(t); m["rank"] != 3.0 || m["score"] != 62.345 || m["percentile"] == nil {
		t.Fatalf("player a: %v", m)
	}
	f.get("/leaderboards/top_ten/race").want(t, 200, `[{"score":61.1,"user_id":"c"},{"score":62.345,"user_id":"b"},{"score":62.345,"user_id":"a"}]`+"\n")
	f.get("/v1/products").want(t, 200,
		`{"products":[{"product_id":"race","players":3,"default_board":"laps","boards":["laps"],"registered":true,"board_info":[{"name":"laps","scorer":"value","order":"asc","ties":"first","format":"duration_s","operator":"best","field":"t"}]}]}`+"\n")
}
