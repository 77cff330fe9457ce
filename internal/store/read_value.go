package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/varcade/statsctl/internal/handler"
)

// BoardRef names one board instance of one product with the spec it is
// read by: every read takes one, so order, ties and scale are honoured by
// top N, pages, around, rank and top_ten alike (docs/boards.md). A zero
// Spec reads as before: higher is better, ties shared.
type BoardRef struct {
	Product  string
	Instance string // handler.Instance: board[@period][~segment]
	Spec     handler.Spec
}

// Ref is the BoardRef of a product's board by name, with its spec, for
// callers that hold the handler.Product.
func Ref(product string, b handler.Board) BoardRef {
	return BoardRef{Product: product, Instance: b.Name, Spec: b.Spec}
}

// RefOf is Ref for a board named in prod; an unknown name reads with the
// zero spec (and finds nothing).
func RefOf(prod handler.Product, product, board string) BoardRef {
	name, _, _ := handler.ParseInstance(board) // a period or segment reads with its board's spec
	for _, b := range prod.Boards {
		if b.Name == name {
			ref := Ref(product, b)
			ref.Instance = board
			return ref
		}
	}
	return BoardRef{Product: product, Instance: board}
}

// RefAt is the BoardRef of the instance a query resolved to (a period or
// segment of a board), with its board's spec.
func RefAt(prod handler.Product, product string, c handler.Choice) BoardRef {
	return RefOf(prod, product, c.Instance)
}

// instanceKeys are the keys a read of one instance uses: a live board's
// (liveKeys) or an archived board's (archivedKeys), read alike.
type instanceKeys struct{ board, tieSet, tieOf, meta string }

func (s *Store) liveKeys(ref BoardRef) instanceKeys {
	p, in := ref.Product, ref.Instance
	return instanceKeys{s.keys.Board(p, in), s.keys.TieSet(p, in), s.keys.TieOf(p, in), s.keys.Meta(p, in)}
}

// readKeys is read.lua's KEYS and leading ARGV for ref (see its header).
func (s *Store) readKeys(ref BoardRef, query string) ([]string, []any) {
	return readKeysOf(s.liveKeys(ref), ref.Spec, query)
}

func readKeysOf(ik instanceKeys, spec handler.Spec, query string) ([]string, []any) {
	order, ties := "d", "s"
	if spec.Order == handler.Asc {
		order = "a"
	}
	keys := []string{ik.board}
	if spec.Ties == handler.First {
		ties = "f"
		keys = append(keys, ik.tieSet, ik.tieOf)
	}
	return keys, []any{query, order, ties, handler.TieWidth}
}

// finishPage parses a page reply and dresses its entries for ref: values
// unscaled with their exact text, metadata attached.
func (s *Store) finishPage(ctx context.Context, ref BoardRef, vals []any) (Page, error) {
	p, err := parsePage(vals, ref.Spec.Ties == handler.First)
	if err != nil {
		return Page{}, err
	}
	if err := s.dress(ctx, ref, p.Entries); err != nil {
		return Page{}, err
	}
	return p, nil
}

func (s *Store) dress(ctx context.Context, ref BoardRef, es []Entry) error {
	return s.dressAt(ctx, ref.Spec, s.keys.Meta(ref.Product, ref.Instance), es)
}

// dressAt unscales es's values by spec and attaches their metadata from
// the hash meta.
func (s *Store) dressAt(ctx context.Context, spec handler.Spec, meta string, es []Entry) error {
	if spec.Fixed {
		for i := range es {
			es[i].Value = fixedText(es[i].Score, spec.Scale)
			es[i].Score = unscale(es[i].Score, spec.Scale)
		}
	}
	if len(spec.Meta) == 0 || len(es) == 0 || meta == "" {
		return nil
	}
	users := make([]string, len(es))
	for i, e := range es {
		users[i] = e.UserID
	}
	ms, err := s.rdb.HMGet(ctx, meta, users...).Result()
	if err != nil && !isWrongType(err) {
		return fmt.Errorf("metadata %s: %w", meta, err)
	}
	for i := range es {
		if i >= len(ms) {
			break
		}
		text, ok := ms[i].(string)
		if !ok {
			continue
		}
		var m map[string]string
		if json.Unmarshal([]byte(text), &m) == nil && len(m) > 0 {
			es[i].Meta = m
		}
	}
	return nil
}

// topTenSpec is TopTen for boards read other than highest-first with
// shared ties: one plain range command, as the hot path wants.
func (s *Store) topTenSpec(ctx context.Context, ref BoardRef) ([]Entry, error) {
	key := s.keys.Board(ref.Product, ref.Instance)
	first := ref.Spec.Ties == handler.First
	if first {
		key = s.keys.TieSet(ref.Product, ref.Instance)
	}
	var zcmd = s.rdb.ZRevRangeWithScores
	if ref.Spec.Order == handler.Asc {
		zcmd = s.rdb.ZRangeWithScores
	}
	zs, err := zcmd(ctx, key, 0, 9).Result()
	if err != nil {
		return nil, fmt.Errorf("top ten of %s/%s: %w", ref.Product, ref.Instance, err)
	}
	out := make([]Entry, len(zs))
	for i, z := range zs {
		rank := int64(i) + 1
		if !first && i > 0 && z.Score == zs[i-1].Score {
			rank = out[i-1].Rank
		}
		member, _ := z.Member.(string)
		if first && len(member) >= handler.TieWidth {
			member = member[handler.TieWidth:]
		}
		out[i] = Entry{Rank: rank, UserID: member, Score: z.Score}
	}
	if ref.Spec.Fixed {
		for i := range out {
			out[i].Value = fixedText(out[i].Score, ref.Spec.Scale)
			out[i].Score = unscale(out[i].Score, ref.Spec.Scale)
		}
	}
	return out, nil
}

// fixedText is a stored scaled score as exact decimal text. Scores within
// the exact range are integral doubles; anything else (a key written by
// hand) falls back to the float's own text.
func fixedText(raw float64, scale int) string {
	if raw == math.Trunc(raw) && math.Abs(raw) <= handler.MaxExact {
		return handler.FormatFixed(int64(raw), scale)
	}
	return strconv.FormatFloat(unscale(raw, scale), 'f', -1, 64)
}

// unscale is the value a stored scaled score stands for, as the nearest
// double (division by an exact power of ten is correctly rounded).
func unscale(raw float64, scale int) float64 {
	if scale == 0 {
		return raw
	}
	return raw / math.Pow10(scale)
}

// unscaleStats shows value stats kept at a scale (stored as scaled
// integers) as their exact decimal text; a field that is not an integer
// (written by hand) is left as stored.
func unscaleStats(prod handler.Product, stats map[string]string) {
	for name, scale := range handler.ValueStats(prod) {
		if scale == 0 {
			continue
		}
		if n, err := strconv.ParseInt(stats[name], 10, 64); err == nil {
			stats[name] = handler.FormatFixed(n, scale)
		}
	}
}
