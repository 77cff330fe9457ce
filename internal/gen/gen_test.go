package gen

import "testing"

// TestGamesForHitsTheEventCount: benchmarks quote "1,000,000 events", so the
// sizing must land within a few percent of the count asked for, whatever
// the mix of products.
func TestGamesForHitsTheEventCount(t *testing.T) {
	for _, products := range [][]string{{"exrps"}, {"exrps", "exrps", "exrps", "chess"}, {"chess", "tetris"}} {
		o := Options{Players: 500, Seed: 42, Products: products, BadEvery: 2000}
		games, err := GamesFor(o, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		o.Games = games
		n := 0
		if err := Each(o, func(Fields, string, bool) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		if n < 97_000 || n > 103_000 {
			t.Errorf("products %v: %d games gave %d events, want about 100,000", products, games, n)
		}
	}
}
