package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
)

//go:embed apply.lua
var applySrc string

//go:embed read.lua
var readSrc string

//go:embed swap.lua
var swapSrc string

// DefaultNamespace prefixes every key statsctl writes, so it can share a
// Redis with other services (the Matchmaker, the old tracker) safely.
const DefaultNamespace = "statsctl"

// DefaultMarkerTTL is how long applied-event markers live after their bucket
// was last written. A redelivery or replay older than this counts again.
const DefaultMarkerTTL = 7 * 24 * time.Hour

// Options configures a Store.
type Options struct {
	Namespace string        // key prefix; DefaultNamespace when empty
	MarkerTTL time.Duration // 0 = DefaultMarkerTTL; negative = markers never expire
	// Scratch makes a store that writes boards, rating states and markers
	// to scratch keys (see Keys.Scratch); for rebuild only.
	Scratch string
}

// Store is the Redis-backed home of boards and stats. It is safe for
// concurrent use; it holds no data of its own beyond caches of what is
// already in Redis.
type Store struct {
	rdb   redis.UniversalClient
	keys  Keys
	ttl   int64
	apply *redis.Script
	read  *redis.Script
	swap  *redis.Script

	mu    sync.Mutex
	known map[string]bool // products already added to the products set
}

// New wraps a go-redis client; a plain client and a cluster client both work.
func New(rdb redis.UniversalClient, opts Options) *Store {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	ttl := opts.MarkerTTL
	if ttl == 0 {
		ttl = DefaultMarkerTTL
	}
	secs := int64(ttl / time.Second)
	if ttl < 0 {
		secs = 0
	}
	return &Store{
		rdb:   rdb,
		keys:  Keys{NS: ns, Scratch: opts.Scratch},
		ttl:   secs,
		apply: redis.NewScript(applySrc),
		read:  redis.NewScript(readSrc),
		swap:  redis.NewScript(swapSrc),
		known: map[string]bool{},
	}
}

// Keys exposes the key layout, for tools and tests that inspect Redis.
func (s *Store) Keys() Keys { return s.keys }

// Client is the underlying Redis client, for callers that need the same
// connection (the consumer reads the stream through it when they coincide).
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers, for readiness probes and early errors.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Item is one event's worth of changes, ready to apply.
type Item struct {
	EventID string // "" = no identity, applied every time
	Changes []handler.Change
	// Strict: if the event id turns out to be applied already, the whole
	// product batch is a conflict instead of skipping this item, because
	// later items were computed on the assumption that it was fresh.
	Strict bool
}

// Expect guards a product batch: the player's rating state on Board must
// still be State (or absent, when !Present) or nothing of the batch is
// written. It is how stateful scorers get optimistic concurrency.
type Expect struct {
	Board, User string
	State       string
	Present     bool
}

// Guarded is one product's batch with the guards it was computed under.
type Guarded struct {
	Items  []Item
	Expect []Expect
}

// Result says what an Apply did.
type Result struct {
	Applied int // events whose changes were written
	// Duplicates lists, per product, the positions (in that product's items)
	// of events skipped because their id was applied before.
	Duplicates map[string][]int
	// Conflicts lists the products whose batch was not written because a
	// guard failed (state changed or a strict event already applied since
	// it was read). Re-read and recompute them.
	Conflicts []string
}

// Apply writes the items of each product, each product's batch atomically in
// one script run, all products in one pipelined round trip. An item whose
// event id was applied before changes nothing. If Apply returns an error,
// some products' batches may have been written and others not; applying the
// same batches again is safe when the items carry ids.
func (s *Store) Apply(ctx context.Context, batches map[string][]Item) (Result, error) {
	g := make(map[string]Guarded, len(batches))
	for p, items := range batches {
		g[p] = Guarded{Items: items}
	}
	return s.ApplyGuarded(ctx, g)
}

