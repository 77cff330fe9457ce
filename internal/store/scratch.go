package store

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sort"
)

// Rebuild's scratch copies: a scratch store writes boards, rating states and
// markers under a suffix, the live store swaps them in whole, and the
// scratch store deletes what it wrote.

// Scratch is a store over the same Redis and namespace that writes boards,
// rating states and markers to scratch keys under suffix (see Keys), for a
// rebuild to fill before SwapIn. Stats are not scratch: a rebuild's scorer
// must not write them.
func (s *Store) Scratch(suffix string) *Store {
	st := New(s.rdb, Options{Namespace: s.keys.NS, Scratch: suffix})
	st.ttl = s.ttl
	return st
}

//go:embed swap.lua
var swapSrc string

// SwapIn replaces a product's live board, every instance of it (the
// board itself and every member of its scratch and live registries: each
// instance's sorted set, rating state, tie-break and metadata keys, see
// store.BoardKeys), and its registry with their copies under the scratch
// suffix, atomically in one script in the product's slot: readers see the
// old board or the new one, never a mix. A live instance the scratch copy
// lacks is deleted. The board's closed periods stay as they are, and
// players' history keys are not touched (a rebuild does not rewrite
// history).
func (s *Store) SwapIn(ctx context.Context, product, scratch, board string) error {
	if scratch == "" {
		return fmt.Errorf("swap board %s of %s: empty scratch suffix", board, product)
	}
	tmp := Keys{NS: s.keys.NS, Scratch: scratch}
	live := Keys{NS: s.keys.NS}
	keys := []string{tmp.Instances(product, board), live.Instances(product, board)}
	if err := s.swap.Run(ctx, s.rdb, keys, live.tag(product)+"lb:", live.tag(product)+"rt:", scratch, board).Err(); err != nil {
		return fmt.Errorf("swap rebuilt board %s of %s in: %w", board, product, err)
	}
	return nil
}

// DropScratch deletes, on a scratch store, every scratch key (boards,
// rating states, markers) it may have written, after a rebuild finished or
// failed. Stats keys are never scratch keys and are left alone.
func (s *Store) DropScratch(ctx context.Context) error {
	if s.keys.Scratch == "" {
		return errors.New("drop scratch keys: not a scratch store")
	}
	s.mu.Lock()
	keys := make([]string, 0, len(s.scratch))
	for k := range s.scratch {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		if err := s.rdb.Del(ctx, k).Err(); err != nil {
			return fmt.Errorf("delete scratch key %s: %w", k, err)
		}
		s.mu.Lock()
		delete(s.scratch, k)
		s.mu.Unlock()
	}
	return nil
}

// noteScratch remembers scratch keys a batch is about to write, so that
// DropScratch can find them without the caller knowing the key layout.
func (s *Store) noteScratch(keys []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		s.scratch[k] = true
	}
}
