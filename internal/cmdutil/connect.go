package cmdutil

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/redisconn"
)

// StreamRedis is the stream's Redis for consume and rebuild alike: flag
// (--stream-redis), then EnvStreamRedisURL, then the stats Redis itself.
// A separate server is opened through the same redisconn.Connect as the
// stats Redis, so a URL naming one cluster node reaches the whole cluster
// here too; wait (nil: one PING) lets a daemon wait for it to start. The
// returned close releases a separate client and is a no-op for the stats
// Redis, which the factory closes. A nil client with a nil error means ctx
// ended while waiting.
func (f *Factory) StreamRedis(ctx context.Context, flag string, wait func(ping func() error) error) (redis.UniversalClient, func(), error) {
	url := flag
	if url == "" {
		url = f.Env(EnvStreamRedisURL)
	}
	if url == "" {
		rdb, err := f.Redis(ctx)
		return rdb, func() {}, err
	}
	rdb, err := f.connect(ctx, url, redisconn.Options{Name: "stream redis", Flag: "--stream-redis", Wait: wait})
	if err != nil || rdb == nil {
		return nil, nil, err
	}
	return rdb, func() { _ = rdb.Close() }, nil
}

// Connect opens a Redis other than the stats and stream ones (the old
// service's, for migrate) the one way statsctl opens any: redisconn.Connect,
// with a bad URL a usage error (exit 2). The caller closes it.
func (f *Factory) Connect(ctx context.Context, url string, o redisconn.Options) (redis.UniversalClient, error) {
	return f.connect(ctx, url, o)
}

// connect is redisconn.Connect with a bad URL turned into a usage error
// (exit 2): the caller has to fix the URL, waiting will not help.
func (f *Factory) connect(ctx context.Context, url string, o redisconn.Options) (redis.UniversalClient, error) {
	rdb, err := redisconn.Connect(ctx, url, o)
	if redisconn.IsURLError(err) {
		return nil, &UsageError{Err: err}
	}
	return rdb, err
}
