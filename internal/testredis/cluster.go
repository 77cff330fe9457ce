package testredis

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterSize is how many masters StartCluster creates: three is the
// smallest cluster redis-cli accepts, and enough to spread products over
// several nodes.
const ClusterSize = 3

// Cluster is a real Redis Cluster of ClusterSize masters (no replicas) on
// loopback ports, owned by a test. Each node runs with AOF on, so a node
// killed and restarted keeps what it acknowledged.
type Cluster struct {
	t     testing.TB
	nodes []*Server
}

// Node is one cluster node as a test sees it.
type Node struct {
	Addr string // 127.0.0.1:port
	Dir  string // data dir holding nodes.conf and the AOF
}

// ClusterBinaries finds redis-server and redis-cli. Like Binary, their
// absence fails the test in CI (CI=true) and skips it elsewhere.
func ClusterBinaries(t testing.TB) (server, cli string) {
	t.Helper()
	server = Binary(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("redis-cli not found in CI: install it (apt-get install redis-tools): %v", err)
		}
		t.Skip("redis-cli not installed; install it to run the Redis Cluster tests (apt-get install redis-tools)")
	}
	return server, cli
}

// StartCluster starts ClusterSize cluster-enabled redis-servers, joins them
// with `redis-cli --cluster create` and waits until every node reports
// cluster_state:ok. Everything is stopped and removed when the test ends.
// Starting a cluster takes a few seconds, so a package should start one and
// share it between subtests (with a namespace or Flush per subtest).
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, cli := ClusterBinaries(t)
	var lastErr error
	for attempt := 0; attempt < 4; attempt++ {
		c := &Cluster{t: t}
		lastErr = c.start(bin, cli)
		if lastErr == nil {
			t.Cleanup(c.stop)
			return c
		}
		c.stop()
	}
	t.Fatalf("start redis cluster: %v", lastErr)
	return nil
}

func (c *Cluster) start(bin, cli string) error {
	ports, err := clusterPorts(ClusterSize)
	if err != nil {
		return err
	}
	for _, p := range ports {
		dir, err := os.MkdirTemp("", "statsctl-cluster-")
		if err != nil {
			return err
		}
		s := &Server{Dir: dir, Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), args: []string{
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			// Long enough that a killed-and-restarted node is back before
			// the others would declare it failed (no replicas to promote).
			"--cluster-node-timeout", "5000",
			// Restarted nodes must keep every write they acknowledged:
			// see StartDurable.
			"--appendonly", "yes", "--appendfsync", "always",
		}}
		if err := s.start(bin); err != nil {
			_ = os.RemoveAll(dir)
			return err
		}
		c.nodes = append(c.nodes, s)
	}
	args := []string{"--cluster", "create"}
	for _, n := range c.nodes {
		args = append(args, n.Addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return c.waitOK(10 * time.Second)
}

// waitOK waits until every node says cluster_state:ok and knows all three
// masters, so the first command of a test is not answered with CLUSTERDOWN.
func (c *Cluster) waitOK(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last string
	for _, n := range c.nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr, MaxRetries: -1})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			info, err := rdb.ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.nodes))) {
				break
			}
			last = fmt.Sprintf("%s: %v %s", n.Addr, err, firstLine(info, "cluster_state"))
			if time.Now().After(deadline) {
				_ = rdb.Close()
				return fmt.Errorf("cluster not ok within %v: %s", limit, last)
			}
			time.Sleep(20 * time.Millisecond)
		}
		_ = rdb.Close()
	}
	return nil
}

func firstLine(info, prefix string) string {
	for _, l := range strings.Split(info, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func (c *Cluster) stop() {
	for _, n := range c.nodes {
		n.Kill()
		_ = os.RemoveAll(n.Dir)
	}
	c.nodes = nil
}

// clusterPorts picks n distinct free ports whose cluster bus ports (+10000)
// are free too. Ports come from 20000-45535 so the bus port stays valid;
// the kernel's ephemeral range (usually 32768+) may still clash, which the
// caller handles by starting over.
func clusterPorts(n int) ([]int, error) {
	var ports []int
	used := map[int]bool{}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 200 {
			return nil, fmt.Errorf("no free port pairs found in 200 tries")
		}
		p := 20000 + rand.IntN(25536)
		if used[p] || used[p+10000] || used[p-10000] || !portFree(p) || !portFree(p+10000) {
			continue
		}
		used[p] = true
		ports = append(ports, p)
	}
	return ports, nil
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	_ = l.Close()
	return true
}

// URL is the cluster as a user passes it to --redis.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr
	}
	return "redis://" + strings.Join(addrs, ",")
}

// Nodes lists the nodes in the order they were created (node i owns the
// i-th third of the slots).
func (c *Cluster) Nodes() []Node {
	out := make([]Node, len(c.nodes))
	for i, n := range c.nodes {
		out[i] = Node{Addr: n.Addr, Dir: n.Dir}
	}
	return out
}

// Client is a cluster client over all nodes, closed with the test.
func (c *Cluster) Client() *redis.ClusterClient {
	addrs := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		addrs[i] = n.Addr
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ReadTimeout: clientTimeout, WriteTimeout: clientTimeout})
	c.t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// NodeClient is a plain client to node i, for per-node commands (SCRIPT
// FLUSH, CLUSTER KEYSLOT, DBSIZE), closed with the test.
func (c *Cluster) NodeClient(i int) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: c.nodes[i].Addr, ReadTimeout: clientTimeout, WriteTimeout: clientTimeout})
	c.t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// Flush empties every node (FLUSHALL), so subtests sharing a cluster start
// from nothing.
func (c *Cluster) Flush() {
	c.t.Helper()
	for i := range c.nodes {
		if err := c.NodeClient(i).FlushAll(context.Background()).Err(); err != nil {
			c.t.Fatalf("flush %s: %v", c.nodes[i].Addr, err)
		}
	}
}

// RestartNode kills node i with SIGKILL (a crash) and starts it again on the
// same port, directory and nodes.conf, so it rejoins the cluster with its
// slots and what its AOF kept. It returns once the cluster is ok again.
func (c *Cluster) RestartNode(i int) {
	c.t.Helper()
	n := c.nodes[i]
	n.Kill()
	var err error
	// The port was just ours; retry briefly if the kernel still holds it.
	for attempt := 0; attempt < 5; attempt++ {
		if err = n.start(Binary(c.t)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		c.t.Fatalf("restart cluster node %s: %v", n.Addr, err)
	}
	if err := c.waitOK(15 * time.Second); err != nil {
		c.t.Fatalf("after restarting %s: %v", n.Addr, err)
	}
}
