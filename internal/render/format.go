// Package render turns leaderboards and player stats into output: aligned,
// optionally coloured tables for people at a terminal, and JSON or CSV for
// programs. It holds no global mutable state; every function writes to the
// io.Writer it is given, so commands and tests decide where output goes.
package render

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// Format names an output encoding; it is what the CLI's -o flag selects.
type Format string

// The supported output formats. Table is for people, JSON and CSV are stable
// encodings for programs and scripts.
const (
	FormatTable Format = "table"
	FormatJSON  Format = "json"
	FormatCSV   Format = "csv"
)

// Formats lists the valid formats in the order help text should show them,
// so flag descriptions and error messages never drift from what is accepted.
func Formats() []Format {
	return []Format{FormatTable, FormatJSON, FormatCSV}
}

// ErrUnknownFormat is wrapped by ParseFormat's error so the CLI can recognise
// a usage mistake with errors.Is and exit with status 2.
var ErrUnknownFormat = errors.New("unknown output format")

// ParseFormat validates a user-supplied -o value. The empty string means the
// default (table) so an unset flag needs no special casing; matching ignores
// case and surrounding space. Unknown values yield an error, wrapping
// ErrUnknownFormat, that lists the valid choices.
func ParseFormat(s string) (Format, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	if v == "" {
		return FormatTable, nil
	}
	for _, f := range Formats() {
		if v == string(f) {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("%w %q (valid: %s)", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// Options carries the caller's rendering decisions so the render functions
// never consult the environment themselves. A zero Options renders a plain
// table.
type Options struct {
	// Format selects the encoding; "" means FormatTable.
	Format Format
	// Color enables ANSI styling of tables; decide it with ColorEnabled.
	// JSON and CSV ignore it: programs never get escape codes.
	Color bool
}

// format resolves the zero value to the table default and rejects values
// that did not come through ParseFormat.
func (o Options) format() (Format, error) {
	if o.Format == "" {
		return FormatTable, nil
	}
	return ParseFormat(string(o.Format))
}

// ColorEnabled decides whether table output may carry ANSI styling. Colour is
// off if the user passed --no-color (noColorFlag), if NO_COLOR is set to a
// non-empty value (https://no-color.org), if TERM=dumb, or if w is not a
// terminal (pipes and files get plain text). getenv is injected so tests need
// not mutate the process environment; nil means os.LookupEnv.
func ColorEnabled(w io.Writer, noColorFlag bool, getenv func(string) (string, bool)) bool {
	if noColorFlag {
		return false
	}
	if getenv == nil {
		getenv = os.LookupEnv
	}
	if v, ok := getenv("NO_COLOR"); ok && v != "" {
		return false
	}
	if v, ok := getenv("TERM"); ok && v == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is an interactive terminal. Only an *os.File
// can be one; buffers, pipes wrapped in other writers and files are not, which
// is what makes output plain when redirected. The CLI also uses it on stderr
// to decide whether to show replay progress.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}
