// Command statsctl turns a Redis stream of game events into leaderboards and
// player statistics, and serves them to people and programs.
package main

import (
	"os"

	"github.com/varcade/statsctl/cmd"
)

func main() {
	os.Exit(cmd.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
