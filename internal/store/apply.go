package store

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
	"github.com/varcade/statsctl/internal/streamid"
)

// The write path: events' changes laid out for apply.lua and sent in one
// pipelined round trip, with NOSCRIPT handled per command.

//go:embed apply.lua
var applySrc string

// The apply script's change ops, as listed in apply.lua's header. They are
// the script's wire format: Go names each once here, and the script must
// know every one of them.
const (
	opScoreAdd    = "za" // ZINCRBY key value member
	opScoreEnsure = "ze" // ZADD key NX value member
	opScoreSet    = "zs" // ZADD key value member
	opHashAdd     = "ha" // HINCRBY key member value
	opHashSet     = "hs" // HSET key member value
	opHistory     = "hp" // history point: see history.go
	// Value boards and value stats (issue 11, encodeValue).
	opScoreMax   = "zg" // ZADD key value member if absent or higher
	opScoreMin   = "zl" // ZADD key value member if absent or lower
	opScoreExact = "zx" // ZINCRBY within the exact range, optional floor
	opScoreCheck = "zc" // refuse a change larger than max_change
	opScoreTie   = "zt" // tie-break member of a ties: first board
	opHashMax    = "hg" // HSET key member value if absent or higher
	opHashMin    = "hl" // HSET key member value if absent or lower
	opDistinct   = "sd" // SADD, bounded, the stat kept at SCARD
	// opPeriod checks a period instance may still change (not closed, not
	// older than the kept archive, not in the future), registers it in
	// its board's registry and trims periods past the archive at the end.
	opPeriod = "pw"
	// opInstance registers an instance in its board's registry, refusing
	// a new segment beyond the board's maximum.
	opInstance = "ir"
	opBanCheck = "bx" // refuse the event if member is in the banned hash key
)

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
	// Rejected lists, per product, the events Redis refused (a key of the
	// wrong type, an integer or score overflow): each was left out whole
	// and the rest of the batch was written.
	Rejected map[string][]Reject
	// Aborted names, per product, the strict (rated) event Redis refused:
	// that product's batch was not written at all, because later ratings
	// were computed from this event's. Recompute it without the event.
	Aborted map[string]Reject
}

// Reject is one event Redis refused: its position in its product's items,
// the key the failing command touched and Redis's own message.
type Reject struct {
	Pos     int
	Key     string
	Message string
}

// Apply writes the items of each product, each product's batch atomically in
// one script run, all products in one pipelined round trip. An item whose
// event id was applied before changes nothing. If Apply returns an error,
// some products' batches may have been written and others not; applying the
// same batches again is safe when the items carry ids.
func (s *Store) Apply(ctx context.Context, batches map[string][]Item) (Result, error) {
	return s.ApplyEncoded(ctx, s.Encode(batches))
}

// ApplyGuarded is Apply with guards: a product whose guards fail is not
// written at all and is listed in Result.Conflicts; the others are written
// as by Apply, all in one pipelined round trip.
func (s *Store) ApplyGuarded(ctx context.Context, batches map[string]Guarded) (Result, error) {
	return s.ApplyEncoded(ctx, s.encodeGuarded(batches))
}

// Encoded is a batch laid out as the apply script's arguments, not yet
// sent. Encoding is pure CPU work; a caller that reads ahead (the consumer,
// a replay) does it while the batch before is still in Redis, so the script
// calls follow each other with less idle time in between.
type Encoded struct {
	batches  map[string]Guarded
	products []string // batches' keys, sorted
	calls    []applyCall
}

// applyCall is one product's script call.
type applyCall struct {
	product string
	keys    []string
	args    []any
	pos     []int // item position of each event the script sees
}

// Encode lays out batches for ApplyEncoded (Apply is the two in one).
func (s *Store) Encode(batches map[string][]Item) *Encoded {
	g := make(map[string]Guarded, len(batches))
	for p, items := range batches {
		g[p] = Guarded{Items: items}
	}
	return s.encodeGuarded(g)
}

func (s *Store) encodeGuarded(batches map[string]Guarded) *Encoded {
	products := make([]string, 0, len(batches))
	for p := range batches {
		products = append(products, p)
	}
	sort.Strings(products)
	e := &Encoded{batches: batches, products: products, calls: make([]applyCall, 0, len(products))}
	for _, p := range products {
		c := s.encodeCall(p, batches[p])
		if len(c.pos) > 0 || len(batches[p].Expect) > 0 {
			e.calls = append(e.calls, c)
		}
	}
	return e
}

func (s *Store) encodeCall(product string, batch Guarded) applyCall {
	keys, args, pos := s.encode(product, batch)
	return applyCall{product: product, keys: keys, args: args, pos: pos}
}

