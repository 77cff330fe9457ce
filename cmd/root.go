// Package cmd holds the statsctl command tree: the root command, its global
// flags, and the mapping from errors to exit codes.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/cmd/admin"
	"github.com/varcade/statsctl/cmd/configcmd"
	"github.com/varcade/statsctl/cmd/consume"
	"github.com/varcade/statsctl/cmd/leaderboard"
	"github.com/varcade/statsctl/cmd/migrate"
	"github.com/varcade/statsctl/cmd/predict"
	"github.com/varcade/statsctl/cmd/rebuild"
	"github.com/varcade/statsctl/cmd/record"
	"github.com/varcade/statsctl/cmd/serve"
	"github.com/varcade/statsctl/cmd/standingscmd"
	"github.com/varcade/statsctl/cmd/stats"
	"github.com/varcade/statsctl/cmd/track"
	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/render"
	"github.com/varcade/statsctl/internal/store"
)

// Version is set at build time (-ldflags "-X github.com/varcade/statsctl/cmd.Version=...").
var Version = "dev"

// NewRoot builds the command tree over a factory; tests build it with
// buffers and a chosen environment.
func NewRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "statsctl",
		Short: "Leaderboards and player statistics from a stream of game events",
		Long: `statsctl turns the game event stream (Redis stream game_event_stream) into
per-game leaderboards and per-player statistics, and serves them.

With no Redis configured (--redis, STATSCTL_REDIS_URL or STATS_TRACKER_REDIS_URL)
it runs on an embedded store kept in --data-dir, so it works on a fresh machine.`,
		Version:       Version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	pf.StringVar(&f.Flags.RedisURL, "redis", "", "stats Redis URL, e.g. redis://localhost:6379/0 or redis://h1:7000,h2:7001 for a cluster (env "+cmdutil.EnvRedisURL+", "+cmdutil.EnvLegacyRedisURL+"; default: embedded store)")
	pf.StringVar(&f.Flags.Namespace, "namespace", store.DefaultNamespace, "prefix of every Redis key statsctl writes")
	cmdutil.PersistentStringEnumFlag(root, &f.Flags.Output, "output", "o", string(render.FormatTable), cmdutil.Enum{Choices: formats()}, "output format")
	pf.BoolVar(&f.Flags.NoColor, "no-color", false, "plain output without colors (also: NO_COLOR env)")
	pf.StringVar(&f.Flags.Config, "config", "", "games configuration file: products, boards, stats rules (env "+cmdutil.EnvConfig+"; default: built-in games)")
	_ = root.MarkPersistentFlagFilename("config", "yaml", "yml")
	// A bad games config is refused at start, before anything is opened.
	root.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		// The key layout is checked here once, for every command.
		if err := store.CheckNamespace(f.Flags.Namespace); err != nil {
			return &cmdutil.UsageError{Err: fmt.Errorf("--namespace: %w", err)}
		}
		if f.ConfigPath() == "" || c.Name() == "check" || c.Name() == "help" || c.Name() == "version" || strings.HasPrefix(c.Name(), "__complete") || c.Parent() != nil && c.Parent().Name() == "completion" {
			return nil
		}
		_, err := f.Registry()
		return err
	}
	pf.StringVar(&f.Flags.DataDir, "data-dir", "", "directory of the embedded store (env "+cmdutil.EnvDataDir+"; default $XDG_DATA_HOME/statsctl)")
	_ = root.MarkPersistentFlagDirname("data-dir")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.UsageError{Err: err}
	})
	root.AddCommand(
		record.NewCmd(f),
		track.NewCmd(f),
		leaderboard.NewCmd(f, nil),
		standingscmd.NewCmd(f, nil),
		stats.NewCmd(f, nil),
		consume.NewCmd(f, nil),
		serve.NewCmd(f, nil, consume.InProcess),
		configcmd.NewCmd(f),
		rebuild.NewCmd(f, nil),
		migrate.NewCmd(f),
		predict.NewCmd(f, nil),
		admin.NewCmd(f, nil),
	)
	return root
}

// Main runs statsctl with args and returns the process exit code: 0 ok,
// 1 failure, 2 usage. SIGINT and SIGTERM cancel the command's context so
// long-running commands stop cleanly.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, cmdutil.IOStreams{In: stdin, Out: stdout, Err: stderr}, os.LookupEnv)
}

// Run is Main with the context and environment injected, for tests.
func Run(ctx context.Context, args []string, io cmdutil.IOStreams, getenv func(string) (string, bool)) int {
	f := cmdutil.New(io, getenv)
	root := NewRoot(f)
	root.SetArgs(args)
	root.SetIn(io.In)
	root.SetOut(io.Out)
	root.SetErr(io.Err)
	err := root.ExecuteContext(ctx)
	if cerr := f.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("close: %w", cerr)
	}
	return exitCode(err, io.Err)
}

// formats are the values of -o, as render names them.
func formats() []string {
	var names []string
	for _, fm := range render.Formats() {
		names = append(names, string(fm))
	}
	return names
}

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return cmdutil.ExitOK
	}
	var silent *cmdutil.SilentError
	if errors.As(err, &silent) {
		return silent.Code
	}
	if cmdutil.IsUsage(err) || isCobraUsage(err) {
		fmt.Fprintf(stderr, "statsctl: %v\nRun 'statsctl --help' for usage.\n", err)
		return cmdutil.ExitUsage
	}
	fmt.Fprintf(stderr, "statsctl: %v\n", err)
	return cmdutil.ExitFailure
}

// isCobraUsage recognises cobra's own usage errors (unknown command or flag),
// which it returns as plain errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
