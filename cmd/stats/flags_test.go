package stats_test

import (
	"context"
	"testing"

	"github.com/varcade/statsctl/cmd/stats"
	"github.com/varcade/statsctl/internal/cmdutil"
)

// The arguments reach the options, checked before the run.
func TestStatsArgs(t *testing.T) {
	f := cmdutil.New(cmdutil.IOStreams{}, func(string) (string, bool) { return "", false })
	var got *stats.Options
	c := stats.NewCmd(f, func(_ context.Context, o *stats.Options) error { got = o; return nil })
	c.SetArgs([]string{"exrps", "u1"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Product != "exrps" || got.User != "u1" {
		t.Fatalf("options %+v", got)
	}
	got = nil
	c = stats.NewCmd(f, func(_ context.Context, o *stats.Options) error { got = o; return nil })
	c.SetArgs([]string{"exrps", "a\tb"})
	c.SilenceErrors, c.SilenceUsage = true, true
	if err := c.Execute(); !cmdutil.IsUsage(err) || got != nil {
		t.Fatalf("bad user: %v (ran: %v), want a usage error before the run", err, got != nil)
	}
}
