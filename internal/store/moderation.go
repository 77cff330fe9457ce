package store

import (
	"context"
	_ "embed"
	"encoding/json"
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

// Moderation: remove, ban, unban, reset and erase, each one script on the
// product's slot (moderation.lua), each recorded in the audit stream
// (audit.go). docs/moderation.md is the operator's page.

//go:embed moderation.lua
var moderationSrc string

var moderationScript = sync.OnceValue(func() *redis.Script { return redis.NewScript(moderationSrc) })

// Banned is the hash of a product's banned players: user id -> ban record
// (JSON: reason, actor, time). The apply script refuses every event that
// names a player in it, so it shares the product's hash tag.
func (k Keys) Banned(product string) string { return k.tag(product) + "banned" }

// Archives is the index of a product's archived boards: archive name ->
// record (JSON: board, time, the archived keys).
func (k Keys) Archives(product string) string { return k.tag(product) + "archives" }

// Archive is where reset moves one key of a board: the key's own suffix
// (lb:<instance>, rt:<instance>...) under archive:<name>:, in the product's
// slot. Archive names are [a-z0-9_-], so an archive key never collides with
// a live one.
func (k Keys) Archive(product, name, suffix string) string {
	return k.tag(product) + "archive:" + name + ":" + suffix
}

// Audit is the stream of moderation actions of the whole namespace. On a
// cluster it lives in its own slot, apart from the products' keys; see
// Store.audit for the order of writes.
func (k Keys) Audit() string { return k.NS + ":audit" }

// KeyKind says how a player is cleared from a board key.
type KeyKind string

const (
	// SortedSet keys hold the player as a member (ZREM).
	SortedSet KeyKind = "z"
	// PlayerHash keys hold the player as a field (HDEL): rating states,
	// and any per-player data of a board kept in a hash.
	PlayerHash KeyKind = "h"
	// TieSet keys are a ties: first board's tie-break sorted set, whose
	// member for the player is read from the TieOf hash listed right after
	// it (ZREM of that member).
	TieSet KeyKind = "t"
	// Registry keys list a periodic or split board's instances: no player
	// is in them; reset archives them with the instances.
	Registry KeyKind = "r"
)

// BoardKey is one key of one instance of a board.
type BoardKey struct {
	Key      string
	Kind     KeyKind
	Instance string // the instance's key part (handler.Instance)
}

// BoardKeys lists every key board holds in product, for every instance of
// the board: THE place that answers "which keys does board B of product P
// have". Remove, ban, erase and reset act on exactly what it lists, so a
// board kind or layer that adds keys (periods, segments, tie-break data)
// extends this function and moderation covers them. Today a board has one
// instance, the board itself, with its sorted set and rating state.
//
// The first key is the board's main sorted set (its unsplit, current
// instance), which reset counts players on.
//
// Every instance of a periodic or split board (its registry, docs/boards.md)
// is listed with the same keys, and each instance's value-board keys
// (tie-break set and hash, metadata) with them.
func (s *Store) BoardKeys(ctx context.Context, product, board string) ([]BoardKey, error) {
	instances := []string{board}
	reg, err := s.rdb.ZRange(ctx, s.keys.Instances(product, board), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("instances of %s/%s: %w", product, board, err)
	}
	for _, in := range reg {
		if in != board {
			instances = append(instances, in)
		}
	}
	out := make([]BoardKey, 0, 5*len(instances)+1)
	for _, in := range instances {
		out = append(out,
			BoardKey{Key: s.keys.Board(product, in), Kind: SortedSet, Instance: in},
			BoardKey{Key: s.keys.RatingState(product, in), Kind: PlayerHash, Instance: in},
			BoardKey{Key: s.keys.TieSet(product, in), Kind: TieSet, Instance: in},
			BoardKey{Key: s.keys.TieOf(product, in), Kind: PlayerHash, Instance: in},
			BoardKey{Key: s.keys.Meta(product, in), Kind: PlayerHash, Instance: in})
	}
	out = append(out, BoardKey{Key: s.keys.Instances(product, board), Kind: Registry, Instance: board})
	return out, nil
}

// BannedPrefix starts the apply script's message for an event refused
// because it names a banned player; the player's id follows.
const BannedPrefix = "statsctl banned: "

// BannedUser reports whether Redis refused the event because it names a
// banned player, and which.
func (r Reject) BannedUser() (string, bool) {
	return strings.CutPrefix(r.Message, BannedPrefix)
}

// bansFound reports the apply script's answer to a batch sent without ban
// checks whose product's banned hash exists: nothing was written.
func bansFound(val any) bool {
	v, ok := val.([]any)
	if !ok || len(v) != 1 {
		return false
	}
	n, ok := v[0].(int64)
	return ok && n == -3
}

// bansKnown reports whether product's events must carry ban checks: an
// apply found its banned hash. Until then a batch only has the script
// verify that the hash does not exist, which costs one EXISTS a batch
// instead of four script arguments per player per event.
func (s *Store) bansKnown(product string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.banned[product]
}

func (s *Store) noteBanned(product string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.banned[product] = true
}

// appendBanChecks appends the apply script's 'bx' changes for one event
// (as apply.lua takes a change: op and key index, member, value) and
// returns how many: one per distinct player it names, checked against the
// live banned hash (never a scratch key, so a rebuild skips banned players
// too). idx lists a key.
func (s *Store) appendBanChecks(args []any, product string, changes []handler.Change, idx func(string) string) ([]any, int) {
	n := 0
	seen := map[string]bool{}
	for _, c := range changes {
		if c.User == "" || seen[c.User] {
			continue
		}
		seen[c.User] = true
		args = append(args, opBanCheck+idx(s.keys.Banned(product)), c.User, "")
		n++
	}
	return args, n
}

// Who says who asked for a moderation action and why, for the audit
// stream.
type Who struct {
	Actor  string // a person or system; required
	Reason string // why; required for ban, remove, reset, erase
	Via    string // "cli" or "api"
}

func (w Who) check(action string, needReason bool) error {
	if strings.TrimSpace(w.Actor) == "" {
		return fmt.Errorf("%s: no actor; pass --actor NAME (or set $USER) so the audit stream says who did it", action)
	}
	if needReason && strings.TrimSpace(w.Reason) == "" {
		return fmt.Errorf("%s: no reason; pass --reason TEXT so the audit stream says why", action)
	}
	if len(w.Actor) > 128 || len(w.Reason) > 1024 {
		return fmt.Errorf("%s: actor (at most 128 bytes) or reason (at most 1024 bytes) too long", action)
	}
	return nil
}

// Ban is one banned player of a product.
type Ban struct {
	UserID string    `json:"user_id"`
	Reason string    `json:"reason"`
	Actor  string    `json:"actor"`
	At     time.Time `json:"at"`
}

// PlayerAction is what remove, ban, unban and erase did to one product.
type PlayerAction struct {
	Product string
	// BoardEntries is how many board entries (sorted-set members) were
	// removed; RatingStates how many per-player hash fields.
	BoardEntries, RatingStates int64
	StatsErased                bool
	// HistoryErased is how many of the player's history keys (one per
	// board instance they have history on) were deleted: erase, and
	// remove or ban with eraseStats.
	HistoryErased int64
	// BanChanged: the ban was added (ban) or lifted (unban); false when
	// it was already so.
	BanChanged bool
}

// RemovePlayer takes user off every board of product (every instance, see
// BoardKeys), and with eraseStats deletes their stats and their history on
// every instance too, in one script.
// Running it again changes nothing.
func (s *Store) RemovePlayer(ctx context.Context, prod handler.Product, product, user string, eraseStats bool, who Who) (PlayerAction, error) {
	if err := who.check("remove", true); err != nil {
		return PlayerAction{}, err
	}
	return s.audited(ctx, who, auditFields{action: "remove", product: product, user: user, extra: boolField("erase_stats", eraseStats)},
		func() (PlayerAction, error) {
			return s.playerAction(ctx, prod, product, user, "", "", eraseStats, false)
		})
}

// BanPlayer bans user from product: from the script's return on, no event
// naming them is applied (Reject.BannedUser); unless keepScores, they are
// also taken off every board, in the same script, so no query shows them.
func (s *Store) BanPlayer(ctx context.Context, prod handler.Product, product, user string, keepScores, eraseStats bool, who Who, now time.Time) (PlayerAction, error) {
	if err := who.check("ban", true); err != nil {
		return PlayerAction{}, err
	}
	rec, _ := json.Marshal(Ban{Reason: who.Reason, Actor: who.Actor, At: now.UTC()})
	f := auditFields{action: "ban", product: product, user: user, extra: append(boolField("keep_scores", keepScores), boolField("erase_stats", eraseStats)...)}
	return s.audited(ctx, who, f, func() (PlayerAction, error) {
		if keepScores {
			return s.playerAction(ctx, handler.Product{}, product, user, "ban", string(rec), eraseStats, false)
		}
		return s.playerAction(ctx, prod, product, user, "ban", string(rec), eraseStats, false)
	})
}

// UnbanPlayer lifts a ban: later events count again. Scores removed by the
// ban are not restored (a rebuild recomputes them from the history).
func (s *Store) UnbanPlayer(ctx context.Context, product, user string, who Who) (PlayerAction, error) {
	if err := who.check("unban", false); err != nil {
		return PlayerAction{}, err
	}
	return s.audited(ctx, who, auditFields{action: "unban", product: product, user: user},
		func() (PlayerAction, error) {
			return s.playerAction(ctx, handler.Product{}, product, user, "unban", "", false, false)
		})
}

// ErasePlayer deletes user from every product in products (boards of every
// instance, archived boards, rating states, stats, history): a data-deletion
// request. Each product is one script; the products are done one by one,
// so a failure leaves some erased and the rest not, and running it again
// finishes the job. A ban stays (it is what keeps the player out), and so
// do applied-event markers (they hold event ids, not players).
func (s *Store) ErasePlayer(ctx context.Context, reg *handler.Registry, products []string, user string, who Who) ([]PlayerAction, error) {
	if err := who.check("erase", true); err != nil {
		return nil, err
	}
	var out []PlayerAction
	_, err := s.audited(ctx, who, auditFields{action: "erase", product: "*", user: user}, func() (PlayerAction, error) {
		var sum PlayerAction
		for _, p := range products {
			a, err := s.playerAction(ctx, reg.Lookup(p), p, user, "", "", true, true)
			if err != nil {
				return sum, fmt.Errorf("%w (products before %s are erased; run erase again to finish)", err, p)
			}
			out = append(out, a)
			sum.BoardEntries += a.BoardEntries
			sum.RatingStates += a.RatingStates
			sum.StatsErased = sum.StatsErased || a.StatsErased
			sum.HistoryErased += a.HistoryErased
		}
		return sum, nil
	})
	return out, err
}

// playerAction runs moderation.lua's 'player' action over the keys of
// every board of prod (none for a zero Product), with archives the
// product's archived boards too, and with eraseStats the player's stats
// and their history key on every instance of every board (whether the
// board keeps history now or not: a setting turned off leaves the keys).
func (s *Store) playerAction(ctx context.Context, prod handler.Product, product, user, mode, rec string, eraseStats, archives bool) (PlayerAction, error) {
	keys := []string{s.keys.Banned(product)}
	args := []any{"player", user, mode, rec}
	var hist []string
	for _, b := range prod.Boards {
		bks, err := s.BoardKeys(ctx, product, b.Name)
		if err != nil {
			return PlayerAction{}, err
		}
		for _, bk := range bks {
			keys = append(keys, bk.Key)
			args = append(args, string(bk.Kind))
			if eraseStats && bk.Kind == SortedSet {
				hist = append(hist, s.keys.History(product, bk.Instance, user))
			}
		}
	}
	for _, k := range hist {
		keys = append(keys, k)
		args = append(args, "x")
	}
	if archives {
		arch, err := s.Archives(ctx, product)
		if err != nil {
			return PlayerAction{}, err
		}
		for _, a := range arch {
			for _, k := range a.Keys {
				keys = append(keys, k.Key)
				args = append(args, string(k.Kind))
			}
		}
	}
	if eraseStats {
		keys = append(keys, s.keys.Stats(product, user))
		args = append(args, "d")
	}
	v, err := moderationScript().Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return PlayerAction{}, fmt.Errorf("%s of %s: %w", product, user, err)
	}
	if len(v) != 5 {
		return PlayerAction{}, fmt.Errorf("%s of %s: unexpected reply %v (is moderation.lua out of date?)", product, user, v)
	}
	return PlayerAction{Product: product, BoardEntries: v[0], RatingStates: v[1], StatsErased: v[2] > 0, BanChanged: v[3] > 0, HistoryErased: v[4]}, nil
}