// ApplyEncoded writes a batch laid out by Encode, as Apply does. It may be
// called again on the same Encoded after an error, as Apply may be called
// again on the same batches.
func (s *Store) ApplyEncoded(ctx context.Context, e *Encoded) (Result, error) {
	res := Result{Duplicates: map[string][]int{}, Rejected: map[string][]Reject{}, Aborted: map[string]Reject{}}
	if len(e.batches) == 0 {
		return res, nil
	}
	// A call encoded before its product's bans were found carries no
	// checks; the script refuses it like any other such call (bansFound
	// below), so it needs no case of its own here.
	calls := e.calls
	newProducts := s.unknownProducts(e.products)
	if len(newProducts) > 0 {
		// Before the batch, in its own round trip (once per product and
		// store): every product with data is then in the set, whatever
		// fails next, so the close job can find the products that use the
		// default product's periodic boards (internal/standings).
		if err := s.rdb.SAdd(ctx, s.keys.Products(), newProducts...).Err(); err != nil {
			return res, fmt.Errorf("record products %v in %s (nothing applied; it must be a set, so delete it if something else wrote it): %w", newProducts, s.keys.Products(), err)
		}
	}
	cmds := make([]*redis.Cmd, len(calls))
	send := func(which []int) {
		// Pipelined's own error is only the first failed command; each
		// command is checked below, so it is not needed here.
		_, _ = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, i := range which {
				cmds[i] = s.apply.EvalSha(ctx, pipe, calls[i].keys, calls[i].args...)
			}
			return nil
		})
		// A node that lacks the script (first use, SCRIPT FLUSH, a failover
		// or a restart) answers NOSCRIPT and has run nothing. Send the source
		// to just those calls: on a Redis Cluster the other nodes have
		// already applied theirs, and running those again would count events
		// without ids twice and report events with ids as duplicates.
		var retry []int
		for _, i := range which {
			if isNoScript(cmds[i].Err()) {
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
	}
	all := make([]int, len(calls))
	for i := range all {
		all[i] = i
	}
	send(all)
	// A batch sent without ban checks finds the product's banned hash
	// existing: the script wrote nothing; from now on the product's events
	// carry their checks, and this batch goes again with them.
	var again []int
	for i, cmd := range cmds {
		if bansFound(cmd.Val()) {
			s.noteBanned(calls[i].product)
			calls[i] = s.encodeCall(calls[i].product, e.batches[calls[i].product])
			again = append(again, i)
		}
	}
	if len(again) > 0 {
		send(again)
	}
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.product
	}
	if err := batchError(cmds, names); err != nil {
		return res, err
	}
	for i, cmd := range cmds {
		c := calls[i]
		if err := decodeReply(&res, c.product, c.keys, c.pos, cmd.Val()); err != nil {
			return res, err
		}
	}
	s.markKnown(newProducts)
	return res, nil
}

