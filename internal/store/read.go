package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
)

// The read path: pages, neighbourhoods and ranks through read.lua (so ties
// are ranked alike everywhere), and plain commands where no rank is needed.

//go:embed read.lua
var readSrc string

// Entry is one row of a board, the one type for it from Redis to every
// output: the CLI renders it, the API and the portal encode it (each with
// its own score layout, see internal/render and internal/server).
type Entry struct {
	// Rank is 1-based and computed here, ties sharing one (1, 2, 2, 4), so
	// outputs show it as is rather than renumbering.
	Rank int64
	// UserID is the sorted-set member: untrusted player data, which tables
	// must escape.
	UserID string
	// Score is the sorted-set score; Redis allows ±Inf, which JSON cannot
	// carry. On a value board it is the value (stored scaled, see
	// handler.Spec.Scale), and Value holds it as exact decimal text.
	Score float64
	// Value is a value board's score as exact text ("62.345"), "" on other
	// boards; outputs prefer it to Score.
	Value string
	// Meta is the entry's metadata (display_name, ...) on boards that keep
	// it, nil otherwise.
	Meta map[string]string
}

// Page is a slice of a board with the board's size at the same moment.
type Page struct {
	Entries []Entry
	Total   int64
}

// ErrNotFound says a player is not on a board; callers turn it into an empty
// answer or a 404 as fits them.
var ErrNotFound = errors.New("not found")

// Top returns the board's entries from offset, best first for its order,
// at most limit of them (limit <= 0: all). Ties share a rank (1, 2, 2, 4),
// or on a ties: first board whoever reached the score first ranks higher.
func (s *Store) Top(ctx context.Context, ref BoardRef, offset, limit int64) (Page, error) {
	product, board := ref.Product, ref.Instance
	if offset < 0 {
		offset = 0
	}
	stop := int64(-1)
	if limit > 0 {
		stop = offset + limit - 1
	}
	vals, err := s.runRead(ctx, ref, "page", offset, stop)
	if err != nil {
		return Page{}, fmt.Errorf("top of %s/%s: %w", product, board, err)
	}
	return s.finishPage(ctx, ref, vals)
}

// Around returns the players within n places of user, best first.
func (s *Store) Around(ctx context.Context, ref BoardRef, user string, n int64) (Page, error) {
	product, board := ref.Product, ref.Instance
	vals, err := s.runRead(ctx, ref, "around", user, n)
	if err != nil {
		return Page{}, fmt.Errorf("players around %s on %s/%s: %w", user, product, board, err)
	}
	if len(vals) == 0 {
		return Page{}, ErrNotFound
	}
	return s.finishPage(ctx, ref, vals)
}

// Standing is a player's place on a board.
type Standing struct {
	Rank  int64
	Score float64
	Total int64  // players on the board
	Value string // exact text of Score on a value board, else ""
}

// Rank returns the player's rank and score (ErrNotFound when absent).
func (s *Store) Rank(ctx context.Context, ref BoardRef, user string) (Standing, error) {
	product, board := ref.Product, ref.Instance
	vals, err := s.runRead(ctx, ref, "rank", user)
	if err != nil {
		return Standing{}, fmt.Errorf("rank of %s on %s/%s: %w", user, product, board, err)
	}
	if len(vals) == 0 {
		return Standing{}, ErrNotFound
	}
	if len(vals) != 3 {
		return Standing{}, fmt.Errorf("rank of %s: unexpected reply %v", user, vals)
	}
	score, err := parseScore(vals[0])
	if err != nil {
		return Standing{}, err
	}
	st := Standing{Rank: toInt(vals[1]), Score: score, Total: toInt(vals[2])}
	if ref.Spec.Fixed {
		st.Value = fixedText(score, ref.Spec.Scale)
		st.Score = unscale(score, ref.Spec.Scale)
	}
	return st, nil
}