// ApplyGuarded is Apply with guards: a product whose guards fail is not
// written at all and is listed in Result.Conflicts; the others are written
// as by Apply, all in one pipelined round trip.
func (s *Store) ApplyGuarded(ctx context.Context, batches map[string]Guarded) (Result, error) {
	res := Result{Duplicates: map[string][]int{}}
	if len(batches) == 0 {
		return res, nil
	}
	products := make([]string, 0, len(batches))
	for p := range batches {
		products = append(products, p)
	}
	sort.Strings(products)
	type call struct {
		product string
		keys    []string
		args    []any
		pos     []int // item position of each event the script sees
	}
	calls := make([]call, 0, len(products))
	for _, p := range products {
		keys, args, pos := s.encode(p, batches[p])
		if len(pos) > 0 || len(batches[p].Expect) > 0 {
			calls = append(calls, call{p, keys, args, pos})
		}
	}
	newProducts := s.unknownProducts(products)
	cmds := make([]*redis.Cmd, len(calls))
	var sadd *redis.IntCmd
	// Pipelined's own error is only the first failed command; each command
	// is checked below, so it is not needed here.
	_, _ = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		if len(newProducts) > 0 {
			sadd = pipe.SAdd(ctx, s.keys.Products(), newProducts...)
		}
		for i, c := range calls {
			cmds[i] = s.apply.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		return nil
	})
	// A node that lacks the script (first use, SCRIPT FLUSH, a failover or a
	// restart) answers NOSCRIPT and has run nothing. Send the source to just
	// those calls: on a Redis Cluster the other nodes have already applied
	// theirs, and running those again would count events without ids twice
	// and report events with ids as duplicates.
	var retry []int
	for i, cmd := range cmds {
		if isNoScript(cmd.Err()) {
			retry = append(retry, i)
		}
	}
	if len(retry) > 0 {
		_, _ = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, i := range retry {
				cmds[i] = s.apply.Eval(ctx, pipe, calls[i].keys, calls[i].args...)
			}
			return nil
		})
	}
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.product
	}
	if err := batchError(sadd, cmds, names); err != nil {
		return res, err
	}
	for i, cmd := range cmds {
		vals, err := cmd.Int64Slice()
		if err != nil || len(vals) < 1 {
			return res, fmt.Errorf("apply batch for %s: unexpected reply %v: %w", calls[i].product, cmd.Val(), err)
		}
		if vals[0] < 0 {
			res.Conflicts = append(res.Conflicts, calls[i].product)
			continue
		}
		res.Applied += int(vals[0])
		for _, d := range vals[1:] {
			res.Duplicates[calls[i].product] = append(res.Duplicates[calls[i].product], calls[i].pos[d-1])
		}
	}
	s.markKnown(newProducts)
	return res, nil
}

// batchError sums up what failed in an Apply as one line: products that
// failed the same way are listed together (a node that is down fails all of
// its products alike). The first error stays wrapped for errors.Is/As.
func batchError(sadd *redis.IntCmd, cmds []*redis.Cmd, products []string) error {
	var first error
	var msgs []string
	byMsg := map[string][]string{}
	add := func(what string, err error) {
		if first == nil {
			first = err
		}
		m := err.Error()
		if _, ok := byMsg[m]; !ok {
			msgs = append(msgs, m)
		}
		byMsg[m] = append(byMsg[m], what)
	}
	if sadd != nil && sadd.Err() != nil {
		add("products set", sadd.Err())
	}
	for i, cmd := range cmds {
		if cmd.Err() != nil {
			add(products[i], cmd.Err())
		}
	}
	if first == nil {
		return nil
	}
	parts := make([]string, 0, len(msgs))
	for _, m := range msgs {
		parts = append(parts, strings.Join(byMsg[m], ",")+": "+m)
	}
	return &applyError{msg: "apply batch: " + strings.Join(parts, "; "), err: first}
}

// applyError is batchError's result: its own text, the first cause inside.
type applyError struct {
	msg string
	err error
}

func (e *applyError) Error() string { return e.msg }
func (e *applyError) Unwrap() error { return e.err }

func isNoScript(err error) bool {
	return err != nil && redis.HasErrorPrefix(err, "NOSCRIPT")
}

func (s *Store) unknownProducts(products []string) []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []any
	for _, p := range products {
		if !s.known[p] {
			out = append(out, p)
		}
	}
	return out
}

func (s *Store) markKnown(products []any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range products {
		s.known[p.(string)] = true
	}
}

