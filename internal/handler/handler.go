// Package handler holds the registry of per-game handlers: pure functions that
// turn one event and the current values into the changes it makes. They do no
// I/O, so they can be tested alone and the store can batch their changes and
// apply them atomically and idempotently.
package handler

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/varcade/statsctl/internal/event"
)

// Op is what one change does to stored data. The set is small on purpose:
// every op maps to one Redis command the store runs inside its apply script.
type Op uint8

const (
	// ScoreAdd adds Num to the player's score on Board (ZINCRBY).
	ScoreAdd Op = iota + 1
	// ScoreEnsure puts the player on Board at Num unless already there
	// (ZADD NX): how a loser "enters the board at 0" without losing points.
	ScoreEnsure
	// ScoreSet sets the player's score on Board to Num (ZADD), for scorers
	// that compute a new rating rather than an increment.
	ScoreSet
	// StatAdd adds Int to the player's stat Field (HINCRBY). Adding 0 creates
	// the field, which is how "losses: 0" exists from a winner's first game.
	StatAdd
	// StatSet sets the player's stat Field to Str (HSET).
	StatSet
	// StateSet sets the player's rating state on Board to Str (HSET in the
	// board's state hash), for stateful scorers. The engine guards it: the
	// state it was computed from must still be stored when it is written.
	StateSet
	// HistoryPoint records the player's current score on Board (after the
	// event's earlier changes) in their history at Int (event time, Unix
	// ms; 0 = the store's clock), within History's bounds (history.go).
	HistoryPoint
	// PeriodOpen registers a period instance (Board) of board Field in the
	// board's instance registry at its start (Num, ms), after the apply
	// script checked the period is neither closed nor older than the kept
	// archive; Str holds "horizon cutoff event" in ms (periodic.go).
	PeriodOpen
	// InstanceAdd registers an instance (Board) of board Field in the
	// board's registry at Num (its period's start, 0 if not periodic),
	// refusing a new one beyond Int segments of that period (0 = no max).
	InstanceAdd
)

// String names the op for logs and test failures.
func (o Op) String() string {
	switch o {
	case ScoreAdd:
		return "score+"
	case ScoreEnsure:
		return "score?"
	case ScoreSet:
		return "score="
	case StatAdd:
		return "stat+"
	case StatSet:
		return "stat="
	case StateSet:
		return "state="
	case HistoryPoint:
		return "history"
	case PeriodOpen:
		return "period"
	case InstanceAdd:
		return "instance"
	}
	return fmt.Sprintf("op(%d)", o)
}

// Change is one effect of one event on one player.
type Change struct {
	Op    Op
	Board string // for score ops
	User  string
	Field string // for stat ops
	Num   float64
	Int   int64
	Str   string
	// History bounds a HistoryPoint change (history.go).
	History History
}

// String renders a change compactly for test diffs and debugging.
func (c Change) String() string {
	switch c.Op {
	case ScoreAdd, ScoreEnsure, ScoreSet:
		return fmt.Sprintf("%s %s/%s %s", c.Op, c.Board, c.User, strconv.FormatFloat(c.Num, 'f', -1, 64))
	case StatSet:
		return fmt.Sprintf("%s %s.%s %q", c.Op, c.User, c.Field, c.Str)
	case StateSet:
		return fmt.Sprintf("%s %s/%s %s", c.Op, c.Board, c.User, c.Str)
	case PeriodOpen, InstanceAdd:
		return fmt.Sprintf("%s %s %s %s %d", c.Op, c.Board, strconv.FormatFloat(c.Num, 'f', -1, 64), c.Str, c.Int)
	default:
		return fmt.Sprintf("%s %s.%s %d", c.Op, c.User, c.Field, c.Int)
	}
}

// Invalid is a handler's verdict that an event cannot be applied. Reason is a
// short stable code (for counters and metrics labels, so it must come from a
// small set); Detail says what is wrong for a person.
type Invalid struct {
	Reason string
	Detail string
}

func (e *Invalid) Error() string { return e.Detail }

