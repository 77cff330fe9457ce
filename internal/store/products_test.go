package store_test

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/storetest"
	"github.com/varcade/statsctl/internal/testredis"
)

// A product is in the products set before any of its data: the set is
// written before the batch (the close job finds the products on the
// default: product's periodic boards there), so when it cannot be written
// nothing of the batch is, and the error names the key.
func TestProductRecordedBeforeItsBatch(t *testing.T) {
	testredis.Backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		if err := rdb.Set(ctx, "pr:products", "not a set", 0).Err(); err != nil {
			t.Fatal(err)
		}
		st := store.New(rdb, store.Options{Namespace: "pr"})
		_, err := st.Apply(ctx, map[string][]store.Item{"p": {storetest.GameOver("1-1", "a", "b")}})
		if err == nil || !strings.Contains(err.Error(), "pr:products") {
			t.Fatalf("apply with a wrong-type products set: %v, want an error naming pr:products", err)
		}
		if ks := rdb.Keys(ctx, "pr:{p}:*").Val(); len(ks) != 0 {
			t.Errorf("the batch was applied without its product recorded: %v", ks)
		}
		rdb.Del(ctx, "pr:products")
		if _, err := st.Apply(ctx, map[string][]store.Item{"p": {storetest.GameOver("1-1", "a", "b")}}); err != nil {
			t.Fatal(err)
		}
		if got := rdb.SMembers(ctx, "pr:products").Val(); len(got) != 1 || got[0] != "p" {
			t.Errorf("products set %v, want [p]", got)
		}
	})
}
