package store

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Standings of closed periods: frozen in the product's slot, published to
// an outbound stream in the stream's slot, each step one script.

//go:embed standings.lua
var standingsSrc string

var standingsScript = redis.NewScript(standingsSrc)

// DefaultStandingsStream is where period_closed entries go unless
// configured otherwise.
const DefaultStandingsStream = "statsctl:events"

// Final is the final standings of one period of one board.
type Final struct {
	Product, Board, Period string
	Start, End             string // RFC 3339 in the board's zone
	Total                  int64  // players on the board
	Entries                []Entry
}

// Freeze closes a period of a board (the apply script refuses its later
// events from then on) and returns its top n, ranked for ref's spec like
// every read of the board (Top: an asc board lowest first, a ties: first
// board by who reached the score first). It is idempotent, so a closer
// that crashed after it can simply run it again: once the mark is set the
// board no longer changes, so the read after it is the final standings.
func (s *Store) Freeze(ctx context.Context, ref BoardRef, board, period string, n int) ([]Entry, int64, error) {
	if err := standingsScript.Run(ctx, s.rdb, []string{s.keys.Closed(ref.Product, board), s.keys.Board(ref.Product, ref.Instance)}, "freeze", period).Err(); err != nil {
		return nil, 0, fmt.Errorf("close period %s of %s/%s: %w", period, ref.Product, board, err)
	}
	if n <= 0 {
		total, err := s.rdb.ZCard(ctx, s.keys.Board(ref.Product, ref.Instance)).Result()
		if err != nil {
			return nil, 0, fmt.Errorf("standings of %s/%s %s: %w", ref.Product, board, period, err)
		}
		return nil, total, nil
	}
	p, err := s.Top(ctx, ref, 0, int64(n))
	if err != nil {
		return nil, 0, fmt.Errorf("standings of %s/%s %s: %w", ref.Product, board, period, err)
	}
	return p.Entries, p.Total, nil
}

// StandingsMarker is the hash that records which periods were published
// to stream: in the stream's own hash slot, so one script checks and adds.
func StandingsMarker(stream string) string {
	if i := strings.IndexByte(stream, '{'); i >= 0 {
		if j := strings.IndexByte(stream[i+1:], '}'); j > 0 {
			return stream + ":published"
		}
	}
	return "{" + stream + "}:published"
}

type finalEntryJSON struct {
	Rank   int64       `json:"rank"`
	UserID string      `json:"user_id"`
	Score  json.Number `json:"score"`
}

// EntriesJSON is a closed period's ranked entries as the period_closed
// entry carries them.
func EntriesJSON(es []Entry) string {
	out := make([]finalEntryJSON, len(es))
	for i, e := range es {
		score := e.Value // a value board's exact text
		if score == "" {
			score = FormatScore(e.Score)
		}
		out[i] = finalEntryJSON{e.Rank, e.UserID, json.Number(score)}
	}
	b, _ := json.Marshal(out) // finite scores only: boards never hold inf from statsctl's ops
	return string(b)
}

// Publish writes f as one period_closed entry to stream unless it was
// published before; it returns the entry's id and whether this call added
// it. The marker is per namespace, product, board and period.
func (s *Store) Publish(ctx context.Context, stream string, f Final) (id string, added bool, err error) {
	field := s.keys.NS + "|" + f.Product + "|" + f.Board + "|" + f.Period
	v, err := standingsScript.Run(ctx, s.rdb, []string{stream, StandingsMarker(stream)}, "publish", field,
		"type", "period_closed", "product_id", f.Product, "board", f.Board, "period", f.Period,
		"start", f.Start, "end", f.End, "total", f.Total, "entries", EntriesJSON(f.Entries)).Slice()
	if err != nil {
		return "", false, fmt.Errorf("publish standings of %s/%s %s to %s: %w", f.Product, f.Board, f.Period, stream, err)
	}
	return fmt.Sprint(v[1]), toInt(v[0]) == 1, nil
}