// encode lays out one product's batch as the apply script's KEYS and ARGV,
// listing each distinct key once. pos maps the script's event ordinals back
// to item positions (items without changes are not sent).
func (s *Store) encode(product string, batch Guarded) (keys []string, args []any, pos []int) {
	items := batch.Items
	index := map[string]int{}
	keyIdx := func(k string) string {
		i, ok := index[k]
		if !ok {
			keys = append(keys, k)
			i = len(keys)
			index[k] = i
		}
		return strconv.Itoa(i)
	}
	args = make([]any, 0, 3+len(batch.Expect)*4+len(items)*8)
	args = append(args, s.ttl, len(batch.Expect))
	for _, x := range batch.Expect {
		present := "0"
		if x.Present {
			present = "1"
		}
		args = append(args, keyIdx(s.keys.RatingState(product, x.Board)), x.User, present, x.State)
	}
	nStrictAt := len(args)
	args = append(args, 0)
	nStrict := 0
	for _, it := range items {
		if it.Strict && it.EventID != "" && len(it.Changes) > 0 {
			args = append(args, keyIdx(s.keys.Seen(product, it.EventID)), it.EventID)
			nStrict++
		}
	}
	args[nStrictAt] = nStrict
	for i, it := range items {
		if len(it.Changes) == 0 {
			continue
		}
		pos = append(pos, i)
		mk := "0"
		if it.EventID != "" {
			mk = keyIdx(s.keys.Seen(product, it.EventID))
		}
		args = append(args, mk, it.EventID, len(it.Changes))
		for _, c := range it.Changes {
			switch c.Op {
			case handler.ScoreAdd:
				args = append(args, "za", keyIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.ScoreEnsure:
				args = append(args, "ze", keyIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.ScoreSet:
				args = append(args, "zs", keyIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.StatAdd:
				args = append(args, "ha", keyIdx(s.keys.Stats(product, c.User)), c.Field, c.Int)
			case handler.StatSet:
				args = append(args, "hs", keyIdx(s.keys.Stats(product, c.User)), c.Field, c.Str)
			case handler.StateSet:
				args = append(args, "hs", keyIdx(s.keys.RatingState(product, c.Board)), c.User, c.Str)
			default:
				// Handlers are ours; an unknown op is a programming error that
				// must not write half an event.
				panic(fmt.Sprintf("store: unknown change op %v", c.Op))
			}
		}
	}
	return keys, args, pos
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// Entry is one row of a board.
type Entry struct {
	Rank   int64
	UserID string
	Score  float64
}

// Page is a slice of a board with the board's size at the same moment.
type Page struct {
	Entries []Entry
	Total   int64
}

// ErrNotFound says a player is not on a board; callers turn it into an empty
// answer or a 404 as fits them.
var ErrNotFound = errors.New("not found")

// Top returns the board's entries from offset, best first, at most limit of
// them (limit <= 0: all). Ties share a rank: 1, 2, 2, 4.
func (s *Store) Top(ctx context.Context, product, board string, offset, limit int64) (Page, error) {
	if offset < 0 {
		offset = 0
	}
	stop := int64(-1)
	if limit > 0 {
		stop = offset + limit - 1
	}
	vals, err := s.runRead(ctx, product, board, "page", offset, stop)
	if err != nil {
		return Page{}, fmt.Errorf("top of %s/%s: %w", product, board, err)
	}
	return parsePage(vals)
}

// Around returns the players within n places of user, best first.
func (s *Store) Around(ctx context.Context, product, board, user string, n int64) (Page, error) {
	vals, err := s.runRead(ctx, product, board, "around", user, n)
	if err != nil {
		return Page{}, fmt.Errorf("players around %s on %s/%s: %w", user, product, board, err)
	}
	if len(vals) == 0 {
		return Page{}, ErrNotFound
	}
	return parsePage(vals)
}

// Standing is a player's place on a board.
type Standing struct {
	Rank  int64
	Score float64
	Total int64 // players on the board
}

// Rank returns the player's rank and score (ErrNotFound when absent).
func (s *Store) Rank(ctx context.Context, product, board, user string) (Standing, error) {
	vals, err := s.runRead(ctx, product, board, "rank", user)
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
	return Standing{Rank: toInt(vals[1]), Score: score, Total: toInt(vals[2])}, nil
}

// TopTen serves the portal's hot path: one plain ZREVRANGE, no script, no
// ranks, the ten best of the board.
func (s *Store) TopTen(ctx context.Context, product, board string) ([]redis.Z, error) {
	z, err := s.rdb.ZRevRangeWithScores(ctx, s.keys.Board(product, board), 0, 9).Result()
	if err != nil {
		return nil, fmt.Errorf("top ten of %s/%s: %w", product, board, err)
	}
	return z, nil
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

// Products lists the products that have received data, sorted.
func (s *Store) Products(ctx context.Context) ([]string, error) {
	ps, err := s.rdb.SMembers(ctx, s.keys.Products()).Result()
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	sort.Strings(ps)
	return ps, nil
}

func (s *Store) runRead(ctx context.Context, product, board string, args ...any) ([]any, error) {
	v, err := s.read.Run(ctx, s.rdb, []string{s.keys.Board(product, board)}, args...).Result()
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
func parsePage(vals []any) (Page, error) {
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
		if n := len(p.Entries); n > 0 && score != p.Entries[n-1].Score {
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
