package valuetest

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/testredis"
)

// TestArchivesEqualModel: reset archives every value board so it reads back
// as the board was (order, ties, values, metadata), and erase reaches the
// archives' tie-break and metadata keys; see Archive.
func TestArchivesEqualModel(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		Archive(t, rdb, "va", 5, 1200)
	})
}
