package redisconn_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/redisconn"
	"github.com/varcade/statsctl/internal/testredis"
)

func TestConnect(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	rdb, err := redisconn.Connect(ctx, srv.URL(), redisconn.Options{Name: "stream redis", Flag: "--stream-redis"})
	if err != nil {
		t.Fatal(err)
	}
	if _, plain := rdb.(*redis.Client); !plain {
		t.Fatalf("%T: a single server is not a cluster", rdb)
	}
	rdb.Close()

	_, err = redisconn.Connect(ctx, "redis://:s3cret@127.0.0.1:1/0", redisconn.Options{Name: "stream redis", Flag: "--stream-redis"})
	if err == nil || redisconn.IsURLError(err) || strings.Contains(err.Error(), "s3cret") ||
		!strings.Contains(err.Error(), "connect to stream redis at redis://:xxxxx@127.0.0.1:1/0") || !strings.Contains(err.Error(), "check --stream-redis") {
		t.Fatalf("unreachable: %v", err)
	}

	// A wait that gives up passes its error on; one stopped by its context
	// yields no client and no error.
	giveUp := errors.New("gave up")
	tries := 0
	_, err = redisconn.Connect(ctx, "redis://127.0.0.1:1", redisconn.Options{Name: "redis", Flag: "--redis", Wait: func(ping func() error) error {
		for ; tries < 3; tries++ {
			if ping() == nil {
				return nil
			}
		}
		return giveUp
	}})
	if !errors.Is(err, giveUp) || tries != 3 {
		t.Fatalf("wait: %v after %d tries", err, tries)
	}
	stopped, cancel := context.WithCancel(ctx)
	cancel()
	rdb, err = redisconn.Connect(stopped, "redis://127.0.0.1:1", redisconn.Options{Wait: func(func() error) error { return nil }})
	if rdb != nil || err != nil {
		t.Fatalf("stopped: %v %v", rdb, err)
	}

	if _, err := redisconn.Connect(ctx, "localhost:6379", redisconn.Options{}); !redisconn.IsURLError(err) {
		t.Fatalf("bad URL: %v", err)
	}
}
