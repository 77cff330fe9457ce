package serve

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/varcade/statsctl/internal/cmdutil"
)

// Flags reach the options; the environment fills what the flags leave.
func TestServeFlags(t *testing.T) {
	env := map[string]string{cmdutil.EnvWriteToken: "0123456789abcdef", cmdutil.EnvListen: ":5000"}
	f := cmdutil.New(cmdutil.IOStreams{}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	var got *Options
	noTask := func(context.Context, *cmdutil.Factory, *slog.Logger, prometheus.Registerer) (*Task, error) {
		return nil, nil
	}
	c := NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil }, noTask)
	c.SetArgs([]string{"--cache-ttl", "0", "--log-format", "json", "--access-log=false", "--save-interval", "1m"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.f != f || len(got.tasks) != 1 || got.listen != ":5000" || got.writeToken != "0123456789abcdef" || got.cacheTTL != 0 ||
		got.logFormat != "json" || got.accessLog || got.saveInterval != time.Minute ||
		got.redisMaxConns != 1000 {
		t.Fatalf("options %+v", got)
	}
	c = NewCmd(f, func(_ context.Context, o *Options) error { got = o; return nil })
	c.SetArgs([]string{"--listen", "127.0.0.1:1", "--write-token", ""})
	if err := c.Execute(); err != nil || got.listen != "127.0.0.1:1" || got.writeToken != "" {
		t.Fatalf("flags over env: %v %+v", err, got)
	}
}
