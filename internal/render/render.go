package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/store"
)

// Stat is one named player statistic. Values stay strings because they come
// verbatim from a Redis hash; the slice order is the display order.
type Stat struct {
	// Name is the hash field, shown as-is and used as the JSON key.
	Name string
	// Value is the raw hash value; only JSON output reinterprets it, as a
	// number when it parses as one.
	Value string
}

// Leaderboard writes entries to w in opts.Format.
//
// Table: columns RANK, PLAYER, SCORE; with opts.Color the header is bold and
// ranks 1-3 are bold gold, silver and bronze; without it the output contains
// no ANSI bytes, and control characters in player ids are shown escaped so
// hostile ids cannot drive the terminal. Scores are integers when integral,
// otherwise rounded to at most two decimals.
//
// JSON: a single-line array of {"rank","user_id","score"} objects ([] when
// empty) with full-precision scores; infinite scores are an error because JSON
// cannot represent them. CSV: header rank,user_id,score then one row per
// entry, full precision.
//
// Output is built in memory and written with one Write, so a failure leaves no
// half-printed table and write errors are returned.
func Leaderboard(w io.Writer, entries []store.Entry, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		err = leaderboardJSON(&buf, entries)
	case FormatCSV:
		rows := make([][]string, 0, len(entries))
		for _, e := range entries {
			rows = append(rows, []string{strconv.FormatInt(e.Rank, 10), e.UserID, fullScore(e.Score)})
		}
		err = writeCSV(&buf, []string{"rank", "user_id", "score"}, rows)
	default:
		err = leaderboardTable(&buf, entries, opts.Color)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Stats writes a player's statistics to w in opts.Format.
//
// Table: columns STAT, VALUE (header bold with opts.Color). JSON: one object
// whose keys keep the given order; a value becomes a JSON number when it
// parses as a finite integer or float, otherwise a string ({} when empty).
// CSV: header stat,value then the values verbatim.
func Stats(w io.Writer, stats []Stat, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		statsJSON(&buf, stats)
	case FormatCSV:
		rows := make([][]string, 0, len(stats))
		for _, s := range stats {
			rows = append(rows, []string{s.Name, s.Value})
		}
		err = writeCSV(&buf, []string{"stat", "value"}, rows)
	default:
		rows := make([][]string, 0, len(stats))
		for _, s := range stats {
			rows = append(rows, []string{printable(s.Name), printable(s.Value)})
		}
		err = writeTable(&buf, tableSpec{
			header: []string{"STAT", "VALUE"},
			aligns: []tw.Align{tw.AlignLeft, tw.AlignLeft},
			rows:   rows,
			color:  opts.Color,
		})
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// ANSI256 colours for the podium; 256-colour support is near universal and
// fixing the profile keeps coloured output byte-for-byte reproducible.
const (
	colorGold   = "220"
	colorSilver = "250"
	colorBronze = "173"
)

// palette holds the styles for one render call. It is built per call from a
// private lipgloss renderer so nothing depends on lipgloss's global renderer
// or on probing the real terminal.
type palette struct {
	header lipgloss.Style
	podium map[int64]lipgloss.Style
}

func newPalette() palette {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	medal := func(c string) lipgloss.Style {
		return r.NewStyle().Bold(true).Foreground(lipgloss.Color(c))
	}
	return palette{
		header: r.NewStyle().Bold(true),
		podium: map[int64]lipgloss.Style{
			1: medal(colorGold),
			2: medal(colorSilver),
			3: medal(colorBronze),
		},
	}
}

func leaderboardTable(w io.Writer, entries []store.Entry, color bool) error {
	rows := make([][]string, 0, len(entries))
	var styles []*lipgloss.Style
	var pal palette
	if color {
		pal = newPalette()
		styles = make([]*lipgloss.Style, 0, len(entries))
	}
	for _, e := range entries {
		rows = append(rows, []string{strconv.FormatInt(e.Rank, 10), printable(e.UserID), tableScore(e.Score)})
		if color {
			var st *lipgloss.Style
			if s, ok := pal.podium[e.Rank]; ok {
				st = &s
			}
			styles = append(styles, st)
		}
	}
	return writeTable(w, tableSpec{
		header:    []string{"RANK", "PLAYER", "SCORE"},
		aligns:    []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight},
		rows:      rows,
		color:     color,
		rowStyles: styles,
	})
}

// tableSpec describes one table independently of tablewriter.
type tableSpec struct {
	header []string
	aligns []tw.Align
	rows   [][]string
	color  bool
	// rowStyles, when non-nil, has one entry per row; nil entries are plain.
	rowStyles []*lipgloss.Style
}

func writeTable(w io.Writer, spec tableSpec) error {
	header := spec.header
	if spec.color {
		pal := newPalette()
		header = make([]string, len(spec.header))
		for i, h := range spec.header {
			header[i] = pal.header.Render(h)
		}
	}
	align := tw.CellAlignment{PerColumn: spec.aligns}
	t := tablewriter.NewTable(w, tablewriter.WithConfig(tablewriter.Config{
		Header: tw.CellConfig{
			// AutoFormat would upper-case the header, escape codes included.
			Formatting: tw.CellFormatting{AutoFormat: tw.Off},
			Alignment:  align,
		},
		Row: tw.CellConfig{Alignment: align},
	}))
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	t.Header(hdr...)
	for i, row := range spec.rows {
		cells := row
		if spec.color && i < len(spec.rowStyles) && spec.rowStyles[i] != nil {
			cells = make([]string, len(row))
			for j, c := range row {
				cells[j] = spec.rowStyles[i].Render(c)
			}
		}
		if err := t.Append(cells); err != nil {
			return fmt.Errorf("render: table row %d: %w", i+1, err)
		}
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("render: table: %w", err)
	}
	return nil
}

// jsonEntry is store.Entry as `-o json` writes it (these tags are the
// public contract; changing them breaks scripts), with carries the score as a pre-formatted number so
// JSON gets strconv's shortest 'f' form (never exponent notation).
type jsonEntry struct {
	Rank   int64       `json:"rank"`
	UserID string      `json:"user_id"`
	Score  json.Number `json:"score"`
}

// toJSONEntry is one entry as `-o json` writes it, whether in one array
// (Leaderboard) or streamed (LeaderboardStream).
func toJSONEntry(e store.Entry) (jsonEntry, error) {
	if math.IsInf(e.Score, 0) || math.IsNaN(e.Score) {
		return jsonEntry{}, fmt.Errorf("render: score %v of %q cannot be represented in JSON", e.Score, e.UserID)
	}
	return jsonEntry{Rank: e.Rank, UserID: e.UserID, Score: json.Number(fullScore(e.Score))}, nil
}

func leaderboardJSON(w io.Writer, entries []store.Entry) error {
	out := make([]jsonEntry, 0, len(entries)) // non-nil: encodes as [] not null
	for _, e := range entries {
		je, err := toJSONEntry(e)
		if err != nil {
			return err
		}
		out = append(out, je)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // user ids are data, not HTML
	return enc.Encode(out)
}

func statsJSON(buf *bytes.Buffer, stats []Stat) {
	buf.WriteByte('{')
	for i, s := range stats {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeJSONString(buf, s.Name)
		buf.WriteByte(':')
		if n, ok := jsonNumber(s.Value); ok {
			buf.WriteString(n)
		} else {
			writeJSONString(buf, s.Value)
		}
	}
	buf.WriteString("}\n")
}

func writeJSONString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // encoding a string into a bytes.Buffer cannot fail
	buf.Truncate(buf.Len() - 1)
}

// jsonNumberLiteral is the JSON grammar for a number (RFC 8259 section 6).
var jsonNumberLiteral = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)

