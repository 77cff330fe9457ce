package consumer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/alicebob/miniredis/v2/server"
	"github.com/redis/go-redis/v9"
)

// replyErrors is a server whose GET answers the error named by its key, so
// classification is tested on errors as go-redis really returns them.
func replyErrors(t *testing.T) *redis.Client {
	t.Helper()
	srv, err := server.NewServer("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	if err := srv.Register("GET", func(c *server.Peer, _ string, args []string) { c.WriteError(args[0]) }); err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr().String(), Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

func TestTransientClassifiesRedisReplies(t *testing.T) {
	rdb := replyErrors(t)
	ctx := context.Background()
	for reply, want := range map[string]bool{
		"LOADING Redis is loading the dataset in memory":                             true,
		"BUSY Redis is busy running a script. You can only call SCRIPT KILL":         true,
		"TRYAGAIN Multiple keys request during rehashing of slot":                    true,
		"CLUSTERDOWN The cluster is down":                                            true,
		"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to": true,
		"READONLY You can't write against a read only replica.":                      true,
		"NOREPLICAS Not enough good replicas to write.":                              true,
		"ERR unknown command": false,
		"WRONGTYPE Operation against a key holding the wrong kind of value": false,
		"NOGROUP No such key 'events' or consumer group 'statsctl'":         false,
		"BUSYGROUP Consumer Group name already exists":                      false,
		"NOSCRIPT No matching script. Please use EVAL.":                     false,
	} {
		err := rdb.Get(ctx, reply).Err()
		if err == nil {
			t.Fatalf("%s: no error", reply)
		}
		wrapped := fmt.Errorf("apply batch 1-0..2-0: %w", err)
		if got := transient(wrapped); got != want {
			t.Errorf("transient(%q) = %v, want %v", wrapped, got, want)
		}
	}
	if !isNoGroup(fmt.Errorf("read: %w", rdb.Get(ctx, "NOGROUP No such key 'x' or consumer group 'y'").Err())) {
		t.Error("NOGROUP reply not recognised")
	}
	if isNoGroup(rdb.Get(ctx, "ERR the NOGROUP word inside a message").Err()) {
		t.Error("NOGROUP inside a message taken for the reply")
	}
}

func TestTransientClassifiesNetworkFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DisableIdentity: true})
	defer rdb.Close()
	refused := rdb.Ping(context.Background()).Err()
	for _, err := range []error{refused, fmt.Errorf("read: %w", context.DeadlineExceeded), fmt.Errorf("x: %w", net.ErrClosed)} {
		if err == nil || !transient(fmt.Errorf("wrapped: %w", err)) {
			t.Errorf("transient(%v) = false", err)
		}
	}
	for _, err := range []error{nil, errors.New("connection refused, but only in words"), context.Canceled, errRetryNow} {
		if transient(err) {
			t.Errorf("transient(%v) = true", err)
		}
	}
}
