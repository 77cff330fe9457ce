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

// SwapIn replaces the live boards (sorted set and rating state) of a
// product with their copies under the scratch suffix, atomically in one
// script: readers see the old boards or the new ones, never a mix.
func (s *Store) SwapIn(ctx context.Context, product, scratch string, boards []string) error {
	if scratch == "" {
		return fmt.Errorf("swap boards of %s: empty scratch suffix", product)
	}
	sort.Strings(boards)
	tmp := Keys{NS: s.keys.NS, Scratch: scratch}
	live := Keys{NS: s.keys.NS}
	var keys []string
	for _, b := range boards {
		keys = append(keys, tmp.Board(product, b), live.Board(product, b),
			tmp.RatingState(product, b), live.RatingState(product, b),
			// A value board's tie-break and metadata (issue 11) go with it.
			tmp.TieSet(product, b), live.TieSet(product, b),
			tmp.TieOf(product, b), live.TieOf(product, b),
			tmp.Meta(product, b), live.Meta(product, b))
	}
	if err := s.swap.Run(ctx, s.rdb, keys).Err(); err != nil {
		return fmt.Errorf("swap rebuilt boards %v of %s in: %w", boards, product, err)
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
