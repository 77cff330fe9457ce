package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// RankedList writes a ranked list of players (a friends list, a clan) in
// opts.Format, its scores as the board of spec shows them (a value board's
// format in tables, its exact text for programs), as Board does.
//
// Table: columns IN LIST, RANK (on the whole board), PLAYER, SCORE; players
// not on the board are not rows (the command names them on stderr). JSON:
// {"total", "entries": [{"list_rank", "rank", "user_id", "score"}],
// "absent": [ids]}. CSV: list_rank,rank,user_id,score, absent players last
// with empty ranks and score.
func RankedList(w io.Writer, l store.RankedList, spec handler.Spec, opts Options) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		err = rankedJSON(&buf, l)
	case FormatCSV:
		rows := make([][]string, 0, len(l.Entries)+len(l.Absent))
		for _, e := range l.Entries {
			rows = append(rows, []string{strconv.FormatInt(e.ListRank, 10), strconv.FormatInt(e.Rank, 10), e.UserID, rawScore(e.Entry)})
		}
		for _, u := range l.Absent {
			rows = append(rows, []string{"", "", u, ""})
		}
		err = writeCSV(&buf, []string{"list_rank", "rank", "user_id", "score"}, rows)
	default:
		rows := make([][]string, 0, len(l.Entries))
		for _, e := range l.Entries {
			rows = append(rows, []string{strconv.FormatInt(e.ListRank, 10), strconv.FormatInt(e.Rank, 10), printable(e.UserID), DisplayValue(e.Entry, spec)})
		}
		err = writeTable(&buf, tableSpec{
			header: []string{"IN LIST", "RANK", "PLAYER", "SCORE"},
			aligns: []tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignRight},
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

type rankedEntryJSON struct {
	ListRank int64       `json:"list_rank"`
	Rank     int64       `json:"rank"`
	UserID   string      `json:"user_id"`
	Score    json.Number `json:"score"`
}

func rankedJSON(w io.Writer, l store.RankedList) error {
	out := struct {
		Total   int64             `json:"total"`
		Entries []rankedEntryJSON `json:"entries"`
		Absent  []string          `json:"absent"`
	}{Total: l.Total, Entries: make([]rankedEntryJSON, 0, len(l.Entries)), Absent: append([]string{}, l.Absent...)}
	for _, e := range l.Entries {
		if e.Value == "" && (math.IsInf(e.Score, 0) || math.IsNaN(e.Score)) {
			return fmt.Errorf("render: score %v of %q cannot be represented in JSON", e.Score, e.UserID)
		}
		out.Entries = append(out.Entries, rankedEntryJSON{e.ListRank, e.Rank, e.UserID, json.Number(rawScore(e.Entry))})
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
