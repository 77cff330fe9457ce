package consumer

import (
	"errors"
	"log/slog"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/engine"
)

// Status is a snapshot of the daemon's counters, for the live status line
// and for tests.
type Status struct {
	Events      int64 // entries processed (acknowledged), redeliveries included
	Applied     int64
	Duplicate   int64
	Ignored     int64
	Invalid     int64
	DeadLetters int64 // dead letters newly written by this process
	Claimed     int64 // entries taken over from other consumers
	Lag         int64 // entries not yet delivered to the group; -1 unknown
	Pending     int64 // entries delivered to the group but not acknowledged
}

// Consumer is one member of the consumer group. Create it with New and run
// it with Run; it is not reusable after Run returns.
type Consumer struct {
	cfg    Config
	eng    *engine.Engine
	stream redis.UniversalClient
	acks   acker // the applied batch's dead letters and XACK, in flight
	log    *slog.Logger
	dead   *redis.Script
	m      *Metrics

	events, applied, duplicate, ignored, invalid, deadLetters, claimed atomic.Int64
	lag, pending                                                       atomic.Int64
	connected                                                          atomic.Bool
}

// New makes a consumer that applies through eng and reads the stream from
// stream (which may be the stats store's own client).
func New(cfg Config, eng *engine.Engine, stream redis.UniversalClient) (*Consumer, error) {
	if eng == nil || stream == nil {
		return nil, errors.New("consumer: engine and stream client are required")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Consumer{cfg: cfg, eng: eng, stream: stream, log: cfg.Logger, dead: redis.NewScript(deadLetterSrc), m: cfg.Metrics}
	c.lag.Store(-1)
	return c, nil
}

// Config is the configuration in effect, defaults filled in.
func (c *Consumer) Config() Config { return c.cfg }

// Status returns the current counters.
func (c *Consumer) Status() Status {
	return Status{
		Events: c.events.Load(), Applied: c.applied.Load(), Duplicate: c.duplicate.Load(),
		Ignored: c.ignored.Load(), Invalid: c.invalid.Load(), DeadLetters: c.deadLetters.Load(),
		Claimed: c.claimed.Load(), Lag: c.lag.Load(), Pending: c.pending.Load(),
	}
}

// Healthy reports whether the consumer has reached Redis and is running;
// /healthz answers from it.
func (c *Consumer) Healthy() bool { return c.connected.Load() }
