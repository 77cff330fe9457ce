package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/redisconn"
)

//go:embed legacy.lua
var legacySrc string

var legacyScript = redis.NewScript(legacySrc)

// StagingTTL bounds how long staged import keys outlive a killed import:
// they are never read as data, and expire by themselves.
const StagingTTL = 24 * time.Hour

// Migrated is the marker saying a product's history was imported from the
// old service; it holds a JSON summary of the import. It lives in the
// product's slot so the import script writes it with the data.
func (k Keys) Migrated(product string) string { return k.tag(product) + "migrated:legacy" }

// stagedBoard and stagedStats are an import's scratch copies, named apart
// from every live key (`}:migrate.` never matches `}:lb:` or `}:stats:`).
func (k Keys) stagedBoard(product, token string) string {
	return k.tag(product) + "migrate." + token + ":lb:wins"
}

func (k Keys) stagedStats(product, token, user string) string {
	return k.tag(product) + "migrate." + token + ":stats:" + user
}

// MigrationMarker returns the marker's summary and whether it is set.
func (s *Store) MigrationMarker(ctx context.Context, product string) (string, bool, error) {
	v, err := s.rdb.Get(ctx, s.keys.Migrated(product)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the import marker of %s: %w", product, err)
	}
	return v, true, nil
}

// StatsHashCounts counts every product's stats hashes (one SCAN over the
// namespace, on every master of a cluster), so an import can tell a product
// that already has stats without a board from an empty one.
func (s *Store) StatsHashCounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	prefix := s.keys.NS + ":{"
	err := redisconn.ScanKeys(ctx, s.rdb, escapeGlob(s.keys.NS)+":{*}:stats:*", 1000, func(k string) {
		if p, _, ok := strings.Cut(strings.TrimPrefix(k, prefix), "}:stats:"); ok {
			out[p]++
		}
	})
	if err != nil {
		return nil, fmt.Errorf("scan the stats of namespace %s: %w", s.keys.NS, err)
	}
	return out, nil
}

// escapeGlob quotes SCAN's pattern characters in a literal part.
func escapeGlob(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Import stages one product's history in scratch keys, chunk by chunk, and
// moves it into place with one script: readers see none of it until Commit,
// and a process killed before Commit leaves only expiring scratch keys.
type Import struct {
	s        *Store
	product  string
	token    string
	players  int64
	pending  map[string]bool  // staged board members (ZSCAN may repeat some)
	fields   map[string]int64 // user -> staged field count
	order    []string         // users in staging order
	userSeen map[string]map[string]bool
}

// NewImport starts an import of product; token makes its scratch keys its
// own (two imports at once cannot mix: only one passes the marker check).
func (s *Store) NewImport(product, token string) *Import {
	return &Import{s: s, product: product, token: token, pending: map[string]bool{},
		fields: map[string]int64{}, userSeen: map[string]map[string]bool{}}
}

// StageScores adds board entries (member -> score) to the staged board.
func (im *Import) StageScores(ctx context.Context, zs []redis.Z) error {
	if len(zs) == 0 {
		return nil
	}
	k := im.s.keys.stagedBoard(im.product, im.token)
	_, err := im.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, k, zs...)
		p.PExpire(ctx, k, StagingTTL)
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage the board of %s: %w", im.product, err)
	}
	for _, z := range zs {
		m := z.Member.(string)
		if !im.pending[m] {
			im.pending[m] = true
			im.players++
		}
	}
	return nil
}

// StageStats adds stat fields (name -> integer) to players' staged hashes
// (user -> fields), all in one round trip; each key gets its expiry in the
// same transaction, so a kill never leaves one that does not expire.
func (im *Import) StageStats(ctx context.Context, users map[string]map[string]int64) error {
	_, err := im.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for user, fields := range users {
			if len(fields) == 0 {
				continue
			}
			k := im.s.keys.stagedStats(im.product, im.token, user)
			vals := make([]any, 0, 2*len(fields))
			for f, v := range fields {
				vals = append(vals, f, strconv.FormatInt(v, 10))
			}
			p.HSet(ctx, k, vals...)
			p.PExpire(ctx, k, StagingTTL)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage the stats of %d players of %s: %w", len(users), im.product, err)
	}
	for user, fields := range users {
		if len(fields) == 0 {
			continue
		}
		seen := im.userSeen[user]
		if seen == nil {
			seen = map[string]bool{}
			im.userSeen[user] = seen
			im.order = append(im.order, user)
		}
		for f := range fields {
			if !seen[f] {
				seen[f] = true
				im.fields[user]++
			}
		}
	}
	return nil
}

