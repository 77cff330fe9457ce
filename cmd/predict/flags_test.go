package predict_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/varcade/statsctl/cmd/predict"
	"github.com/varcade/statsctl/internal/cmdutil"
)

// Teams and the board reach the options; what cannot be a match stops as a
// usage error before anything is opened.
func TestPredictFlags(t *testing.T) {
	f := cmdutil.New(cmdutil.IOStreams{}, func(string) (string, bool) { return "", false })
	var got *predict.Options
	c := predict.NewCmd(f, func(_ context.Context, o *predict.Options) error { got = o; return nil })
	c.SetArgs([]string{"exarena", "--board", "skill", "u1,u2", "u3,u4"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Product != "exarena" || got.Board != "skill" || !reflect.DeepEqual(got.Teams, [][]string{{"u1", "u2"}, {"u3", "u4"}}) {
		t.Fatalf("options %+v", got)
	}
	for _, args := range [][]string{{"exarena", "u1,u2"}, {"exarena", "u1,u2", "u2"}, {"exarena", "u1,", "u2"}, {"bad product", "a", "b"}} {
		got = nil
		c = predict.NewCmd(f, func(_ context.Context, o *predict.Options) error { got = o; return nil })
		c.SetArgs(args)
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); !cmdutil.IsUsage(err) || got != nil {
			t.Errorf("%v: %v (ran: %v), want a usage error before the run", args, err, got != nil)
		}
	}
}
