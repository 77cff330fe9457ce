package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"
	"github.com/muesli/termenv"

	"github.com/varcade/statsctl/internal/store"
)

// Chart size: tall enough to read a trend, narrow enough for an 80-column
// terminal with the axis labels.
const (
	chartHeight   = 10
	chartMaxWidth = 64
	colorSeries   = "81"
	colorCaption  = "245"
)

// History writes a player's history on one all-time board (the score
// after each game, oldest point first) in opts.Format.
//
// Table: a title line, an asciigraph line chart of the scores (one column
// per point up to 64, interpolated beyond), the first and last point's
// times under it; styled with lipgloss when opts.Color. JSON: an array of
// {"at","at_ms","score"} objects ([] when empty). CSV: header
// at,at_ms,score. Times are UTC, RFC 3339 with milliseconds.
func History(w io.Writer, title string, points []store.Point, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	for _, p := range points {
		if math.IsInf(p.Score, 0) || math.IsNaN(p.Score) {
			return fmt.Errorf("render: history score %v cannot be drawn or encoded", p.Score)
		}
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		type jsonPoint struct {
			At    string      `json:"at"`
			AtMS  int64       `json:"at_ms"`
			Score json.Number `json:"score"`
		}
		out := make([]jsonPoint, 0, len(points))
		for _, p := range points {
			out = append(out, jsonPoint{At: pointTime(p.At), AtMS: p.At, Score: json.Number(fullScore(p.Score))})
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err = enc.Encode(out)
	case FormatCSV:
		rows := make([][]string, 0, len(points))
		for _, p := range points {
			rows = append(rows, []string{pointTime(p.At), strconv.FormatInt(p.At, 10), fullScore(p.Score)})
		}
		err = writeCSV(&buf, []string{"at", "at_ms", "score"}, rows)
	default:
		historyChart(&buf, printable(title), points, opts.Color)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func pointTime(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// chartStyles are the chart's lipgloss styles (title, series, caption)
// and how to apply one: plain text when color is off.
func chartStyles(color bool) (bold, series, caption lipgloss.Style, style func(lipgloss.Style, string) string) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.ANSI256)
	bold, series, caption = r.NewStyle().Bold(true), r.NewStyle().Foreground(lipgloss.Color(colorSeries)), r.NewStyle().Foreground(lipgloss.Color(colorCaption))
	style = func(s lipgloss.Style, text string) string {
		if !color {
			return text
		}
		return s.Render(text)
	}
	return bold, series, caption, style
}

func historyChart(buf *bytes.Buffer, title string, points []store.Point, color bool) {
	bold, series, caption, style := chartStyles(color)
	games := make([]float64, 0, len(points))
	for _, p := range points {
		games = append(games, p.Score)
	}
	buf.WriteString(style(bold, fmt.Sprintf("%s: %d points", title, len(points))) + "\n")
	if len(games) > 0 {
		data := games
		if len(data) == 1 {
			data = []float64{data[0], data[0]} // a flat line, not an empty plot
		}
		prec := uint(0)
		for _, v := range data {
			if v != math.Trunc(v) {
				prec = 2
			}
		}
		width := min(max(len(data), 2), chartMaxWidth)
		plot := asciigraph.Plot(data, asciigraph.Height(chartHeight), asciigraph.Width(width), asciigraph.Precision(prec))
		buf.WriteString(style(series, plot) + "\n")
		first, last := points[0], points[len(points)-1]
		axis := fmt.Sprintf("%s  →  %s   latest %s", shortTime(first.At), shortTime(last.At), tableScore(games[len(games)-1]))
		buf.WriteString(style(caption, axis) + "\n")
	}
	if len(points) == 0 {
		buf.WriteString("(no points yet)\n")
	}
}

func shortTime(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04 UTC") }
