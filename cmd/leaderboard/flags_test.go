package leaderboard_test

import (
	"context"
	"testing"

	"github.com/varcade/statsctl/cmd/leaderboard"
	"github.com/varcade/statsctl/internal/cmdutil"
)

// Flags and the argument reach the options; bad combinations stop before
// the run, and nothing is opened to check them.
func TestLeaderboardFlags(t *testing.T) {
	f := cmdutil.New(cmdutil.IOStreams{}, func(string) (string, bool) { return "", false })
	var got *leaderboard.Options
	c := leaderboard.NewCmd(f, func(_ context.Context, o *leaderboard.Options) error { got = o; return nil })
	c.SetArgs([]string{"exrps", "--board", "elo", "--limit", "0", "--around", "u42"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Product != "exrps" || got.Board != "elo" || got.Limit != 0 || got.Offset != 0 || got.Around != "u42" {
		t.Fatalf("options %+v", got)
	}
	for _, args := range [][]string{{"exrps", "--around", "u1", "--offset", "3"}, {"exrps", "--limit", "-1"}, {"bad product"}} {
		got = nil
		c = leaderboard.NewCmd(f, func(_ context.Context, o *leaderboard.Options) error { got = o; return nil })
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); !cmdutil.IsUsage(err) || got != nil {
			t.Errorf("%v: %v (ran: %v), want a usage error before the run", args, err, got != nil)
		}
	}
}
