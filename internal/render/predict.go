package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/predict"
)

// jsonPrediction is predict.Result as `-o json` and the v1 API write it
// (the tags are the public contract).
type jsonPrediction struct {
	Product string     `json:"product"`
	Board   string     `json:"board"`
	Teams   []jsonTeam `json:"teams"`
	Draw    *float64   `json:"draw"` // null: the model has no draw probability
	Quality float64    `json:"quality"`
}

type jsonTeam struct {
	Players []string `json:"players"`
	Rating  float64  `json:"rating"`
	Win     float64  `json:"win"`
}

// PredictionJSON is the JSON document of a prediction, shared by the CLI
// and the v1 API so both speak the same shape.
func PredictionJSON(r predict.Result) ([]byte, error) {
	out := jsonPrediction{Product: r.Product, Board: r.Board, Quality: r.Quality}
	if r.HasDraw {
		d := r.Draw
		out.Draw = &d
	}
	for i, t := range r.Teams {
		out.Teams = append(out.Teams, jsonTeam{Players: t, Rating: r.Ratings[i], Win: r.Win[i]})
	}
	return json.Marshal(out)
}

// Prediction writes a prediction to w in opts.Format.
//
// Table: one row per team (TEAM, PLAYERS, RATING, WIN as a percentage),
// then the draw probability (when the model has one) and the match
// quality. JSON: PredictionJSON's document. CSV: header
// team,players,rating,win,draw,quality, one row per team, players joined by
// spaces, draw empty when the model has none.
func Prediction(w io.Writer, r predict.Result, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	draw := ""
	if r.HasDraw {
		draw = strconv.FormatFloat(r.Draw, 'f', -1, 64)
	}
	switch f {
	case FormatJSON:
		b, err := PredictionJSON(r)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
	case FormatCSV:
		rows := make([][]string, 0, len(r.Teams))
		for i, t := range r.Teams {
			rows = append(rows, []string{strconv.Itoa(i + 1), strings.Join(t, " "), strconv.FormatFloat(r.Ratings[i], 'f', -1, 64),
				strconv.FormatFloat(r.Win[i], 'f', -1, 64), draw, strconv.FormatFloat(r.Quality, 'f', -1, 64)})
		}
		err = writeCSV(&buf, []string{"team", "players", "rating", "win", "draw", "quality"}, rows)
	default:
		rows := make([][]string, 0, len(r.Teams))
		for i, t := range r.Teams {
			ps := make([]string, len(t))
			for j, u := range t {
				ps[j] = printable(u)
			}
			rows = append(rows, []string{strconv.Itoa(i + 1), strings.Join(ps, ", "), strconv.FormatFloat(r.Ratings[i], 'f', 2, 64), percent(r.Win[i])})
		}
		err = writeTable(&buf, tableSpec{
			header: []string{"TEAM", "PLAYERS", "RATING", "WIN"},
			aligns: []tw.Align{tw.AlignRight, tw.AlignLeft, tw.AlignRight, tw.AlignRight},
			rows:   rows,
			color:  opts.Color,
		})
		if r.HasDraw {
			fmt.Fprintf(&buf, "draw: %s\n", percent(r.Draw))
		}
		fmt.Fprintf(&buf, "match quality: %.3f (0 to 1, higher is more even)\n", r.Quality)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func percent(p float64) string { return strconv.FormatFloat(100*p, 'f', 1, 64) + "%" }
