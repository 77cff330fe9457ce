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
// events from then on) and returns its top n. It is idempotent, so a closer
// that crashed after it can simply run it again.
func (s *Store) Freeze(ctx context.Context, product, board, instance, period string, n int) ([]Entry, int64, error) {
	v, err := standingsScript.Run(ctx, s.rdb, []string{s.keys.Closed(product, board), s.keys.Board(product, instance)}, "freeze", period, n).Slice()
	if err != nil {
		return nil, 0, fmt.Errorf("close period %s of %s/%s: %w", period, product, board, err)
	}
	es, err := rankPairs(v[1:])
	return es, toInt(v[0]), err
}

// rankPairs ranks member/score pairs from the top: ties share a rank.
func rankPairs(v []any) ([]Entry, error) {
	out := make([]Entry, 0, len(v)/2)
	for i := 0; i+1 < len(v); i += 2 {
		sc, err := parseScore(v[i+1])
		if err != nil {
			return nil, err
		}
		rank := int64(len(out)) + 1
		if n := len(out); n > 0 && out[n-1].Score == sc {
			rank = out[n-1].Rank
		}
		out = append(out, Entry{Rank: rank, UserID: fmt.Sprint(v[i]), Score: sc})
	}
	return out, nil
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
		out[i] = finalEntryJSON{e.Rank, e.UserID, json.Number(FormatScore(e.Score))}
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
