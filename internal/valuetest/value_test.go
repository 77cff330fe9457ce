package valuetest

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/testredis"
)

// TestValueBoardsEqualModel: every operator x order x ties board, the
// max_change board, the exact-range board and the value stats equal the
// model after a generated file with bad values, replayed twice.
func TestValueBoardsEqualModel(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		for seed := int64(1); seed <= 3; seed++ {
			Run(t, rdb, "vt"+string(rune('0'+seed)), seed, 1500)
		}
	})
}