// batchError sums up what failed in an Apply as one line: products that
// failed the same way are listed together (a node that is down fails all of
// its products alike). The first error stays wrapped for errors.Is/As.
func batchError(cmds []*redis.Cmd, products []string) error {
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
	// index maps a key to its KEYS position as the script reads it, so a
	// key used again costs a map lookup and no formatting.
	index := map[string]string{}
	keyIdx := func(k string) string {
		i, ok := index[k]
		if !ok {
			keys = append(keys, k)
			i = strconv.Itoa(len(keys))
			index[k] = i
		}
		return i
	}
	// scratchIdx is keyIdx for the keys that take the scratch suffix
	// (boards, rating states, markers); a scratch store notes them for
	// DropScratch. Stats keys never do.
	var scratchKeys []string
	scratchIdx := func(k string) string {
		if s.keys.Scratch != "" {
			if _, ok := index[k]; !ok {
				scratchKeys = append(scratchKeys, k)
			}
		}
		return keyIdx(k)
	}
	args = make([]any, 0, 3+len(batch.Expect)*4+len(items)*8)
	args = append(args, s.ttl, len(batch.Expect))
	for _, x := range batch.Expect {
		present := "0"
		if x.Present {
			present = "1"
		}
		args = append(args, scratchIdx(s.keys.RatingState(product, x.Board)), x.User, present, x.State)
	}
	nStrictAt := len(args)
	args = append(args, 0)
	nStrict := 0
	for _, it := range items {
		if it.Strict && it.EventID != "" && len(it.Changes) > 0 {
			args = append(args, scratchIdx(s.keys.Seen(product, it.EventID)), it.EventID)
			nStrict++
		}
	}
	args[nStrictAt] = nStrict
	// The banned hash: 0 when the events carry their ban checks, else its
	// key, which the script checks does not exist (bansFound).
	checkBans := s.bansKnown(product)
	if checkBans {
		args = append(args, 0)
	} else {
		args = append(args, keyIdx(s.keys.Banned(product)))
	}
	// Most of a batch's events share a marker key (one per hour of stream
	// ids) and each player's stats key is named by many events: both are
	// built once per batch and looked up after.
	marker := markerIdx{keys: s.keys, product: product, idx: scratchIdx}
	statsIdx := map[string]string{}
	statIdx := func(user string) string {
		i, ok := statsIdx[user]
		if !ok {
			i = keyIdx(s.keys.Stats(product, user))
			statsIdx[user] = i
		}
		return i
	}
	for i, it := range items {
		if len(it.Changes) == 0 {
			continue
		}
		pos = append(pos, i)
		mk := "0"
		if it.EventID != "" {
			mk = marker.of(it.EventID)
		}
		changes := s.historyFilter(it.Changes)
		// The header counts the event's changes, bans included: its slot is
		// filled in once they are laid out.
		hdr := len(args)
		args = append(args, "", it.EventID)
		nBans := 0
		if checkBans {
			args, nBans = s.appendBanChecks(args, product, changes, keyIdx)
		}
		for _, c := range changes {
			switch c.Op {
			case handler.ScoreAdd:
				args = append(args, opScoreAdd+scratchIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.ScoreEnsure:
				args = append(args, opScoreEnsure+scratchIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.ScoreSet:
				args = append(args, opScoreSet+scratchIdx(s.keys.Board(product, c.Board)), c.User, fmtFloat(c.Num))
			case handler.StatAdd:
				args = append(args, opHashAdd+statIdx(c.User), c.Field, c.Int)
			case handler.StatSet:
				args = append(args, opHashSet+statIdx(c.User), c.Field, c.Str)
			case handler.StateSet:
				args = append(args, opHashSet+scratchIdx(s.keys.RatingState(product, c.Board)), c.User, c.Str)
			case handler.HistoryPoint:
				args = append(args, opHistory+keyIdx(s.keys.History(product, c.Board, c.User)), c.User, historyArg(c, scratchIdx(s.keys.Board(product, c.Board))))
			case handler.PeriodOpen:
				reg := scratchIdx(s.keys.Instances(product, c.Field))
				closed := scratchIdx(s.keys.Closed(product, c.Field))
				args = append(args, opPeriod+reg, c.Board, s.periodArg(product, closed, c))
			case handler.InstanceAdd:
				args = append(args, opInstance+scratchIdx(s.keys.Instances(product, c.Field)), c.Board,
					strconv.FormatInt(int64(c.Num), 10)+" "+strconv.FormatInt(c.Int, 10))
			default:
				if a, ok := s.encodeValue(product, c, keyIdx, scratchIdx); ok {
					args = append(args, a...)
					break
				}
				// Handlers are ours; an unknown op is a programming error that
				// must not write half an event.
				panic(fmt.Sprintf("store: unknown change op %v", c.Op))
			}
		}
		args[hdr] = eventHeader(mk, nBans+len(changes), it.Strict)
	}
	if len(scratchKeys) > 0 {
		s.noteScratch(scratchKeys)
	}
	return keys, args, pos
}

// eventHeader is an event's first argument to apply.lua: its marker key's
// index and number of changes, "!" after them if it is strict.
func eventHeader(markerIdx string, nChanges int, strict bool) string {
	h := markerIdx + ":" + strconv.Itoa(nChanges)
	if strict {
		h += "!"
	}
	return h
}

// markerIdx is the KEYS index of an event's marker key (Keys.Seen),
// remembered for the last hour bucket seen: a batch of stream entries
// falls in one or two buckets, so most events reuse it.
type markerIdx struct {
	keys    Keys
	product string
	idx     func(string) string

	have     bool
	hour     uint64
	external bool
	last     string
}

func (m *markerIdx) of(eventID string) string {
	id, external := strings.CutPrefix(eventID, externalPrefix)
	hour, ok := streamid.Hour(id)
	if ok && m.have && hour == m.hour && external == m.external {
		return m.last
	}
	i := m.idx(m.keys.Seen(m.product, eventID))
	if ok {
		m.have, m.hour, m.external, m.last = true, hour, external, i
	}
	return i
}

// periodArg is the value of an opPeriod change: the closed-periods key's
// index, the period's start, horizon and cutoff and the event's time (ms),
// then the key name parts the script trims an expired instance's keys by
// (its board and rating-state keys: prefix + instance + suffix).
func (s *Store) periodArg(product, closedIdx string, c handler.Change) string {
	v := closedIdx + " " + strconv.FormatInt(int64(c.Num), 10) + " " + c.Str + " " + s.keys.tag(product) + "lb: " + s.keys.tag(product) + "rt:"
	if s.keys.Scratch != "" {
		v += " " + s.keys.Scratch
	}
	return v
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