// jsonNumber returns v as a JSON number literal if it parses as a finite
// integer or float. Values that already are valid literals are kept verbatim
// (no precision lost on huge integers or "1.50"); others Go can parse, such as
// "007" or "+5", are canonicalised.
func jsonNumber(v string) (string, bool) {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		if jsonNumberLiteral.MatchString(v) {
			return v, true
		}
		return strconv.FormatInt(i, 10), true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", false
	}
	if jsonNumberLiteral.MatchString(v) {
		return v, true
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

func writeCSV(w io.Writer, header []string, rows [][]string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	if err := cw.WriteAll(rows); err != nil { // WriteAll flushes
		return fmt.Errorf("render: csv: %w", err)
	}
	return nil
}

// fullScore is the lossless score text for programs: shortest representation
// that round-trips, never exponent notation.
func fullScore(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// tableScore is the score text for people: integral scores without decimals,
// others rounded to at most two decimals with trailing zeros dropped.
func tableScore(f float64) string {
	var s string
	switch {
	case math.IsInf(f, 0) || math.IsNaN(f):
		return strconv.FormatFloat(f, 'f', -1, 64) // +Inf, -Inf, NaN
	case f == math.Trunc(f):
		s = strconv.FormatFloat(f, 'f', -1, 64)
	default:
		s = strconv.FormatFloat(f, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" { // -0 itself, or a tiny negative rounded away
		s = "0"
	}
	return s
}

// printable makes text safe to put in a table on a terminal: control
// characters (ESC, newlines, tabs, C1 codes) are shown as \xNN escapes so
// data can neither inject ANSI sequences nor break the table's layout.
func printable(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, `\x%02x`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
