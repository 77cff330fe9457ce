// Package configcmd is `statsctl config`: work with the games configuration
// file without starting anything.
package configcmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/config"
	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/render"
)

// NewCmd builds `config` and its `check` subcommand.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Check the games configuration (products, boards, stats rules)",
	}
	c.AddCommand(&cobra.Command{
		Use:   "check FILE",
		Short: "Validate a games config file; exit 0 if it is good, 1 with every problem listed if not",
		Example: `  statsctl config check testdata/config/statsctl.yaml
  statsctl config check games.yaml -o json`,
		Args: cmdutil.ExactArgs(1, "FILE"),
		RunE: func(c *cobra.Command, args []string) error { return check(f, args[0]) },
	})
	return c
}

type report struct {
	File     string            `json:"file"`
	OK       bool              `json:"ok"`
	Problems []string          `json:"problems,omitempty"`
	Products map[string]string `json:"products,omitempty"`
}

func check(f *cmdutil.Factory, path string) error {
	fm, err := f.Format()
	if err != nil {
		return err
	}
	rep := report{File: path, Products: map[string]string{}}
	cfg, err := config.Load(path)
	if err == nil {
		_, err = cfg.Registry()
	}
	if err != nil {
		var joined interface{ Unwrap() []error }
		if errors.As(err, &joined) {
			for _, e := range joined.Unwrap() {
				rep.Problems = append(rep.Problems, e.Error())
			}
		} else {
			rep.Problems = []string{err.Error()}
		}
	} else {
		rep.OK = true
		for name, p := range cfg.Products {
			rep.Products[name] = describe(p, cfg.Rules[name])
		}
		rep.Products["(default)"] = describe(cfg.Default, cfg.Rules["(default)"])
	}
	if fm == render.FormatJSON {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else if rep.OK {
		fmt.Fprintf(f.IO.Out, "%s: ok\n", path)
		names := make([]string, 0, len(rep.Products))
		for n := range rep.Products {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(f.IO.Out, "  %s: %s\n", n, rep.Products[n])
		}
	} else {
		for _, p := range rep.Problems {
			fmt.Fprintln(f.IO.Err, p)
		}
		fmt.Fprintf(f.IO.Err, "%s: %s; nothing was started\n", path, cmdutil.Plural(int64(len(rep.Problems)), "problem", "problems"))
	}
	if !rep.OK {
		return &cmdutil.SilentError{Code: cmdutil.ExitFailure}
	}
	return nil
}

func describe(p handler.Product, rules int) string {
	var boards []string
	for _, b := range p.Boards {
		boards = append(boards, b.Name+" ("+scorer(b.Scorer)+")")
	}
	return fmt.Sprintf("boards %s; %s", strings.Join(boards, ", "), cmdutil.Plural(int64(rules), "stats rule", "stats rules"))
}

func scorer(h handler.Handler) string {
	switch s := h.(type) {
	case handler.Wins:
		return "wins"
	case handler.Elo:
		k := "fide"
		if s.K > 0 {
			k = fmt.Sprint(s.K)
		}
		return fmt.Sprintf("elo, k %s, initial %v", k, s.Initial)
	case handler.Glicko2:
		by := "rating"
		if s.Conservative {
			by = "rating-2RD"
		}
		return fmt.Sprintf("glicko2, tau %v, period %v, rank by %s", s.Tau, s.Period, by)
	case handler.OpenSkill:
		return s.Summary()
	case handler.Value:
		return fmt.Sprintf("value, %s of %s, %s, ties %s", s.Op, s.Field, s.Order, s.Ties)
	}
	return fmt.Sprintf("%T", h)
}