// TopTen serves the portal's hot path: one plain ZREVRANGE, no script, the
// ten best of the board. Ranks are counted from the top of the board, ties
// sharing one as everywhere else.
func (s *Store) TopTen(ctx context.Context, ref BoardRef) ([]Entry, error) {
	product, board := ref.Product, ref.Instance
	if ref.Spec.Order != handler.Desc || ref.Spec.Ties != handler.Shared || ref.Spec.Fixed {
		return s.topTenSpec(ctx, ref)
	}
	zs, err := s.rdb.ZRevRangeWithScores(ctx, s.keys.Board(product, board), 0, 9).Result()
	if err != nil {
		return nil, fmt.Errorf("top ten of %s/%s: %w", product, board, err)
	}
	out := make([]Entry, len(zs))
	for i, z := range zs {
		rank := int64(i) + 1
		if i > 0 && z.Score == out[i-1].Score {
			rank = out[i-1].Rank
		}
		member, _ := z.Member.(string) // go-redis gives members as strings
		out[i] = Entry{Rank: rank, UserID: member, Score: z.Score}
	}
	return out, nil
}

// Stats returns a player's stats as stored (values are text). A player with
// no games has an empty map, not an error.
func (s *Store) Stats(ctx context.Context, product, user string) (map[string]string, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.Stats(product, user)).Result()
	if err != nil {
		return nil, fmt.Errorf("stats of %s in %s: %w", user, product, err)
	}
	return m, nil
}

// BoardSize is the number of players on a board.
func (s *Store) BoardSize(ctx context.Context, product, board string) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.keys.Board(product, board)).Result()
	if err != nil {
		return 0, fmt.Errorf("size of %s/%s: %w", product, board, err)
	}
	return n, nil
}

// BoardID names one board of one product.
type BoardID struct {
	Product, Board string
}

// BoardSizes counts the players on each board in one pipelined round trip,
// for listings that show many boards at once; sizes[i] is boards[i]'s.
func (s *Store) BoardSizes(ctx context.Context, boards []BoardID) ([]int64, error) {
	if len(boards) == 0 {
		return nil, nil
	}
	cmds := make([]*redis.IntCmd, len(boards))
	if _, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, b := range boards {
			cmds[i] = pipe.ZCard(ctx, s.keys.Board(b.Product, b.Board))
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count players on %d boards: %w", len(boards), err)
	}
	sizes := make([]int64, len(boards))
	for i, c := range cmds {
		sizes[i] = c.Val()
	}
	return sizes, nil
}

// Products lists the products that have received data, sorted.
func (s *Store) Products(ctx context.Context) ([]string, error) {
	ps, err := s.rdb.SMembers(ctx, s.keys.Products()).Result()
	if err != nil {
		return nil, fmt.Errorf("list products (set %s; delete it if something else wrote it): %w", s.keys.Products(), err)
	}
	sort.Strings(ps)
	return ps, nil
}

func (s *Store) runRead(ctx context.Context, ref BoardRef, query string, args ...any) ([]any, error) {
	keys, head := s.readKeys(ref, query)
	v, err := s.read.Run(ctx, s.rdb, keys, append(head, args...)...).Result()
	if err != nil {
		return nil, err
	}
	vals, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("unexpected reply %T", v)
	}
	return vals, nil
}

// parsePage turns the read script's page reply into ranked entries. The
// first entry's rank comes from Redis (it may tie with players on the page
// before); each later entry either ties with the one above it or is ranked
// by its position, which gives 1, 2, 2, 4.
func parsePage(vals []any, first bool) (Page, error) {
	if len(vals) < 3 || len(vals)%2 != 1 {
		return Page{}, fmt.Errorf("unexpected page reply of %d items", len(vals))
	}
	rank, total, pos := toInt(vals[0]), toInt(vals[1]), toInt(vals[2])
	p := Page{Total: total, Entries: make([]Entry, 0, (len(vals)-3)/2)}
	for i := 3; i < len(vals); i += 2 {
		score, err := parseScore(vals[i+1])
		if err != nil {
			return Page{}, err
		}
		if n := len(p.Entries); n > 0 && (first || score != p.Entries[n-1].Score) {
			rank = pos + 1
		}
		p.Entries = append(p.Entries, Entry{Rank: rank, UserID: fmt.Sprint(vals[i]), Score: score})
		pos++
	}
	return p, nil
}

func parseScore(v any) (float64, error) {
	s := fmt.Sprint(v)
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("score %q is not a number: %w", s, err)
	}
	return f, nil
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}

// FormatScore prints a score the way people read it: integers without a
// decimal point, others in the shortest exact form.
func FormatScore(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
