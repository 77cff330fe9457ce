package render

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/varcade/statsctl/internal/store"
)

// Move is how a row of a watched board moved since the watch began, so a
// person sees who climbed and who fell without remembering the first frame.
type Move struct {
	// Kind is "same", "up", "down" or "new" (not in view when the watch
	// began); these words are the JSON/CSV contract.
	Kind string
	// By is the number of places moved for up and down, else 0.
	By int64
}

// MovedEntry is a board row with its movement.
type MovedEntry struct {
	store.Entry
	Move Move
}

// Snapshot is one frame of a watched board: what `leaderboard --watch`
// shows at At. Note is a line for people (a player not yet on the board).
type Snapshot struct {
	At      time.Time
	Title   string
	Total   int64
	Entries []MovedEntry
	Note    string
}

// moveText is the MOVE column for people: arrows with the places moved.
func moveText(m Move) string {
	switch m.Kind {
	case "up":
		return "▲" + strconv.FormatInt(m.By, 10)
	case "down":
		return "▼" + strconv.FormatInt(m.By, 10)
	case "new":
		return "new"
	}
	return "="
}

// ANSI256 colours for movement, fixed like the podium's so coloured output
// is reproducible.
const (
	colorUp   = "42"
	colorDown = "203"
	colorNew  = "81"
)

// WatchTable writes one watched frame's table: RANK, MOVE, PLAYER, SCORE,
// the podium coloured as in Leaderboard and the MOVE cell green up, red
// down, cyan new when opts.Color. Ids are escaped as in every table.
func WatchTable(w io.Writer, entries []MovedEntry, color bool) error {
	rows := make([][]string, 0, len(entries))
	var pal palette
	var moves map[string]lipgloss.Style
	if color {
		pal = newPalette()
		r := lipgloss.NewRenderer(io.Discard)
		r.SetColorProfile(termenv.ANSI256)
		moves = map[string]lipgloss.Style{
			"up":   r.NewStyle().Foreground(lipgloss.Color(colorUp)),
			"down": r.NewStyle().Foreground(lipgloss.Color(colorDown)),
			"new":  r.NewStyle().Bold(true).Foreground(lipgloss.Color(colorNew)),
		}
	}
	for _, e := range entries {
		rank := strconv.FormatInt(e.Rank, 10)
		mv := moveText(e.Move)
		user, score := printable(e.UserID), tableScore(e.Score)
		if color {
			if s, ok := pal.podium[e.Rank]; ok {
				rank, user, score = s.Render(rank), s.Render(user), s.Render(score)
			}
			if s, ok := moves[e.Move.Kind]; ok {
				mv = s.Render(mv)
			}
		}
		rows = append(rows, []string{rank, mv, user, score})
	}
	return writeTable(w, tableSpec{
		header: []string{"RANK", "MOVE", "PLAYER", "SCORE"},
		aligns: []tw.Align{tw.AlignRight, tw.AlignRight, tw.AlignLeft, tw.AlignRight},
		rows:   rows,
		color:  color,
	})
}

// jsonSnapshot is one line of `leaderboard --watch -o json`: the public
// contract for programs following a board.
type jsonSnapshot struct {
	At      string          `json:"at"`
	Total   int64           `json:"total"`
	Entries []jsonMovedItem `json:"entries"`
}

type jsonMovedItem struct {
	Rank   int64       `json:"rank"`
	UserID string      `json:"user_id"`
	Score  json.Number `json:"score"`
	Move   string      `json:"move"`
	By     int64       `json:"by"`
}

// WatchSnapshot writes one frame as a plain snapshot, for a watch whose
// stdout is not a terminal: a table under a "# title  time" line, one JSON
// object per line, or CSV rows with the time in the first column (the
// header only when header is true, so a file of snapshots stays one CSV).
func WatchSnapshot(w io.Writer, s Snapshot, opts Options, header bool) error {
	f, err := opts.format()
	if err != nil {
		return err
	}
	at := s.At.UTC().Format(time.RFC3339)
	var buf bytes.Buffer
	switch f {
	case FormatJSON:
		out := jsonSnapshot{At: at, Total: s.Total, Entries: make([]jsonMovedItem, 0, len(s.Entries))}
		for _, e := range s.Entries {
			if math.IsInf(e.Score, 0) || math.IsNaN(e.Score) {
				return fmt.Errorf("render: score %v of %q cannot be represented in JSON", e.Score, e.UserID)
			}
			out.Entries = append(out.Entries, jsonMovedItem{Rank: e.Rank, UserID: e.UserID, Score: json.Number(fullScore(e.Score)), Move: e.Move.Kind, By: e.Move.By})
		}
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		err = enc.Encode(out)
	case FormatCSV:
		rows := make([][]string, 0, len(s.Entries))
		for _, e := range s.Entries {
			rows = append(rows, []string{at, strconv.FormatInt(e.Rank, 10), e.UserID, fullScore(e.Score), e.Move.Kind, strconv.FormatInt(e.Move.By, 10)})
		}
		if header {
			rows = append([][]string{{"at", "rank", "user_id", "score", "move", "by"}}, rows...)
		}
		cw := csv.NewWriter(&buf)
		if err = cw.WriteAll(rows); err != nil {
			err = fmt.Errorf("render: csv: %w", err)
		}
	default:
		fmt.Fprintf(&buf, "# %s  %s  (%d players)\n", printable(s.Title), at, s.Total)
		if s.Note != "" {
			fmt.Fprintf(&buf, "# %s\n", printable(s.Note))
		}
		err = WatchTable(&buf, s.Entries, opts.Color)
	}
	if err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

// Printable is the escaping every table applies to untrusted text, for
// callers that draw their own lines around a table (the watch's status).
func Printable(s string) string { return printable(s) }
