package consumer

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/varcade/statsctl/internal/event"
	"github.com/varcade/statsctl/internal/store"
	"github.com/varcade/statsctl/internal/streamid"
)

// Defaults of Config, chosen for the platform's stream: a large batch makes
// the round trips noise, a short block keeps shutdown prompt.
const (
	DefaultStream     = event.DefaultStream
	DefaultGroup      = "statsctl"
	DefaultCount      = 1000
	DefaultBlock      = time.Second
	DefaultClaimAfter = time.Minute
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	DefaultGrace      = 5 * time.Second
	// LegacyCursorKey is where the old Stats Tracker worker kept the id of
	// the last entry it processed; --start legacy continues from it.
	LegacyCursorKey = "_stats_tracker.workers.event_stream_index"
	// StartLegacy asks for the group to start at the old worker's cursor.
	StartLegacy = "legacy"
)

// KeyReader is all the consumer asks of the stats server: reading the old
// worker's cursor key. Every go-redis client satisfies it; naming it keeps
// the consumer from being handed, and reaching into, the whole stats store.
type KeyReader interface {
	Get(ctx context.Context, key string) *redis.StringCmd
}

// Config says which stream to read and how. Zero fields take the defaults.
type Config struct {
	Stream     string // stream key; DefaultStream
	Group      string // consumer group; DefaultGroup
	Consumer   string // this consumer's name; DefaultName()
	DeadLetter string // dead-letter stream on the stream server; Stream + ":dead"
	// Start is where a NEW group starts: "0" (whole history, the default),
	// "$" (new entries only), StartLegacy, or an explicit entry id. An
	// existing group keeps its position.
	Start string
	// LegacyRedis is the stats server, where the old worker kept its cursor
	// in the old deployment: with StartLegacy it is asked for
	// LegacyCursorKey before the stream server. Nil: only the stream server
	// is asked.
	LegacyRedis KeyReader
	Count       int           // entries per read
	Block       time.Duration // how long one read waits for new entries
	ClaimAfter  time.Duration // idle time after which another consumer's pending entries are taken over
	// Drain stops Run (returning nil) once the group has caught up: nothing
	// pending for any consumer and no undelivered entry.
	Drain bool
	// ConnectTimeout, when > 0, makes Run fail if Redis never answered
	// within it after start. Once connected, outages are retried forever.
	ConnectTimeout time.Duration
	MinBackoff     time.Duration
	MaxBackoff     time.Duration
	// Grace is how long the batch in hand may still take to apply and ack
	// after ctx is cancelled. Past it Run gives up the batch unacknowledged
	// (it is redelivered; nothing is lost or counted twice).
	Grace time.Duration
	// Namespace prefixes the dead-letter marker keys; store.DefaultNamespace
	// when empty.
	Namespace string
	Logger    *slog.Logger // nil: discard
	Metrics   *Metrics     // nil: no metrics
	Now       func() time.Time
}

// DefaultName is the default consumer name, host name and pid, unique per
// process so two daemons on one host never share pending entries.
func DefaultName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "statsctl"
	}
	return h + "-" + strconv.Itoa(os.Getpid())
}

// withDefaults is c with every zero field set to its default.
func (c Config) withDefaults() Config {
	if c.Stream == "" {
		c.Stream = DefaultStream
	}
	if c.Group == "" {
		c.Group = DefaultGroup
	}
	if c.Consumer == "" {
		c.Consumer = DefaultName()
	}
	if c.DeadLetter == "" {
		c.DeadLetter = c.Stream + ":dead"
	}
	if c.Start == "" {
		c.Start = "0"
	}
	if c.Count <= 0 {
		c.Count = DefaultCount
	}
	if c.Block <= 0 {
		c.Block = DefaultBlock
		if c.Drain {
			// A drain ends on the first empty read; don't make it wait long.
			c.Block = 100 * time.Millisecond
		}
	}
	if c.ClaimAfter <= 0 {
		c.ClaimAfter = DefaultClaimAfter
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(DefaultMaxBackoff, c.MinBackoff)
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.Namespace == "" {
		c.Namespace = store.DefaultNamespace
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate rejects a configuration (defaults filled in) that cannot work.
func (c Config) validate() error {
	if c.DeadLetter == c.Stream {
		return fmt.Errorf("dead-letter stream must differ from the stream %q: statsctl never writes to the shared stream", c.Stream)
	}
	if c.Start != "$" && c.Start != StartLegacy && !streamid.Valid(c.Start) {
		return fmt.Errorf("start %q: want 0, $, legacy or an entry id such as 1700000000000-0", c.Start)
	}
	return nil
}