// Reasons an event is skipped. They are the values of the "reason" label in
// summaries and metrics, so keep the set small and stable.
const (
	ReasonMissingField  = "missing_field"
	ReasonBadUser       = "bad_user"
	ReasonUnknownWeapon = "unknown_weapon"
	ReasonSamePlayer    = "same_player"
	ReasonMalformed     = "malformed"
	// ReasonUnknownValue: a configured stats rule met a value its value map
	// does not list.
	ReasonUnknownValue = "unknown_value"
	// ReasonStoreRejected: Redis refused one of the event's writes (a key
	// of the wrong type, an integer or score overflow); nothing of the
	// event was written.
	ReasonStoreRejected = "store_rejected"
	// ReasonOutOfRange: a value outside its board's or rule's bounds
	// (min, max, max_change, the exact range); nothing of the event is
	// applied.
	ReasonOutOfRange = "out_of_range"
	// ReasonMissingTime: a periodic board needs the event's time (its
	// stream id, or a time/ts field) to know its period.
	ReasonMissingTime = "missing_time"
	// ReasonPeriodExpired: the event's period is older than the board's
	// kept archive; it is not resurrected.
	ReasonPeriodExpired = "period_expired"
	// ReasonPeriodClosed: the event's period has closed (its standings
	// were published); its board no longer changes.
	ReasonPeriodClosed = "period_closed"
	// ReasonFutureTime: the event's time is ahead of the server's clock.
	ReasonFutureTime = "future_time"
	// ReasonSegmentLimit: the event names a segment beyond the board's
	// allow-list or maximum.
	ReasonSegmentLimit = "segment_limit"
	// ReasonBadSegment: a split field's value cannot be part of a key.
	ReasonBadSegment = "bad_segment"
	// ReasonBanned: the event names a player banned from its product
	// (statsctl admin ban); nothing of it was written, for either player.
	ReasonBanned = "banned"
)

// ScriptReason reads the reason the apply script itself gives for refusing
// an event (its messages start "statsctl <reason>: "), so the engine
// reports it as that reason and not as store_rejected.
func ScriptReason(msg string) (reason, detail string, ok bool) {
	rest, found := strings.CutPrefix(msg, "statsctl ")
	if !found {
		return "", "", false
	}
	r, d, found := strings.Cut(rest, ": ")
	switch r {
	case ReasonPeriodExpired, ReasonPeriodClosed, ReasonFutureTime, ReasonSegmentLimit:
		return r, d, found
	}
	return "", "", false
}

// Reasons lists every reason code, for validating configuration.
func Reasons() []string {
	return []string{ReasonMissingField, ReasonBadUser, ReasonUnknownWeapon, ReasonSamePlayer, ReasonMalformed, ReasonUnknownValue, ReasonMatchTooLarge, ReasonOutOfRange}
}

