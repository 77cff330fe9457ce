package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/guptarohit/asciigraph"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/store"
)

// PeriodPointJSON is one period of a periodic board's history as -o json
// and the v1 API give it: rank and score are null in a period the player
// has no entry in.
type PeriodPointJSON struct {
	Period   string       `json:"period"`
	Instance string       `json:"instance"`
	Start    string       `json:"start"`
	End      string       `json:"end"`
	Closed   bool         `json:"closed"`
	Current  bool         `json:"current"`
	Rank     *int64       `json:"rank"`
	Score    *json.Number `json:"score"`
	Players  int64        `json:"players"`
}

// PeriodPoints is the JSON form of a periodic board's history, shared by
// the CLI and the v1 API so both say the same. Times are RFC 3339 in the
// board's zone.
func PeriodPoints(ps []store.PeriodPoint) ([]PeriodPointJSON, error) {
	out := make([]PeriodPointJSON, 0, len(ps))
	for _, p := range ps {
		j := PeriodPointJSON{Period: p.Period, Instance: p.Instance, Start: p.Start.Format(time.RFC3339), End: p.End.Format(time.RFC3339),
			Closed: p.Closed, Current: p.Current, Players: p.Total}
		if p.Rank > 0 {
			if math.IsInf(p.Score, 0) || math.IsNaN(p.Score) {
				return nil, fmt.Errorf("render: history score %v of %s cannot be encoded", p.Score, p.Instance)
			}
			r, sc := p.Rank, json.Number(periodScore(p, fullScore))
			j.Rank, j.Score = &r, &sc
		}
		out = append(out, j)
	}
	return out, nil
}

func periodScore(p store.PeriodPoint, format func(float64) string) string {
	if p.Value != "" {
		return p.Value
	}
	return format(p.Score)
}

func periodStatus(p store.PeriodPoint) string {
	switch {
	case p.Closed:
		return "closed"
	case p.Current:
		return "live"
	}
	return "ended" // past its end, not closed yet (grace, or no closer ran)
}

// PeriodHistory writes a player's history on a periodic board, one point
// per kept period, oldest first, in opts.Format.
//
// Table: a title line, an asciigraph chart of the rank per period (up is
// better; a gap where the player has no entry), then a table PERIOD,
// STARTS, STATUS (closed, live, ended), RANK, SCORE, PLAYERS. JSON: an
// array of PeriodPointJSON. CSV: header
// period,instance,start,end,closed,current,rank,score,players (rank and
// score empty where the player has no entry).
func PeriodHistory(w io.Writer, title string, points []store.PeriodPoint, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	js, err := PeriodPoints(points)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err = enc.Encode(js)
	case FormatCSV:
		rows := make([][]string, 0, len(js))
		for _, p := range js {
			rank, score := "", ""
			if p.Rank != nil {
				rank, score = strconv.FormatInt(*p.Rank, 10), p.Score.String()
			}
			rows = append(rows, []string{p.Period, p.Instance, p.Start, p.End, strconv.FormatBool(p.Closed), strconv.FormatBool(p.Current),
				rank, score, strconv.FormatInt(p.Players, 10)})
		}
		err = writeCSV(&buf, []string{"period", "instance", "start", "end", "closed", "current", "rank", "score", "players"}, rows)
	default:
		err = periodChart(&buf, printable(title), points, opts.Color)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func periodChart(buf *bytes.Buffer, title string, points []store.PeriodPoint, color bool) error {
	bold, series, caption, style := chartStyles(color)
	ranked := 0
	data := make([]float64, len(points))
	for i, p := range points {
		data[i] = math.NaN()
		if p.Rank > 0 {
			data[i] = -float64(p.Rank) // up is better
			ranked++
		}
	}
	buf.WriteString(style(bold, fmt.Sprintf("%s: rank in %d of %d kept periods", title, ranked, len(points))) + "\n")
	if ranked > 0 {
		if len(data) == 1 {
			data = []float64{data[0], data[0]}
		}
		plot := asciigraph.Plot(data, asciigraph.Height(min(chartHeight, max(2, rankSpan(points)))),
			asciigraph.Width(min(max(6*len(data), 2), chartMaxWidth)),
			asciigraph.YAxisValueFormatter(func(v float64) string { return fmt.Sprintf("#%.0f", -v) }))
		buf.WriteString(style(series, plot) + "\n")
		buf.WriteString(style(caption, fmt.Sprintf("%s  →  %s   rank per period, best at the top", points[0].Period, points[len(points)-1].Period)) + "\n")
	}
	cells := make([][]string, 0, len(points))
	for _, p := range points {
		rank, score := "-", "-"
		if p.Rank > 0 {
			rank, score = strconv.FormatInt(p.Rank, 10), periodScore(p, tableScore)
		}
		cells = append(cells, []string{p.Period, p.Start.Format("2006-01-02 15:04 MST"), periodStatus(p), rank, score, strconv.FormatInt(p.Total, 10)})
	}
	if len(cells) == 0 {
		buf.WriteString("(no periods kept yet)\n")
		return nil
	}
	return writeTable(buf, tableSpec{
		header: []string{"PERIOD", "STARTS", "STATUS", "RANK", "SCORE", "PLAYERS"},
		aligns: []tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignRight},
		rows:   cells, color: color,
	})
}

// rankSpan is how many ranks the chart must tell apart (its height).
func rankSpan(points []store.PeriodPoint) int {
	lo, hi := int64(0), int64(0)
	for _, p := range points {
		if p.Rank > 0 && (lo == 0 || p.Rank < lo) {
			lo = p.Rank
		}
		hi = max(hi, p.Rank)
	}
	return int(hi - lo)
}
