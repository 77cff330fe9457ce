package consumer

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/retry"
)

// errRetryNow asks retry to run the work again at once (after repairing a
// lost group), up to maxRetryNow times in a row.
var errRetryNow = errors.New("retry now")

const maxRetryNow = 4

// retry runs fn under abort until it succeeds, through retry.DoUntil.
// Errors a later attempt can fix (see transient) are retried with capped
// exponential backoff, logged, counted, and mark the consumer unhealthy
// until an attempt succeeds; waiting between attempts ends when stop is
// done. Other errors are returned at once, and retry.ErrStopped once a stop
// ended the retrying or abort the work.
func (c *Consumer) retry(stop, abort context.Context, what string, fn func(context.Context) error) error {
	return retry.DoUntil(stop, abort, retry.Policy{
		Min:       c.cfg.MinBackoff,
		Max:       c.cfg.MaxBackoff,
		Retryable: transient,
		OnRetry: func(attempt int, wait time.Duration, err error) error {
			c.connected.Store(false)
			if c.m != nil {
				c.m.redisErrors.Inc()
			}
			c.log.Warn("redis unavailable; retrying", "op", what, "attempt", attempt, "retry_in", wait.String(), "err", err.Error())
			return nil
		},
		OnRecover: func(attempts int) {
			c.log.Info("redis is back; resuming", "op", what, "attempts", attempts)
			c.connected.Store(true)
		},
	}, func(x context.Context) error {
		for again := 0; ; again++ {
			err := fn(x)
			if !errors.Is(err, errRetryNow) || again == maxRetryNow {
				return err
			}
		}
	})
}

// transient reports whether an error may go away by itself: network
// failures, and the replies Redis gives while it cannot serve yet (loading
// its data after a restart, busy with a script, a cluster or replica set
// changing hands). Redis replies are told apart by go-redis's own helpers,
// which see through wrapping.
func transient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var ne net.Error // refused, reset, broken pipe, timeouts, closed connections, DNS
	if errors.As(err, &ne) {
		return true
	}
	return redis.IsLoadingError(err) || redis.HasErrorPrefix(err, "BUSY ") || redis.IsTryAgainError(err) ||
		redis.IsClusterDownError(err) || redis.IsMasterDownError(err) || redis.IsReadOnlyError(err) ||
		redis.IsNoReplicasError(err)
}