// Invalidf builds an Invalid with a formatted detail.
func Invalidf(reason, format string, args ...any) *Invalid {
	return &Invalid{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Values is the read-only view of current data a handler may consult. Only
// stateful scorers need it; the built-in ones are increments and ignore it.
type Values interface {
	Score(board, user string) (float64, bool)
	Stat(user, field string) (string, bool)
}

// StateReader is the view of current rating state a stateful scorer reads:
// the text it last wrote with StateSet for a player on a board. It is a
// separate interface so that existing Values implementations keep
// compiling; the engine's views implement both.
type StateReader interface {
	State(board, user string) (string, bool)
}

// Ref names one piece of state a stateful handler reads: a player's rating
// state on a board of the event's product.
type Ref struct {
	Board, User string
}

// Stateful is implemented by handlers whose changes depend on current state
// (Elo, Glicko-2). The engine reads what Needs names before calling Handle,
// feeds Handle those values (plus the effect of earlier events of the same
// batch), and writes the result only if the state read is still current.
// Handlers that do not implement it are increments and take the fast path.
type Stateful interface {
	Needs(ev event.Event) []Ref
}

// NoValues is the empty view, for handlers that need no current data.
type NoValues struct{}

// State reports no state: a stateful scorer treats every player as new.
func (NoValues) State(string, string) (string, bool) { return "", false }

// Score reports no score.
func (NoValues) Score(string, string) (float64, bool) { return 0, false }

// Stat reports no stat.
func (NoValues) Stat(string, string) (string, bool) { return "", false }

// Handler turns one event into changes. It must be pure: the same event and
// values always give the same changes, and it touches nothing outside. An
// event that is not its business yields no changes and no error.
type Handler interface {
	Handle(ev event.Event, cur Values) ([]Change, error)
}

// HandlerFunc adapts a plain function to Handler.
type HandlerFunc func(ev event.Event, cur Values) ([]Change, error)

// Handle calls f.
func (f HandlerFunc) Handle(ev event.Event, cur Values) ([]Change, error) { return f(ev, cur) }

// Board is one leaderboard of a product and the scorer that keeps it.
type Board struct {
	Name   string
	Scorer Handler
	// History is the board's history: setting (history.go); zero keeps none.
	History History
	// Spec is how the board ranks and reads (order, ties, format); the
	// zero Spec is higher-is-better with shared ties.
	Spec Spec
}

// Product is everything statsctl does for one game: its boards (the first is
// the default one the portal's top_ten shows), its stats handlers, and the
// order in which a person wants to read its stats.
type Product struct {
	Boards    []Board
	Stats     []Handler
	StatOrder []string
}

// DefaultBoard names the board shown when none is asked for.
func (p Product) DefaultBoard() string {
	if len(p.Boards) == 0 {
		return ""
	}
	return p.Boards[0].Name
}

// HasBoard reports whether the product keeps a board of that name.
func (p Product) HasBoard(name string) bool {
	for _, b := range p.Boards {
		if b.Name == name {
			return true
		}
	}
	return false
}

// Handle runs every scorer and stats handler of the product over ev and
// gathers their changes. The first invalid verdict wins: an event is applied
// whole or not at all.
func (p Product) Handle(ev event.Event, cur Values) ([]Change, error) {
	var out []Change
	for _, b := range p.Boards {
		ch, err := b.Scorer.Handle(ev, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, ch...)
		out = append(out, b.History.HistoryPoints(ev, ch)...)
	}
	for _, h := range p.Stats {
		ch, err := h.Handle(ev, cur)
		if err != nil {
			return nil, err
		}
		out = append(out, ch...)
	}
	return out, nil
}

// Needs gathers the state every stateful board and stats handler of the
// product reads for ev; nil means the event takes the stateless path.
func (p Product) Needs(ev event.Event) []Ref {
	var out []Ref
	for _, b := range p.Boards {
		if s, ok := b.Scorer.(Stateful); ok {
			out = append(out, s.Needs(ev)...)
		}
	}
	for _, h := range p.Stats {
		if s, ok := h.(Stateful); ok {
			out = append(out, s.Needs(ev)...)
		}
	}
	return out
}

// Stateful reports whether any handler of the product is stateful, so
// tools (rebuild, stats) know which boards carry rating state.
func (p Product) Stateful() bool {
	for _, b := range p.Boards {
		if _, ok := b.Scorer.(Stateful); ok {
			return true
		}
	}
	for _, h := range p.Stats {
		if _, ok := h.(Stateful); ok {
			return true
		}
	}
	return false
}

// OrderStats sorts stat names for display: the product's preferred order
// first, then the rest alphabetically, so tables read the same every time.
func (p Product) OrderStats(names []string) []string {
	pos := make(map[string]int, len(p.StatOrder))
	for i, n := range p.StatOrder {
		pos[n] = i
	}
	out := append([]string(nil), names...)
	sort.SliceStable(out, func(i, j int) bool {
		pi, iok := pos[out[i]]
		pj, jok := pos[out[j]]
		switch {
		case iok && jok:
			return pi < pj
		case iok != jok:
			return iok
		default:
			return out[i] < out[j]
		}
	})
	return out
}

// Registry maps product ids to their handlers, falling back to a default for
// unknown products as the old Stats Tracker did. It is built once at start
// and read-only afterwards, so it needs no locking.
type Registry struct {
	products map[string]Product
	fallback Product
}

// NewRegistry makes a registry whose unknown products use fallback.
func NewRegistry(fallback Product) *Registry {
	return &Registry{products: map[string]Product{}, fallback: fallback}
}

// Register binds handlers to a product id.
func (r *Registry) Register(product string, p Product) error {
	if err := event.CheckProduct(product); err != nil {
		return fmt.Errorf("register product: %w", err)
	}
	if len(p.Boards) == 0 {
		return fmt.Errorf("register product %s: it needs at least one board", product)
	}
	seen := map[string]bool{}
	for _, b := range p.Boards {
		if b.Name == "" || b.Scorer == nil || seen[b.Name] {
			return fmt.Errorf("register product %s: board %q is unnamed, has no scorer or is listed twice", product, b.Name)
		}
		seen[b.Name] = true
	}
	r.products[product] = p
	return nil
}

// Lookup returns the product's handlers, or the fallback for unknown ones.
func (r *Registry) Lookup(product string) Product {
	if p, ok := r.products[product]; ok {
		return p
	}
	return r.fallback
}

// Fallback is the product unknown ids use (the config's default:), for
// jobs that must reach those products too (closing their periods).
func (r *Registry) Fallback() Product { return r.fallback }

// Known lists the products registered explicitly, sorted.
func (r *Registry) Known() []string {
	out := make([]string, 0, len(r.products))
	for k := range r.products {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
