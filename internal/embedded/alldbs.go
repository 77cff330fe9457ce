package embedded

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// NumDatabases is how many Redis databases the embedded store serves
// (SELECT 0..15, as Redis's default); every one of them is saved.
const NumDatabases = 16

// captureAll captures every database that has keys. Each database is read
// in its own MULTI/EXEC, so each is a consistent point in time; writes to
// two databases between their reads may land in one and not the other.
func captureAll(ctx context.Context, m *miniredis.Miniredis, adminPW string, now time.Time) (*snapshot, error) {
	all := &snapshot{SavedAt: now}
	for db := range NumDatabases {
		if len(m.DB(db).Keys()) == 0 {
			continue
		}
		c := dialMiniredisDB(m, adminPW, db)
		snap, err := capture(ctx, c, now)
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("database %d: %w", db, err)
		}
		for _, rec := range snap.Keys {
			rec.DB = db
			all.Keys = append(all.Keys, rec)
		}
		for _, sk := range snap.skipped {
			all.skipped = append(all.skipped, fmt.Sprintf("db %d: %s", db, sk))
		}
	}
	return all, nil
}

// restoreAll loads snap into m database by database; version 1 records
// carry no database number and so land in database 0.
func restoreAll(ctx context.Context, m *miniredis.Miniredis, snap *snapshot, now time.Time) error {
	byDB := map[int][]keyRecord{}
	for _, rec := range snap.Keys {
		if rec.DB < 0 || rec.DB >= NumDatabases {
			return fmt.Errorf("key %q: database %d is out of range 0..%d", rec.Key, rec.DB, NumDatabases-1)
		}
		byDB[rec.DB] = append(byDB[rec.DB], rec)
	}
	dbs := make([]int, 0, len(byDB))
	for db := range byDB {
		dbs = append(dbs, db)
	}
	sort.Ints(dbs)
	defer m.Select(0)
	for _, db := range dbs {
		m.Select(db) // miniredis's direct API writes to the selected database
		c := dialMiniredisDB(m, "", db)
		err := restore(ctx, m, c, &snapshot{SavedAt: snap.SavedAt, Keys: byDB[db]}, now)
		c.Close()
		if err != nil {
			return fmt.Errorf("database %d: %w", db, err)
		}
	}
	return nil
}

// UnconsumedStreams lists the databases other than consumedDB in which
// stream has entries: events game servers write there are never applied,
// so serve warns about them. Empty in remote mode.
func (s *Store) UnconsumedStreams(stream string, consumedDB int) []int {
	if s.remote || s.m == nil {
		return nil
	}
	var out []int
	for db := range NumDatabases {
		if db == consumedDB {
			continue
		}
		d := s.m.DB(db)
		if d.Type(stream) != "stream" {
			continue
		}
		if e, err := d.Stream(stream); err == nil && len(e) > 0 {
			out = append(out, db)
		}
	}
	return out
}

// URLDB is URL on database db, for a statsctl client (serve's in-process
// consumer) that reads a stream game servers write to another database.
func (s *Store) URLDB(db int) string {
	return fmt.Sprintf("%s/%d", s.URL(), db)
}