// CommitRefusal is why Commit changed nothing: the product was imported
// before (Reason "migrated", Detail the marker), it has data and merge was
// not asked ("has_data"), a live key has a wrong type or value
// ("wrong_type", "not_integer", "overflow"), or the staged copy is not
// whole ("incomplete": a scratch key expired or was deleted).
type CommitRefusal struct {
	Product, Reason, Key, Field, Detail string
}

func (e *CommitRefusal) Error() string {
	switch e.Reason {
	case "migrated":
		return fmt.Sprintf("%s was imported before (%s)", e.Product, e.Detail)
	case "has_data":
		return fmt.Sprintf("%s already has data (%s): pass --merge to add the old values to it", e.Product, e.Key)
	case "incomplete":
		return fmt.Sprintf("%s: staged copy %s is incomplete (expired or deleted while importing); run the import again", e.Product, e.Key)
	case "not_integer":
		return fmt.Sprintf("%s: cannot add to %s field %s: its current value is not an integer; fix or delete it", e.Product, e.Key, e.Field)
	case "overflow":
		return fmt.Sprintf("%s: adding to %s field %s would overflow 64 bits", e.Product, e.Key, e.Field)
	}
	return fmt.Sprintf("%s: %s is not of the expected type (%s)", e.Product, e.Key, e.Reason)
}

// Commit moves the staged history into place and writes marker (which must
// be unique to this import, e.g. hold its time), all in one
// script run: either all of the product's board and stats appear with the
// marker, or nothing changes (a *CommitRefusal says why). With merge, the
// staged values are added to live ones. The product is listed in the
// products set first (harmless if the commit then refuses).
func (im *Import) Commit(ctx context.Context, merge bool, marker string) error {
	k := im.s.keys
	keys := []string{k.Migrated(im.product), k.Board(im.product, "wins"), k.stagedBoard(im.product, im.token)}
	mode := "replace"
	if merge {
		mode = "merge"
	}
	args := []any{mode, marker, im.players}
	for _, u := range im.order {
		keys = append(keys, k.stagedStats(im.product, im.token, u), k.Stats(im.product, u))
		args = append(args, im.fields[u])
	}
	if err := im.s.rdb.SAdd(ctx, k.Products(), im.product).Err(); err != nil {
		return fmt.Errorf("list %s in the products set: %w", im.product, err)
	}
	v, err := legacyScript.Run(ctx, im.s.rdb, keys, args...).StringSlice()
	if err != nil {
		// The script may have run although its reply was lost (a read
		// timeout on a big product, then BUSY while it still runs): the
		// marker tells, once Redis answers again.
		if im.landed(ctx, marker) {
			return nil
		}
		return fmt.Errorf("move the import of %s into place: %w", im.product, err)
	}
	if len(v) == 0 {
		return fmt.Errorf("move the import of %s into place: empty reply", im.product)
	}
	// A reply lost to a read timeout makes the client send the script
	// again, which then finds the marker this import wrote: that is a
	// success, told apart by the marker being ours.
	if v[0] == "ok" || v[0] == "migrated" && len(v) > 1 && v[1] == marker {
		return nil
	}
	r := &CommitRefusal{Product: im.product, Reason: v[0]}
	if len(v) > 1 {
		if v[0] == "migrated" {
			r.Detail = v[1]
		} else {
			r.Key = v[1]
		}
	}
	if len(v) > 2 {
		r.Field = v[2]
	}
	return r
}

// Drop deletes the staged keys (after a refusal, or when the import stops).
func (im *Import) Drop(ctx context.Context) error {
	k := im.s.keys
	ks := []string{k.stagedBoard(im.product, im.token)}
	for _, u := range im.order {
		ks = append(ks, k.stagedStats(im.product, im.token, u))
	}
	// One DEL per key: the keys share a slot, but a long list is cut into
	// pipelined commands to stay small.
	_, err := im.s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for start := 0; start < len(ks); start += 500 {
			p.Del(ctx, ks[start:min(start+500, len(ks))]...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete the staged import of %s (it expires within %s anyway): %w", im.product, StagingTTL, err)
	}
	return nil
}

// Staged is what an import has staged so far: players on the board, stats
// hashes and their fields.
func (im *Import) Staged() (players, hashes, fields int64) {
	for _, n := range im.fields {
		fields += n
	}
	return im.players, int64(len(im.order)), fields
}

// landed reports whether this import's marker is in place, asking for up
// to a minute while Redis is busy (a long script runs).
func (im *Import) landed(ctx context.Context, marker string) bool {
	for range 60 {
		v, err := im.s.rdb.Get(ctx, im.s.keys.Migrated(im.product)).Result()
		if err == nil {
			return v == marker
		}
		if errors.Is(err, redis.Nil) || !redis.HasErrorPrefix(err, "BUSY") {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(time.Second):
		}
	}
	return false
}
