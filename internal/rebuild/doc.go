// Package rebuild recomputes one board of a product from history into fresh
// (scratch) keys and swaps it in atomically, so an operator can change K or
// tau (or fix a scorer) without downtime or a half-built board: readers see
// the old board until the new one is complete, and a failed rebuild leaves
// the live board untouched and no scratch key behind.
//
// A periodic or split board is rebuilt with every period and segment it
// has (docs/ratings.md "Rebuilding a board").
//
// It holds the whole procedure: the boards-only registry (stats must not
// count history twice; the other boards referee, their scratch keys
// dropped), the scratch store, the filter that
// passes on only the product's events, XRANGE paging of the stream
// (StreamSource), the swap and the cleanup. `statsctl rebuild` (cmd/rebuild)
// only turns flags into Options, opens the history and prints the Result.
package rebuild
