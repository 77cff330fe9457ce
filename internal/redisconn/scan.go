package redisconn

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// ScanKeys calls fn with every key matching pattern (SCAN, count keys a
// page), on every master of a cluster: a cluster client's own SCAN sees
// one node only. The masters are scanned at once, but fn is called under
// one lock, so it may append to a slice or fill a map without its own.
func ScanKeys(ctx context.Context, rdb redis.UniversalClient, pattern string, count int64, fn func(key string)) error {
	var mu sync.Mutex
	scan := func(ctx context.Context, c *redis.Client) error {
		iter := c.Scan(ctx, 0, pattern, count).Iterator()
		for iter.Next(ctx) {
			mu.Lock()
			fn(iter.Val())
			mu.Unlock()
		}
		return iter.Err()
	}
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, scan)
	case *redis.Client:
		return scan(ctx, c)
	default:
		return fmt.Errorf("scan %s: a %T cannot be scanned; open it with redisconn", pattern, rdb)
	}
}
