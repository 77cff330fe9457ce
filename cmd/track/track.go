// Package track is `statsctl track`: apply events by hand or replay JSONL
// files through the same apply path the stream consumer uses.
package track

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/varcade/statsctl/internal/cmdutil"
	"github.com/varcade/statsctl/internal/engine"
	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/render"
)

type options struct {
	files     []string
	strict    bool
	batch     int
	maxErrors int
}

// NewCmd builds the command.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	var o options
	c := &cobra.Command{
		Use:   "track (-f FILE.jsonl ... | PRODUCT key=value ...)",
		Short: "Apply events: replay JSONL files, or one event typed as key=value pairs",
		Long: `Apply events through the same path as the stream consumer.

Each JSONL line is one flat JSON object with the fields of a stream entry
(product_id, game_id, type, ...). Numbers and booleans become their text and
null becomes "null", as the game server sends them. An optional "id" field
identifies the event: replaying a file whose events have ids counts each once.

Bad lines are reported with their line numbers and skipped; --strict checks
the whole input first and writes nothing if any line is bad.`,
		Example: `  statsctl track -f testdata/exrps-sample.jsonl
  cat events.jsonl | statsctl track -f - --strict
  statsctl track exrps type=game_over game_id=g1 winner_id=u1 loser_id=u2`,
		ValidArgsFunction: cmdutil.CompleteProducts(f),
		RunE: func(c *cobra.Command, args []string) error {
			switch {
			case len(o.files) > 0 && len(args) > 0:
				return cmdutil.UsageErrorf("give either -f FILE or PRODUCT key=value..., not both")
			case len(o.files) > 0:
				return replay(c, f, o)
			case len(args) >= 2:
				return one(c, f, args)
			default:
				return cmdutil.UsageErrorf("nothing to track: give -f FILE.jsonl (- for stdin) or PRODUCT key=value...")
			}
		},
	}
	c.Flags().StringArrayVarP(&o.files, "file", "f", nil, "JSONL file of events to replay; repeatable; - reads stdin")
	c.Flags().BoolVar(&o.strict, "strict", false, "check all input first; write nothing if any line is bad")
	c.Flags().IntVar(&o.batch, "batch", engine.DefaultBatchSize, "events per Redis round trip")
	c.Flags().IntVar(&o.maxErrors, "show-errors", 20, "how many bad lines to list on stderr (all are counted)")
	_ = c.MarkFlagFilename("file", "jsonl", "json")
	return c
}

// one applies a single event typed on the command line.
func one(c *cobra.Command, f *cmdutil.Factory, args []string) error {
	product := args[0]
	if err := cmdutil.CheckProduct(product); err != nil {
		return err
	}
	ev, err := event.FromPairs(args[1:])
	if err != nil {
		return cmdutil.UsageErrorf("%v", err)
	}
	if p, ok := ev.Fields[event.FieldProduct]; ok && p != product {
		return cmdutil.UsageErrorf("product_id=%s contradicts PRODUCT %s", p, product)
	}
	ev.Fields[event.FieldProduct] = product
	ev.Src = event.Source{File: "command line"}
	fm, err := f.Format()
	if err != nil {
		return err
	}
	eng, err := f.Engine(c.Context())
	if err != nil {
		return err
	}
	outs, err := eng.Apply(c.Context(), []event.Event{ev})
	if err != nil {
		return fmt.Errorf("track event for %s: %w", product, err)
	}
	o := outs[0]
	if fm == render.FormatJSON {
		if err := json.NewEncoder(f.IO.Out).Encode(map[string]string{"status": o.Status.String(), "reason": o.Reason, "detail": o.Detail}); err != nil {
			return err
		}
	} else {
		msg := o.Status.String()
		switch o.Status {
		case engine.Ignored:
			msg = "ignored: no handler of " + product + " acts on type=" + ev.Type()
		case engine.Duplicate:
			msg = "duplicate: an event with id " + ev.ID + " was applied before; nothing changed"
		case engine.Invalid:
			msg = "invalid: " + o.Detail
		}
		fmt.Fprintln(f.IO.Out, msg)
	}
	if o.Status == engine.Invalid {
		return &cmdutil.SilentError{Code: cmdutil.ExitFailure}
	}
	return nil
}

// replay streams the files through the engine.
func replay(c *cobra.Command, f *cmdutil.Factory, o options) error {
	if o.batch <= 0 {
		return cmdutil.UsageErrorf("--batch must be positive")
	}
	fm, err := f.Format()
	if err != nil {
		return err
	}
	files := o.files
	if o.strict {
		// --strict reads the input twice; stdin is spooled to a file first.
		var cleanup func()
		files, cleanup, err = spoolStdin(f, files)
		if err != nil {
			return err
		}
		defer cleanup()
	}
	src, err := openFiles(f, files)
	if err != nil {
		return err
	}
	ctx := c.Context()
	eng, err := f.Engine(ctx)
	if err != nil {
		src.Close()
		return err
	}
	rep := &reporter{w: f.IO.Err, max: o.maxErrors}
	if o.strict {
		sum, err := eng.Run(ctx, src, engine.RunOptions{BatchSize: o.batch, DryRun: true, OnSkip: rep.skip})
		src.Close()
		if err != nil {
			return err
		}
		if n := sum.ByStatus[engine.Invalid]; n > 0 {
			rep.finish()
			fmt.Fprintf(f.IO.Err, "--strict: %s bad in %d events checked; nothing was written.\n", cmdutil.Plural(n, "line is", "lines are"), sum.Total)
			return &cmdutil.SilentError{Code: cmdutil.ExitFailure}
		}
		if src, err = openFiles(f, files); err != nil {
			return err
		}
	}
	defer src.Close()
	prog := render.NewProgress(f.IO.Err, render.IsTerminal(f.IO.Err), src.Size(), f.Now)
	sum, err := eng.Run(ctx, src, engine.RunOptions{
		BatchSize: o.batch,
		OnSkip:    func(s event.Source, out engine.Outcome) { prog.Done(); rep.skip(s, out) },
		OnBatch:   func(s *engine.Summary, offset int64) { prog.Update(offset, s.Total) },
	})
	prog.Done()
	rep.finish()
	if err != nil {
		if sum != nil && sum.Total > 0 {
			fmt.Fprintf(f.IO.Err, "stopped after %s; events with ids can be replayed safely.\n", sum)
		}
		return err
	}
	return printSummary(f, fm, sum)
}

