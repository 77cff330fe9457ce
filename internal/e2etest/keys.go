package e2etest

import (
	"context"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/redisconn"
)

// Keys lists keys matching pattern on every master of a cluster, or on one
// server (a cluster client's SCAN would see one node only).
func Keys(ctx context.Context, t testing.TB, rdb redis.UniversalClient, pattern string) []string {
	t.Helper()
	var keys []string
	if err := redisconn.ScanKeys(ctx, rdb, pattern, 1000, func(k string) { keys = append(keys, k) }); err != nil {
		t.Fatalf("scan %s: %v", pattern, err)
	}
	sort.Strings(keys)
	return keys
}
