package engine

import (
	"context"

	"github.com/varcade/statsctl/internal/store"
)

// Applier is what the engine needs from a store, and all it may use: read
// the rating states and applied markers a batch depends on, then write the
// batch, guarded or not. Naming it (as go-redis names Scripter) keeps the
// engine from growing into the store's other queries, and lets a test hand
// it a store that fails or races on purpose.
type Applier interface {
	ReadStates(ctx context.Context, reqs map[string]store.ReadRequest) (map[string]store.Snapshot, error)
	ApplyGuarded(ctx context.Context, batches map[string]store.Guarded) (store.Result, error)
	// Encode and ApplyEncoded are the store's Apply in two halves, so
	// that a batch read ahead is laid out for the script while the one
	// before is written.
	Encode(batches map[string][]store.Item) *store.Encoded
	ApplyEncoded(ctx context.Context, e *store.Encoded) (store.Result, error)
}

// The Redis store is the engine's store in every command.
var _ Applier = (*store.Store)(nil)
