package consume

import (
	"context"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/consumer"
)

// Flags reach the options (and the consumer's configuration); fixed-choice
// flags take their choices in any case, --start also an entry id.
func TestConsumeFlags(t *testing.T) {
	f := cmdutil.New(cmdutil.IOStreams{}, func(string) (string, bool) { return "", false })
	var got *Options
	c := NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
	c.SetArgs([]string{"--stream", "s", "--group", "g", "--start", "1700000000000-5", "--count", "50", "--drain",
		"--stream-redis", "redis://events:6379", "--log-format", "JSON", "--log-level", "debug", "--save-every", "5s", "--metrics-addr", "off"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg := got.cfg
	if got.f != f || cfg.Stream != "s" || cfg.Group != "g" || cfg.Start != "1700000000000-5" || cfg.Count != 50 || !cfg.Drain ||
		got.streamRedis != "redis://events:6379" || got.logFormat != "json" || got.logLevel != "debug" ||
		got.saveEvery != 5*time.Second || got.metricsAddr != "off" {
		t.Fatalf("options %+v", got)
	}
	c = NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
	c.SetArgs([]string{"--start", "legacy"})
	if err := c.Execute(); err != nil || got.cfg.Start != consumer.StartLegacy || got.cfg.Group != consumer.DefaultGroup {
		t.Fatalf("--start legacy: %v %+v", err, got.cfg)
	}
}
