package server

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// topCache keeps each product's encoded top ten for a TTL well under a
// second, and lets concurrent misses share one Redis read (singleflight), so
// the portal's hot path costs a map lookup instead of a round trip while
// never serving a board older than the TTL plus one Redis read.
type topCache struct {
	ttl     time.Duration // <= 0: no caching, every call loads
	timeout time.Duration // bound of one load
	now     func() time.Time
	load    func(ctx context.Context, product string) ([]byte, error)

	mu      sync.RWMutex
	entries map[string]topEntry
	group   singleflight.Group
	onHit   func()
	onMiss  func(shared bool)
}

type topEntry struct {
	body    preparedBody
	expires time.Time
}

// maxCachedProducts bounds the cache: only products with data are cached
// (empty boards are not), and past this many the map is reset.
const maxCachedProducts = 1000

func newTopCache(ttl, timeout time.Duration, now func() time.Time, load func(context.Context, string) ([]byte, error)) *topCache {
	return &topCache{ttl: ttl, timeout: timeout, now: now, load: load, entries: map[string]topEntry{}}
}

// get returns the encoded top ten of product, from memory when fresh.
func (c *topCache) get(ctx context.Context, product string) (preparedBody, error) {
	if c.ttl <= 0 {
		lctx, cancel := context.WithTimeout(ctx, c.timeout)
		defer cancel()
		b, err := c.load(lctx, product)
		if err != nil {
			return preparedBody{}, err
		}
		return prepareBody(topTenType, b), nil
	}
	c.mu.RLock()
	e, ok := c.entries[product]
	c.mu.RUnlock()
	if ok && c.now().Before(e.expires) {
		if c.onHit != nil {
			c.onHit()
		}
		return e.body, nil
	}
	// The read starts after the miss, so its result is at most TTL old when
	// last served. DoChan lets a waiter give up on its own deadline.
	ch := c.group.DoChan(product, func() (any, error) {
		// Detached from the first caller's context: a client hanging up must
		// not fail the read for everyone waiting on it. Bounded instead.
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		defer cancel()
		b, err := c.load(lctx, product)
		if err != nil {
			return nil, err
		}
		body := prepareBody(topTenType, b)
		if len(b) > 3 { // "[]\n" is not worth caching: keeps junk ids out
			c.mu.Lock()
			if len(c.entries) >= maxCachedProducts {
				c.entries = map[string]topEntry{}
			}
			c.entries[product] = topEntry{body: body, expires: c.now().Add(c.ttl)}
			c.mu.Unlock()
		}
		return body, nil
	})
	select {
	case res := <-ch:
		if c.onMiss != nil {
			c.onMiss(res.Shared)
		}
		if res.Err != nil {
			return preparedBody{}, res.Err
		}
		return res.Val.(preparedBody), nil
	case <-ctx.Done():
		return preparedBody{}, ctx.Err()
	}
}

// invalidate drops products' entries after a local write, so a client that
// posts an event and reads the board sees its own write.
func (c *topCache) invalidate(products ...string) {
	c.mu.Lock()
	for _, p := range products {
		delete(c.entries, p)
	}
	c.mu.Unlock()
}
