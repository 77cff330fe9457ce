// Command genevents writes a reproducible JSONL stream of realistic game
// events, for benchmarks and for regenerating testdata:
//
//	go run ./internal/gen/genevents -games 60000 -ids > /tmp/1m.jsonl
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/varcade/statsctl/internal/gen"
)

func main() {
	var o gen.Options
	var products string
	flag.IntVar(&o.Games, "games", 100, "number of games")
	flag.IntVar(&o.Players, "players", 50, "distinct players")
	flag.Uint64Var(&o.Seed, "seed", 1, "random seed")
	flag.StringVar(&products, "products", "exrps", "comma-separated products")
	flag.BoolVar(&o.IDs, "ids", false, "give every event an id")
	flag.IntVar(&o.BadEvery, "bad-every", 0, "mix in a broken line about once every N events")
	flag.Parse()
	o.Products = strings.Split(products, ",")
	lines, bad, err := gen.WriteJSONL(os.Stdout, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genevents:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "genevents: %d lines (%d bad)\n", lines, bad)
}
