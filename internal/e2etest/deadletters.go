package e2etest

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/consumer"
)

// CheckDeadLetters checks the dead-letter stream holds exactly want
// letters, one per source entry, each with its source id and a reason; it
// returns the count by reason.
func CheckDeadLetters(ctx context.Context, t testing.TB, rdb redis.UniversalClient, deadStream string, want int) map[string]int {
	t.Helper()
	dead, err := rdb.XRange(ctx, deadStream, "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != want {
		t.Errorf("dead-letter stream %s has %d entries, want exactly %d (one per invalid entry)", deadStream, len(dead), want)
	}
	seen := map[string]bool{}
	reasons := map[string]int{}
	for _, d := range dead {
		id, _ := d.Values[consumer.DeadFieldID].(string)
		r, _ := d.Values[consumer.DeadFieldReason].(string)
		if id == "" || r == "" || seen[id] {
			t.Errorf("dead letter %s: source id %q, reason %q (duplicate %v)", d.ID, id, r, seen[id])
		}
		seen[id] = true
		reasons[r]++
	}
	return reasons
}