// Bans lists a product's banned players, by user id.
func (s *Store) Bans(ctx context.Context, product string) ([]Ban, error) {
	m, err := s.rdb.HGetAll(ctx, s.keys.Banned(product)).Result()
	if err != nil {
		return nil, fmt.Errorf("bans of %s: %w", product, err)
	}
	out := make([]Ban, 0, len(m))
	for u, raw := range m {
		b := Ban{Reason: raw}
		_ = json.Unmarshal([]byte(raw), &b) // a hand-written record keeps its text as the reason
		b.UserID = u
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].UserID < out[j].UserID })
	return out, nil
}

// IsBanned reports whether user is banned from product.
func (s *Store) IsBanned(ctx context.Context, product, user string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.keys.Banned(product), user).Result()
	if err != nil {
		return false, fmt.Errorf("ban of %s in %s: %w", user, product, err)
	}
	return ok, nil
}

// CheckArchiveName refuses archive names that could not be part of a key
// or would be hard to type.
func CheckArchiveName(name string) error {
	if name == "" || len(name) > 64 {
		return errors.New("the archive name must be 1 to 64 characters of a-z, 0-9, '_' and '-', e.g. season-3")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return fmt.Errorf("archive name %q has %q; use a-z, 0-9, '_' and '-', e.g. season-3", name, r)
		}
	}
	return nil
}

