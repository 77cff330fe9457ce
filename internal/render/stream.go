package render

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/store"
)

// LeaderboardStream writes a board of any size as JSON or CSV page by page,
// so an export holds one page in memory, not the board. The bytes are the
// same as Board's for the same entries and spec (one JSON array on one line,
// or a CSV header and rows), so a program cannot tell an export from a
// query. Tables are for people and need every row to size their columns:
// they go through Leaderboard.
type LeaderboardStream struct {
	w     *bufio.Writer
	csv   *csv.Writer // nil for JSON
	n     int64
	entry bytes.Buffer
	spec  handler.Spec
	plain bool
}

// NewLeaderboardStream starts an export of a board of spec in
// opts.Format, which must be JSON or CSV. Nothing is written until the
// first Write or Close.
func NewLeaderboardStream(w io.Writer, spec handler.Spec, opts Options) (*LeaderboardStream, error) {
	f, err := opts.format()
	if err != nil {
		return nil, err
	}
	s := &LeaderboardStream{w: bufio.NewWriterSize(w, 64<<10), spec: spec, plain: plainSpec(spec)}
	switch f {
	case FormatJSON:
	case FormatCSV:
		s.csv = csv.NewWriter(s.w)
	default:
		return nil, fmt.Errorf("render: a streamed leaderboard is JSON or CSV, not %s", f)
	}
	return s, nil
}

// Write appends one page of entries and flushes it, so output appears as
// the export goes and a write error (a closed pipe) stops it early.
func (s *LeaderboardStream) Write(entries []store.Entry) error {
	for _, e := range entries {
		if err := s.one(e); err != nil {
			return err
		}
	}
	if s.csv != nil {
		s.csv.Flush()
		if err := s.csv.Error(); err != nil {
			return fmt.Errorf("render: csv: %w", err)
		}
	}
	return s.w.Flush()
}

func (s *LeaderboardStream) one(e store.Entry) error {
	if s.n == 0 {
		if err := s.begin(); err != nil {
			return err
		}
	}
	s.n++
	if s.csv != nil {
		if s.plain {
			return s.csv.Write([]string{strconv.FormatInt(e.Rank, 10), e.UserID, fullScore(e.Score)})
		}
		return s.csv.Write(boardCSVRow(e, s.spec))
	}
	var je any
	var err error
	if s.plain {
		je, err = toJSONEntry(e)
	} else {
		je, err = boardEntry(e)
	}
	if err != nil {
		return err
	}
	if s.n > 1 {
		_ = s.w.WriteByte(',')
	}
	s.entry.Reset()
	enc := json.NewEncoder(&s.entry)
	enc.SetEscapeHTML(false) // as leaderboardJSON: user ids are data, not HTML
	if err := enc.Encode(je); err != nil {
		return fmt.Errorf("render: %w", err)
	}
	s.entry.Truncate(s.entry.Len() - 1) // Encode's newline
	_, err = s.w.Write(s.entry.Bytes())
	return err
}

func (s *LeaderboardStream) begin() error {
	if s.csv != nil {
		return s.csv.Write(boardCSVHeader(s.spec))
	}
	return s.w.WriteByte('[')
}

// Close ends the export: the JSON array's closing bracket (or "[]" for an
// empty board), the CSV header alone for an empty board.
func (s *LeaderboardStream) Close() error {
	if s.n == 0 {
		if err := s.begin(); err != nil {
			return err
		}
	}
	if s.csv != nil {
		s.csv.Flush()
		if err := s.csv.Error(); err != nil {
			return fmt.Errorf("render: csv: %w", err)
		}
	} else if _, err := s.w.WriteString("]\n"); err != nil {
		return err
	}
	return s.w.Flush()
}
