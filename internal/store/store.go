package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultNamespace prefixes every key statsctl writes, so it can share a
// Redis with other services (the Matchmaker, the old tracker) safely.
const DefaultNamespace = "statsctl"

// DefaultMarkerTTL is how long applied-event markers live after their bucket
// was last written. A redelivery or replay older than this counts again.
const DefaultMarkerTTL = 7 * 24 * time.Hour

// Options configures a Store.
type Options struct {
	Namespace string        // key prefix; DefaultNamespace when empty
	MarkerTTL time.Duration // 0 = DefaultMarkerTTL; negative = markers never expire
	// Scratch makes a store that writes boards, rating states and markers
	// to scratch keys (see Keys.Scratch); for rebuild only.
	Scratch string
}

// Store is the Redis-backed home of boards and stats. It is safe for
// concurrent use; it holds no data of its own beyond caches of what is
// already in Redis.
type Store struct {
	rdb   redis.UniversalClient
	keys  Keys
	ttl   int64
	apply *redis.Script
	read  *redis.Script
	swap  *redis.Script

	mu      sync.Mutex
	known   map[string]bool // products already added to the products set
	scratch map[string]bool // scratch keys written (scratch stores only)
	// banned lists the products whose banned hash an apply found to
	// exist: their events carry per-player ban checks from then on; the
	// others' batches only ask the script to verify there is none.
	banned map[string]bool
}

// New wraps a go-redis client; a plain client and a cluster client both work.
func New(rdb redis.UniversalClient, opts Options) *Store {
	ns := opts.Namespace
	if ns == "" {
		ns = DefaultNamespace
	}
	ttl := opts.MarkerTTL
	if ttl == 0 {
		ttl = DefaultMarkerTTL
	}
	secs := int64(ttl / time.Second)
	if ttl < 0 {
		secs = 0
	}
	return &Store{
		rdb:     rdb,
		keys:    Keys{NS: ns, Scratch: opts.Scratch},
		ttl:     secs,
		apply:   redis.NewScript(applySrc),
		read:    redis.NewScript(readSrc),
		swap:    redis.NewScript(swapSrc),
		known:   map[string]bool{},
		scratch: map[string]bool{},
		banned:  map[string]bool{},
	}
}

// Keys exposes the key layout, for tests that inspect Redis. Code that
// needs data asks the store for it instead.
func (s *Store) Keys() Keys { return s.keys }

// Client is the underlying Redis client, for tests that check what the
// store wrote; production code asks the store's own queries instead.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Ping checks that Redis answers, for readiness probes and early errors.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}