// ResetResult is what a reset did.
type ResetResult struct {
	Players int64 // players on the board when it was archived
	Again   bool  // the archive was made before and the board is still empty
}

// ResetBoard archives every key of board (every instance, see BoardKeys)
// under name, leaving the board empty, in one script, and records the
// board's spec in prod with the archive, so ArchivedTop reads it as the
// board was (archive.go). Applied-event markers
// stay, so a redelivered old event is still a duplicate. Running it again
// with the same name on the still-empty board changes nothing; a name
// already used for other data is refused.
func (s *Store) ResetBoard(ctx context.Context, prod handler.Product, product, board, name string, who Who, now time.Time) (ResetResult, error) {
	if err := CheckArchiveName(name); err != nil {
		return ResetResult{}, err
	}
	if err := who.check("reset", true); err != nil {
		return ResetResult{}, err
	}
	bks, err := s.BoardKeys(ctx, product, board)
	if err != nil {
		return ResetResult{}, err
	}
	tag := s.keys.tag(product)
	rec := ArchivedBoard{Board: board, Actor: who.Actor, At: now.UTC(), Spec: archiveSpecOf(RefOf(prod, product, board).Spec)}
	keys := []string{s.keys.Archives(product)}
	kinds := []any{}
	for _, bk := range bks {
		arch := s.keys.Archive(product, name, strings.TrimPrefix(bk.Key, tag))
		keys = append(keys, bk.Key, arch)
		kinds = append(kinds, string(bk.Kind))
		rec.Keys = append(rec.Keys, BoardKey{Key: arch, Kind: bk.Kind, Instance: bk.Instance})
	}
	raw, _ := json.Marshal(rec)
	var out ResetResult
	_, err = s.audited(ctx, who, auditFields{action: "reset", product: product, board: board, archive: name}, func() (PlayerAction, error) {
		args := append([]any{"reset", name, string(raw)}, kinds...)
		v, err := moderationScript().Run(ctx, s.rdb, keys, args...).Int64Slice()
		if err != nil {
			return PlayerAction{}, fmt.Errorf("reset %s/%s: %w", product, board, err)
		}
		if len(v) != 2 {
			return PlayerAction{}, fmt.Errorf("reset %s/%s: unexpected reply %v", product, board, v)
		}
		out = ResetResult{Players: v[0], Again: v[1] == 1}
		return PlayerAction{Product: product, BoardEntries: v[0]}, nil
	})
	return out, err
}

func boolField(name string, v bool) []string { return []string{name, strconv.FormatBool(v)} }
