package testredis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/varcade/statsctl/internal/testredis"
)

// The harness itself: a cluster comes up with three masters sharing all
// 16384 slots, and a restarted node rejoins with the data it acknowledged.
func TestStartClusterAndRestartNode(t *testing.T) {
	start := time.Now()
	c := testredis.StartCluster(t)
	t.Logf("cluster of %d nodes up in %v: %s", len(c.Nodes()), time.Since(start).Round(time.Millisecond), c.URL())
	ctx := context.Background()
	if !strings.HasPrefix(c.URL(), "redis://127.0.0.1:") || strings.Count(c.URL(), ",") != 2 {
		t.Fatalf("URL %q", c.URL())
	}
	cc := c.Client()
	info, err := cc.ClusterInfo(ctx).Result()
	if err != nil || !strings.Contains(info, "cluster_slots_assigned:16384") || !strings.Contains(info, "cluster_size:3") {
		t.Fatalf("cluster info: %v\n%s", err, info)
	}
	// One key per node: find keys whose slots are owned by each node.
	owner := map[string]string{}
	for i := 0; len(owner) < 3 && i < 100; i++ {
		k := "k" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		if err := cc.Set(ctx, k, "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for j, n := range c.Nodes() {
			if c.NodeClient(j).Exists(ctx, k).Val() == 1 {
				owner[n.Addr] = k
			}
		}
	}
	if len(owner) != 3 {
		t.Fatalf("keys landed on %d nodes, want 3: %v", len(owner), owner)
	}
	k := owner[c.Nodes()[1].Addr]
	start = time.Now()
	c.RestartNode(1)
	t.Logf("node restarted and cluster ok in %v", time.Since(start).Round(time.Millisecond))
	if v, err := cc.Get(ctx, k).Result(); err != nil || v != "v" {
		t.Fatalf("after restart %s = %q, %v", k, v, err)
	}
}