// reporter lists the first bad lines on stderr and counts the rest.
type reporter struct {
	w     io.Writer
	max   int
	shown int
	extra int
}

func (r *reporter) skip(src event.Source, o engine.Outcome) {
	if r.shown < r.max {
		fmt.Fprintf(r.w, "%s: skipped (%s): %s\n", src, o.Reason, o.Detail)
		r.shown++
		return
	}
	r.extra++
}

func (r *reporter) finish() {
	if r.extra > 0 {
		fmt.Fprintf(r.w, "... and %d more bad lines (raise --show-errors to list them)\n", r.extra)
		r.extra = 0
	}
}

// openFiles is event.OpenFiles with a missing file as a usage error.
func openFiles(f *cmdutil.Factory, names []string) (*event.Files, error) {
	src, err := event.OpenFiles(names, f.IO.In)
	if err != nil {
		return nil, &cmdutil.UsageError{Err: err}
	}
	return src, nil
}

func spoolStdin(f *cmdutil.Factory, files []string) ([]string, func(), error) {
	out := append([]string(nil), files...)
	cleanup := func() {}
	for i, name := range out {
		if name != event.Stdin {
			continue
		}
		tmp, err := os.CreateTemp("", "statsctl-stdin-*.jsonl")
		if err != nil {
			return nil, cleanup, fmt.Errorf("spool stdin for --strict: %w", err)
		}
		if _, err := io.Copy(tmp, f.IO.In); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return nil, cleanup, fmt.Errorf("spool stdin for --strict: %w", err)
		}
		tmp.Close()
		out[i] = tmp.Name()
		cleanup = func() { os.Remove(tmp.Name()) }
		break // stdin can be read once; a second "-" reads nothing
	}
	return out, cleanup, nil
}

type jsonSummary struct {
	Events     int64                       `json:"events"`
	Applied    int64                       `json:"applied"`
	Duplicates int64                       `json:"duplicates"`
	Ignored    int64                       `json:"ignored"`
	Invalid    int64                       `json:"invalid"`
	Reasons    map[string]int64            `json:"invalid_by_reason"`
	Products   map[string]map[string]int64 `json:"by_product"`
}

func printSummary(f *cmdutil.Factory, fm render.Format, s *engine.Summary) error {
	js := jsonSummary{Events: s.Total, Applied: s.ByStatus[engine.Applied], Duplicates: s.ByStatus[engine.Duplicate],
		Ignored: s.ByStatus[engine.Ignored], Invalid: s.ByStatus[engine.Invalid], Reasons: s.ByReason, Products: map[string]map[string]int64{}}
	for p, m := range s.ByProduct {
		pm := map[string]int64{}
		for st, n := range m {
			pm[st.String()] = n
		}
		js.Products[p] = pm
	}
	switch fm {
	case render.FormatJSON:
		return json.NewEncoder(f.IO.Out).Encode(js)
	case render.FormatCSV:
		fmt.Fprintln(f.IO.Out, "product,applied,duplicate,ignored,invalid")
		for _, p := range s.Products() {
			m := s.ByProduct[p]
			fmt.Fprintf(f.IO.Out, "%s,%d,%d,%d,%d\n", p, m[engine.Applied], m[engine.Duplicate], m[engine.Ignored], m[engine.Invalid])
		}
		return nil
	}
	w := f.IO.Out
	fmt.Fprintf(w, "%s: %d applied, %d duplicate, %d ignored, %d invalid\n",
		cmdutil.Plural(s.Total, "event", "events"), js.Applied, js.Duplicates, js.Ignored, js.Invalid)
	if len(s.ByReason) > 0 {
		reasons := s.Reasons()
		fmt.Fprint(w, "  skipped:")
		for i, r := range reasons {
			sep := ","
			if i == 0 {
				sep = ""
			}
			fmt.Fprintf(w, "%s %s %d", sep, r, s.ByReason[r])
		}
		fmt.Fprintln(w)
	}
	products := s.Products()
	sort.Strings(products)
	for _, p := range products {
		m := s.ByProduct[p]
		fmt.Fprintf(w, "  %-12s %s applied, %s duplicate, %s ignored, %s invalid\n", p,
			strconv.FormatInt(m[engine.Applied], 10), strconv.FormatInt(m[engine.Duplicate], 10),
			strconv.FormatInt(m[engine.Ignored], 10), strconv.FormatInt(m[engine.Invalid], 10))
	}
	return nil
}
