package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// Board writes a board's entries read by spec: like Leaderboard, plus the
// board's display format for people (a lap time as 1:02.345) and one
// column per metadata field the board keeps. JSON and CSV keep the raw
// value, exact (a value board's decimal text), JSON with a "meta" object
// on entries that have one. A board with the zero spec renders exactly as
// Leaderboard does.
func Board(w io.Writer, entries []store.Entry, spec handler.Spec, opts Options) error {
	if plainSpec(spec) {
		return Leaderboard(w, entries, opts)
	}
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		err = boardJSON(&buf, entries)
	case FormatCSV:
		rows := make([][]string, 0, len(entries))
		for _, e := range entries {
			rows = append(rows, boardCSVRow(e, spec))
		}
		err = writeCSV(&buf, boardCSVHeader(spec), rows)
	default:
		header := []string{"RANK", "PLAYER", "SCORE"}
		aligns := []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight}
		for _, m := range spec.Meta {
			header = append(header, strings.ToUpper(m))
			aligns = append(aligns, tw.AlignLeft)
		}
		rows := make([][]string, 0, len(entries))
		for _, e := range entries {
			row := []string{strconv.FormatInt(e.Rank, 10), printable(e.UserID), DisplayValue(e, spec)}
			for _, m := range spec.Meta {
				row = append(row, printable(e.Meta[m]))
			}
			rows = append(rows, row)
		}
		err = writeTable(&buf, tableSpec{header: header, aligns: aligns, rows: rows, color: opts.Color, rowStyles: podium(entries, opts.Color)})
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func podium(entries []store.Entry, color bool) []*lipgloss.Style {
	if !color {
		return nil
	}
	pal := newPalette()
	out := make([]*lipgloss.Style, len(entries))
	for i, e := range entries {
		if s, ok := pal.podium[e.Rank]; ok {
			out[i] = &s
		}
	}
	return out
}

type boardEntryJSON struct {
	Rank   int64             `json:"rank"`
	UserID string            `json:"user_id"`
	Score  json.Number       `json:"score"`
	Meta   map[string]string `json:"meta,omitempty"`
}

// boardEntry is one entry as a value or metadata board's `-o json` writes
// it, whether in one array (Board) or streamed (LeaderboardStream).
func boardEntry(e store.Entry) (boardEntryJSON, error) {
	if e.Value == "" && (math.IsInf(e.Score, 0) || math.IsNaN(e.Score)) {
		return boardEntryJSON{}, fmt.Errorf("render: score %v of %q cannot be represented in JSON", e.Score, e.UserID)
	}
	return boardEntryJSON{Rank: e.Rank, UserID: e.UserID, Score: json.Number(rawScore(e)), Meta: e.Meta}, nil
}

// boardCSVHeader and boardCSVRow are a board's CSV: rank, user, the exact
// score, then one column per metadata field the board keeps.
func boardCSVHeader(spec handler.Spec) []string {
	return append([]string{"rank", "user_id", "score"}, spec.Meta...)
}

func boardCSVRow(e store.Entry, spec handler.Spec) []string {
	row := []string{strconv.FormatInt(e.Rank, 10), e.UserID, rawScore(e)}
	for _, m := range spec.Meta {
		row = append(row, e.Meta[m])
	}
	return row
}

// plainSpec reports whether a board of spec renders exactly as
// Leaderboard does.
func plainSpec(spec handler.Spec) bool {
	return !spec.Fixed && spec.Format == handler.FormatAuto && len(spec.Meta) == 0
}

func boardJSON(w io.Writer, entries []store.Entry) error {
	out := make([]boardEntryJSON, 0, len(entries))
	for _, e := range entries {
		je, err := boardEntry(e)
		if err != nil {
			return err
		}
		out = append(out, je)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

// rawScore is the score for programs: a value board's exact text, else
// the shortest round-trip form.
func rawScore(e store.Entry) string {
	if e.Value != "" {
		return e.Value
	}
	return fullScore(e.Score)
}

// DisplayValue is an entry's score as people read it on a board of spec.
func DisplayValue(e store.Entry, spec handler.Spec) string {
	f := e.Score
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return tableScore(f)
	}
	switch spec.Format {
	case handler.FormatInteger:
		return tableScore(math.Round(f))
	case handler.FormatDecimal:
		return strconv.FormatFloat(f, 'f', spec.Scale, 64)
	case handler.FormatDurationMs:
		return duration(int64(math.Round(f)), 3)
	case handler.FormatDurationS:
		return duration(int64(math.Round(f*1000)), 3)
	}
	if e.Value != "" && f != math.Trunc(f) {
		return e.Value
	}
	return tableScore(f)
}

// duration writes ms as [h:]m:ss.mmm.
func duration(ms int64, digits int) string {
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	h, rest := ms/3_600_000, ms%3_600_000
	m, rest := rest/60_000, rest%60_000
	s, milli := rest/1000, rest%1000
	frac := ""
	if digits > 0 {
		frac = fmt.Sprintf(".%03d", milli)
	}
	if h > 0 {
		return fmt.Sprintf("%s%d:%02d:%02d%s", sign, h, m, s, frac)
	}
	return fmt.Sprintf("%s%d:%02d%s", sign, m, s, frac)
}

// BoardHeader is the line tables for people print above a board that is
// not the default kind of board: what it keeps, its order, ties and
// format ("laps: best of lap_ms, lower is better (asc), ties: first,
// format duration_ms"). "" for a desc, shared, auto-format board that is
// not a value board, whose table reads as it always did.
func BoardHeader(b handler.Board) string {
	s := b.Spec
	v, isValue := b.Scorer.(handler.Value)
	if !isValue && s.Order == handler.Desc && s.Ties == handler.Shared && s.Format == handler.FormatAuto {
		return ""
	}
	parts := []string{}
	if isValue {
		parts = append(parts, v.Op.String()+" of "+v.Field)
	}
	if s.Order == handler.Asc {
		parts = append(parts, "lower is better (asc)")
	} else {
		parts = append(parts, "higher is better (desc)")
	}
	parts = append(parts, "ties: "+s.Ties.String(), "format "+s.Format.String())
	return printable(b.Name) + ": " + strings.Join(parts, ", ")
}
