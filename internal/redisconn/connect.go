package redisconn

import (
	"context"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// Options say how Connect reports and waits for one Redis.
type Options struct {
	// Name is which Redis this is in errors: "redis", "stream redis".
	Name string
	// Flag is the flag that sets the URL, named in the hint when the server
	// does not answer: "--redis", "--stream-redis".
	Flag string
	// Wait runs the first PING until it succeeds or gives up, so a daemon
	// can wait for a Redis that is still starting; nil pings once.
	Wait func(ping func() error) error
	// NoSeed skips the cluster check, for a server known not to be a
	// cluster node (the embedded store): it saves a round trip.
	NoSeed bool
}

// Connect opens url, waits for the server's first answer, and makes a URL
// naming one node of a Redis Cluster reach the whole cluster. It is the one
// way statsctl opens a client, so the stats Redis and the stream's accept
// the same URLs. If ctx ends while Wait waits, it returns nil, nil: the
// caller was stopped, not failed.
func Connect(ctx context.Context, url string, o Options) (redis.UniversalClient, error) {
	rdb, err := Open(url)
	if err != nil {
		return nil, err
	}
	ping := func() error {
		if err := rdb.Ping(ctx).Err(); err != nil {
			return fmt.Errorf("connect to %s at %s: %w (is the server running? check %s)", o.Name, RedactURL(url), err, o.Flag)
		}
		return nil
	}
	if o.Wait != nil {
		err = o.Wait(ping)
	} else {
		err = ping()
	}
	if err != nil || (o.Wait != nil && ctx.Err() != nil) {
		_ = rdb.Close()
		return nil, err
	}
	if o.NoSeed {
		return rdb, nil
	}
	return SeedIfCluster(ctx, rdb, url)
}

// SeedIfCluster takes a client that has answered a PING. If it is a plain
// client to one node of a cluster (redis://host:port naming a node), which
// would fail with MOVED on most keys, it is closed and replaced by a
// cluster client using that node as the seed; otherwise rdb is returned.
func SeedIfCluster(ctx context.Context, rdb redis.UniversalClient, url string) (redis.UniversalClient, error) {
	if _, plain := rdb.(*redis.Client); !plain || !IsClusterNode(ctx, rdb) {
		return rdb, nil
	}
	_ = rdb.Close()
	cc, err := OpenClusterSeed(url)
	if err != nil {
		return nil, err
	}
	if err := cc.Ping(ctx).Err(); err != nil {
		_ = cc.Close()
		return nil, fmt.Errorf("connect to redis cluster at %s: %w", RedactURL(url), err)
	}
	return cc, nil
}

// IsClusterNode reports whether a server runs in cluster mode (INFO cluster
// says cluster_enabled:1), so a URL naming one node still reaches the whole
// cluster. Servers that do not answer INFO cluster (miniredis) are not.
func IsClusterNode(ctx context.Context, rdb redis.UniversalClient) bool {
	info, err := rdb.Info(ctx, "cluster").Result()
	return err == nil && strings.Contains(info, "cluster_enabled:1")
}
