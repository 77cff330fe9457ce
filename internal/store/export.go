package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/handler"
)

// ExportSnapshotTTL bounds how long an export's snapshot of a board can
// outlive the export (a killed process, a lost connection). Each page
// renews it, so a slow reader of the output never loses its snapshot.
const ExportSnapshotTTL = 10 * time.Minute

// DefaultExportPage is how many entries an export reads per round trip:
// large enough that round trips do not dominate, small enough that the
// process holds a few megabytes whatever the board's size.
const DefaultExportPage = 10000

// Export hands a whole board to fn page by page, best first for its order,
// with ranks as everywhere (ties shared, or first-to-reach on a ties: first
// board), so a caller can write an export of any size in flat memory. The
// pages come from one snapshot of the board's keys (a COPY of each on its
// own slot, all in one MULTI), so an export taken while consumers write
// lists every player exactly once with the ranks of one moment. The
// snapshot costs Redis the board's memory until the export ends; it is
// removed at the end and expires after ExportSnapshotTTL if the process
// dies first. Entries before offset are skipped. fn gets each page's
// entries and the board's size; an error from fn stops the export and is
// returned.
func (s *Store) Export(ctx context.Context, ref BoardRef, offset, pageSize int64, fn func(entries []Entry, total int64) error) error {
	product, board := ref.Product, ref.Instance
	if pageSize <= 0 {
		pageSize = DefaultExportPage
	}
	token, err := exportToken()
	if err != nil {
		return err
	}
	snap := ref
	snap.Instance = ExportInstance(ref.Instance, token)
	pairs := [][2]string{{s.keys.Board(product, ref.Instance), s.keys.Board(product, snap.Instance)}}
	if ref.Spec.Ties == handler.First {
		pairs = append(pairs,
			[2]string{s.keys.TieSet(product, ref.Instance), s.keys.TieSet(product, snap.Instance)},
			[2]string{s.keys.TieOf(product, ref.Instance), s.keys.TieOf(product, snap.Instance)})
	}
	if len(ref.Spec.Meta) > 0 {
		pairs = append(pairs, [2]string{s.keys.Meta(product, ref.Instance), s.keys.Meta(product, snap.Instance)})
	}
	// COPY and EXPIRE in one MULTI: a snapshot is never left without its
	// TTL, and its keys are of one moment.
	copied := make([]*redis.IntCmd, len(pairs))
	if _, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, p := range pairs {
			copied[i] = pipe.Copy(ctx, p[0], p[1], 0, false)
			pipe.Expire(ctx, p[1], ExportSnapshotTTL)
		}
		return nil
	}); err != nil {
		if redis.HasErrorPrefix(err, "ERR unknown command") {
			return fmt.Errorf("export %s/%s: this Redis has no COPY (it needs Redis 6.2 or later): %w", product, board, err)
		}
		return fmt.Errorf("export %s/%s: snapshot the board: %w", product, board, err)
	}
	// The snapshot goes whatever happens next; a fresh context so a
	// cancelled export (Ctrl-C) still cleans up.
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, p := range pairs {
			_ = s.rdb.Del(dctx, p[1]).Err()
		}
	}()
	if copied[0].Val() == 0 {
		return fn(nil, 0) // no such board yet: an empty export
	}
	start := max(offset, 0)
	for offset := start; ; offset += pageSize {
		vals, err := s.runRead(ctx, snap, "page", offset, offset+pageSize-1)
		if err != nil {
			return fmt.Errorf("export %s/%s at offset %d: %w", product, board, offset, err)
		}
		page, err := s.finishPage(ctx, snap, vals)
		if err != nil {
			return fmt.Errorf("export %s/%s at offset %d: %w", product, board, offset, err)
		}
		if page.Total == 0 && offset > start {
			return fmt.Errorf("export %s/%s: the snapshot vanished at offset %d (expired after %s without a page read, or deleted): run the export again", product, board, offset, ExportSnapshotTTL)
		}
		if err := fn(page.Entries, page.Total); err != nil {
			return err
		}
		if int64(len(page.Entries)) < pageSize || offset+pageSize >= page.Total {
			return nil
		}
		for _, p := range pairs {
			if err := s.rdb.Expire(ctx, p[1], ExportSnapshotTTL).Err(); err != nil {
				return fmt.Errorf("export %s/%s: renew the snapshot: %w", product, board, err)
			}
		}
	}
}

func exportToken() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", errors.New("export: no randomness for the snapshot's name: " + err.Error())
	}
	return hex.EncodeToString(b[:]), nil
}
